/**
 * Checkpoint signing under load (`bttc-node bench checkpoint`): N validator keys sign one
 * checkpoint, each signature is encoded as the 119-byte checkpoint-sig gossip payload and decoded
 * again, the votes are verified in the verify pool in gossip-sized batches until ⌊2N/3⌋+1 are
 * valid, the set is turned into sorted [R,S,V] calldata and submitted to an embedded root chain
 * whose StakeManager has the same N validators staked — over JSON-RPC with the node's submitter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootChainNode } from '../rootchain/node.ts';
import { devnetGenesis } from '../rootchain/genesis.ts';
import { rootChainBackend } from '../rootchain/backend.ts';
import { MethodRegistry } from '../rpc/registry.ts';
import { RpcServer } from '../rpc/server.ts';
import { registerEth } from '../rpc/eth.ts';
import { EvmRootChainClient } from '../root/evm-client.ts';
import { CheckpointSubmitter } from '../root/submitter.ts';
import { checkpointSignBytes, voteHash, type Checkpoint } from '../protocol/checkpoint/checkpoint.ts';
import { SignatureSet } from '../protocol/checkpoint/signature-set.ts';
import { encodeCheckpointSig, decodeCheckpointSig } from '../p2p/codec/checkpointSig.ts';
import { createSignatureVerifier } from '../pools/index.ts';
import { signRsv } from '../crypto/secp256k1.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { keyPairFromSecret } from '../node/keys.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { bytesToHex } from '../util/bytes.ts';

export interface CheckpointStressOptions {
  validators: number;
  /** Verify-pool threads (0 = inline on the main thread). */
  threads: number;
  /** Votes per verify batch, as they would arrive from gossip. */
  batch?: number;
  borChainId?: number;
}

export interface CheckpointStressResult {
  validators: number;
  threshold: number;
  threads: number;
  batch: number;
  /** Root chain start-up with N validators staked (not part of the checkpoint path). */
  rootSetupSeconds: number;
  signSeconds: number;
  signaturesPerSec: number;
  encodeDecodeSeconds: number;
  gossipBytes: number;
  /** From the first vote entering the pool to the ⌊2N/3⌋+1-th valid one. */
  timeToQuorumSeconds: number;
  verifiedPerSec: number;
  /** All N verified (a proposer keeps collecting after quorum). */
  verifyAllSeconds: number;
  calldataBytes: number;
  submit: { outcome: string; gasUsed: string | null; seconds: number; signatures: number };
}

export async function runCheckpointStress(opts: CheckpointStressOptions, deps: { logger?: Logger } = {}): Promise<CheckpointStressResult> {
  const n = opts.validators;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`--validators: expected 1..10000, got ${n}`);
  const logger = deps.logger ?? silentLogger();
  const batch = opts.batch ?? 32;
  const borChainId = opts.borChainId ?? 1337199;
  const dir = mkdtempSync(join(tmpdir(), 'bttc-cpstress-'));
  const verifier = createSignatureVerifier({ threads: opts.threads }, {});
  let root: RootChainNode | null = null;
  let server: RpcServer | null = null;
  let client: EvmRootChainClient | null = null;
  try {
    const t0 = performance.now();
    const g = devnetGenesis({ validators: n, borChainId, staking: { validatorThreshold: n, checkpointBlockInterval: 1 } });
    root = await RootChainNode.open({ dataDir: join(dir, 'root'), genesisJson: { ...g.json, gasLimit: 60_000_000 }, blockTimeMs: 0 }, { logger });
    const registry = new MethodRegistry({});
    registerEth(registry, rootChainBackend(root));
    server = new RpcServer({ port: 0 }, { registry });
    const { url } = await server.start();
    root.start();
    const rootSetupSeconds = (performance.now() - t0) / 1000;

    const signers = g.signerKeys.map((k) => keyPairFromSecret(k));
    const cp: Checkpoint = { proposer: bytesToHex(signers[0]!.address), start: 0, end: 255, rootHash: bytesToHex(keccak256(Uint8Array.of(1))), accountRootHash: bytesToHex(keccak256(Uint8Array.of(2))), borChainId, epoch: 1 };
    const data = checkpointSignBytes(cp);
    const digest = voteHash(data);

    const ts = performance.now();
    const sigs = signers.map((s) => signRsv(digest, s.privateKey));
    const signSeconds = (performance.now() - ts) / 1000;

    const te = performance.now();
    const wire = sigs.map((signature, i) => encodeCheckpointSig({ rootChainId: 2, voteHash: digest, signer: signers[i]!.address, signature }));
    const votes = wire.map((w) => {
      const d = decodeCheckpointSig(w);
      if (!d.ok) throw new Error(`checkpoint-sig decode: ${d.error.message}`);
      return { signer: bytesToHex(d.value.signer), signature: d.value.signature.slice() };
    });
    const encodeDecodeSeconds = (performance.now() - te) / 1000;

    // Gossip order is arbitrary: a fixed shuffle so the quorum is not reached by the lowest addresses.
    const order = votes.map((_, i) => i).sort((a, b) => ((a * 2654435761) % 4294967296) - ((b * 2654435761) % 4294967296));
    const set = new SignatureSet({ voteHash: digest, validators: signers.map((s) => bytesToHex(s.address)) }, { verifier });
    // Warm the pool's threads first: their start-up is not part of a checkpoint round.
    await verifier.verifyBatch([{ kind: 'secp256k1-recover', digest, signature: sigs[0]! }]);
    const tv = performance.now();
    let quorumAt = 0;
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < order.length; i += batch) {
      const chunk = order.slice(i, i + batch).map((j) => votes[j]!);
      inflight.push(
        set.add(chunk).then(() => {
          if (!quorumAt && set.approved) quorumAt = performance.now();
        }),
      );
    }
    await Promise.all(inflight);
    const verifyAllSeconds = (performance.now() - tv) / 1000;
    if (set.count !== n) throw new Error(`only ${set.count} of ${n} signatures verified: ${JSON.stringify(set.rejected().slice(0, 3))}`);

    client = await EvmRootChainClient.connect({ rpcUrl: url, rootChainId: 2, contracts: { stakeManager: root.info.contracts.stakeManager, rootChain: root.info.contracts.rootChain, stateSender: root.info.contracts.stateSender }, privateKey: bytesToHex(g.signerKeys[0]!) });
    const submitter = new CheckpointSubmitter({ receiptTimeoutMs: 60_000, receiptPollMs: 100 }, { client });
    const calldata = set.submitCheckpointCalldata(data);
    const tsub = performance.now();
    const sub = await submitter.submit({ start: 0n, end: 255n, calldata });
    const submitSeconds = (performance.now() - tsub) / 1000;
    if (sub.outcome !== 'submitted') throw new Error(`submission ${sub.outcome}: ${'reason' in sub ? sub.reason : ''}`);
    return {
      validators: n,
      threshold: set.threshold,
      threads: opts.threads,
      batch,
      rootSetupSeconds,
      signSeconds,
      signaturesPerSec: n / signSeconds,
      encodeDecodeSeconds,
      gossipBytes: wire.reduce((s, w) => s + w.length, 0),
      timeToQuorumSeconds: (quorumAt - tv) / 1000,
      verifiedPerSec: n / verifyAllSeconds,
      verifyAllSeconds,
      calldataBytes: calldata.length,
      submit: { outcome: sub.outcome, gasUsed: sub.gasUsed.toString(), seconds: submitSeconds, signatures: n },
    };
  } finally {
    await client?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await root?.close().catch(() => undefined);
    await verifier.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
