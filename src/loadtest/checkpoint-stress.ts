/**
 * `bttc-node bench checkpoint`: one checkpoint round the way the node runs it, with N validator keys.
 * Checkpoint signatures have no gossip topic of their own: they ride in Delivery precommits as
 * side-vote extensions (src/delivery/app/app.ts, header). So the round is
 *   a. every validator checks the checkpoint proposed in block H, signs it, and signs its precommit
 *      for H+1 with the side-vote extension carrying that signature;
 *   b. the proposer of H+2 encodes its block, whose lastCommit carries the N precommits;
 *   c. a receiving validator checks every carried precommit (N secp256k1 verifies in the verify
 *      pool), then tallies the checkpoint signatures through SignatureSet to ⌊2n/3⌋+1 and builds
 *      the submitCheckpoint calldata from the approved set;
 *   d. the proposer submits that calldata to an embedded root chain whose StakeManager has the same
 *      N validators staked, over JSON-RPC with the node's submitter.
 * The app keeps these steps private, so each one is rebuilt here from the exported codecs and the
 * protocol core, and names the app function it mirrors. Only secp256k1 is measured: the BLS form in
 * src/protocol/checkpoint/bls-aggregate.ts is library-only and the node never runs it.
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
import { checkpointSignBytes, checkpointVoteHash, signCheckpoint, type Checkpoint } from '../protocol/checkpoint/checkpoint.ts';
import { SignatureSet } from '../protocol/checkpoint/signature-set.ts';
import { submitCheckpointCalldata } from '../protocol/checkpoint/calldata.ts';
import { approvalThreshold } from '../protocol/checkpoint/interface.ts';
import { decodeBlock, decodeSideVotes, encodeBlock, encodeSideVotes } from '../delivery/app/codec.ts';
import { SideVote, TxType, type CarriedVote, type DeliveryBlock } from '../delivery/app/types.ts';
import type { CheckpointTx } from '../delivery/modules/checkpoint/txs.ts';
import { valueIdOf, voteDigest } from '../delivery/consensus/codec.ts';
import { MsgType } from '../delivery/consensus/types.ts';
import { createSignatureVerifier, type SignatureVerifier, type VerifyItem } from '../pools/index.ts';
import { publicKeyCreate, signRsv } from '../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../crypto/address.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { bytesToHex } from '../util/bytes.ts';

export interface CheckpointStressOptions {
  validators: number;
  /** Verify-pool threads (0 = inline on the main thread). */
  threads: number;
  /**
   * Checkpoint signatures per SignatureSet.add while tallying (default 128, the pool's task size).
   * The app adds them in one call; adding them in task-sized slices is what lets the time to
   * ⌊2n/3⌋+1 be seen apart from the time to all N, for the same packing of work in the pool.
   */
  batch?: number;
  /** Validators whose precommit carries a forged checkpoint signature (signed over another root). */
  forged?: number;
  /** Validators whose precommit signature itself is corrupted: the block must be refused. */
  badPrecommits?: number;
  /** Stages a–c repeated this many times; timings are the median (default 1). */
  rounds?: number;
  /** Submit the approved calldata to an embedded root chain (default true). */
  submit?: boolean;
  /** The block-size cap checked as DeliveryApp.invalidReason does (default 1 MiB, config/*.json delivery.maxBlockBytes). */
  maxBlockBytes?: number;
  borChainId?: number;
}

export interface CheckpointStressResult {
  scheme: 'secp256k1';
  validators: number;
  threshold: number;
  threads: number;
  batch: number;
  rounds: number;
  forged: number;
  badPrecommits: number;
  /** a. All N validators' checkpoint signature + side-vote extension + precommit signature, on one thread (each validator does 1/N of it). */
  signSeconds: number;
  /** b. The encoded block of H+2 and the part of it that is the carried commit. */
  blockBytes: number;
  carriedCommitBytes: number;
  maxBlockBytes: number;
  blockFits: boolean;
  /** c. decodeBlock of the received block. */
  decodeSeconds: number;
  /** c. The carried-precommit checks with their N secp256k1 verifies in one priority batch. */
  precommitVerifySeconds: number;
  precommitsValid: number;
  precommitsInvalid: number;
  /** What the carried-vote check refuses the block for (null: accepted). A refused block is not tallied. */
  blockError: string | null;
  checkpointSigsValid: number;
  checkpointSigsInvalid: number;
  /** Rejected checkpoint signatures by SignatureSet's reason. */
  rejected: Record<string, number>;
  approved: boolean;
  /** From the tally's first verify to the ⌊2n/3⌋+1-th valid signature; null when never reached. */
  timeToQuorumSeconds: number | null;
  /** Tally of all N (what tallyCheckpoint waits for); null when the block was refused. */
  verifyAllSeconds: number | null;
  calldataBytes: number | null;
  /** Root chain start-up with N validators staked (not part of the round). */
  rootSetupSeconds: number | null;
  /** d. Null when not approved (nothing to submit) or submission was turned off. */
  submit: { outcome: string; gasUsed: string | null; seconds: number; signatures: number; reason?: string } | null;
}

const DELIVERY_CHAIN_ID = 'bench-delivery';
/** Height of the block holding the checkpoint tx; its precommits' extensions are voted at H+1 and carried by H+2. */
const H = 100;
const CHECKPOINT_TX_INDEX = 0;
const ROUND = 0;

interface Validator {
  key: Uint8Array;
  /** 20-byte signer address. */
  address: Uint8Array;
  hex: string;
  /** 65-byte uncompressed key, as the consensus validator view holds it. */
  publicKey: Uint8Array;
}

interface RoundSample {
  signSeconds: number;
  blockBytes: number;
  carriedCommitBytes: number;
  decodeSeconds: number;
  precommitVerifySeconds: number;
  precommitsInvalid: number;
  blockError: string | null;
  tally: TallySample | null;
}

interface TallySample {
  set: SignatureSet;
  timeToQuorumSeconds: number | null;
  verifyAllSeconds: number;
  calldata: Uint8Array | null;
}

/** A fixed shuffle of 0..n-1 (Knuth's multiplicative hash) so block order does not follow address order. */
function blockOrder(n: number): number[] {
  const h = (i: number) => Math.imul(i + 1, 2654435761) >>> 0;
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => h(a) - h(b));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * a + b. Mirrors, per validator: checkpoint.checkpointVerdict (signCheckpoint on a matching root),
 * DeliveryApp.sideVotesFor (encodeSideVotes), VoteSigner.signVote (signRsv over voteDigest of the
 * precommit for H+1 with that extension); then DeliveryApp.proposeValue at H+2 (encodeBlock with the
 * precommits that carry an extension as lastCommit).
 */
function proposeCarriedCommit(
  vals: readonly Validator[],
  cp: Checkpoint,
  blockH1: Uint8Array,
  opts: { forged: number; badPrecommits: number },
): { block: Uint8Array; emptyBlock: Uint8Array; signSeconds: number } {
  const valueId = valueIdOf(blockH1);
  // A forged signature is a validator signing a checkpoint whose root differs from the proposed one.
  const wrong: Checkpoint = { ...cp, rootHash: bytesToHex(keccak256(Uint8Array.of(0xff))) };
  const t0 = performance.now();
  const votes: CarriedVote[] = vals.map((v, i) => {
    const cpSig = signCheckpoint(i < opts.forged ? wrong : cp, v.key);
    const extension = encodeSideVotes([{ txIndex: CHECKPOINT_TX_INDEX, vote: SideVote.Yes, signature: cpSig }]);
    const signature = signRsv(voteDigest(DELIVERY_CHAIN_ID, { type: MsgType.Precommit, height: H + 1, round: ROUND, valueId, extension }), v.key);
    return { validator: v.address, extension, signature };
  });
  const signSeconds = (performance.now() - t0) / 1000;
  // Corrupted precommits come last in block order, so the check has to reach them.
  for (let i = 0; i < opts.badPrecommits; i++) votes[votes.length - 1 - i]!.signature[7]! ^= 0x01;
  const time = 1_700_000_000_000 + (H + 2) * 1000;
  const carried = votes.filter((v) => v.extension.length > 0);
  const block = encodeBlock({ height: H + 2, time, lastCommit: { round: ROUND, votes: carried }, txs: [] });
  const emptyBlock = encodeBlock({ height: H + 2, time, lastCommit: { round: ROUND, votes: [] }, txs: [] });
  return { block, emptyBlock, signSeconds };
}

/**
 * c1. Mirrors DeliveryApp.carriedVotesError at the receiver (committed height H+1): every carried
 * precommit's validator is in the set, appears once, votes only on side txs of block H, has v ≤ 1,
 * and its signature over voteDigest(precommit H+1, block H+1's id, extension) verifies — all N in
 * one priority batch. The app stops at the first bad precommit; here all are counted.
 */
async function checkCarriedVotes(
  b: DeliveryBlock,
  ctx: { set: ReadonlyMap<string, Validator>; blockH: DeliveryBlock; valueIdH1: Uint8Array },
  verifier: SignatureVerifier,
): Promise<{ error: string | null; invalid: number }> {
  const sideIdx = new Set<number>();
  // Block H here holds only the checkpoint, a side transaction (the app asks its module registry).
  ctx.blockH.txs.forEach((tx, i) => tx.type === TxType.Checkpoint && sideIdx.add(i));
  const seen = new Set<string>();
  const items: VerifyItem[] = [];
  for (const v of b.lastCommit.votes) {
    const hex = bytesToHex(v.validator);
    const val = ctx.set.get(hex);
    if (!val) return { error: `${hex} is not in the validator set of height ${H + 1}`, invalid: 1 };
    if (seen.has(hex)) return { error: `${hex} appears twice`, invalid: 1 };
    seen.add(hex);
    let extOk: boolean;
    try {
      extOk = v.extension.length === 0 || decodeSideVotes(v.extension).every((e) => sideIdx.has(e.txIndex));
    } catch {
      extOk = false;
    }
    if (!extOk) return { error: `${hex}: malformed side votes`, invalid: 1 };
    if (v.signature[64]! > 1) return { error: `${hex}: signature v must be 0 or 1`, invalid: 1 };
    const digest = voteDigest(DELIVERY_CHAIN_ID, { type: MsgType.Precommit, height: H + 1, round: b.lastCommit.round, valueId: ctx.valueIdH1, extension: v.extension });
    items.push({ kind: 'secp256k1-verify', digest, signature: v.signature.subarray(0, 64), publicKey: val.publicKey });
  }
  const results = items.length ? await verifier.verifyBatch(items, { priority: true }) : [];
  const invalid = results.filter((r) => !r.ok).length;
  const bad = results.findIndex((r) => !r.ok);
  return { error: bad >= 0 ? `${bytesToHex(b.lastCommit.votes[bad]!.validator)}: invalid precommit signature` : null, invalid };
}

/**
 * c2. Mirrors DeliveryApp.tally (the Yes entries with a 65-byte signature for the checkpoint tx,
 * claimed by the precommit's validator) → checkpoint.tallyCheckpoint (SignatureSet over the
 * checkpoint's vote hash against the Delivery set, approved at ⌊2n/3⌋+1, sortedSignatures into the
 * buffer) → DeliveryApp.submit (submitCheckpointCalldata over the buffer).
 */
async function tallyCheckpoint(b: DeliveryBlock, cp: Checkpoint, signers: readonly string[], verifier: SignatureVerifier, batch: number): Promise<TallySample> {
  const yes: { signer: string; signature: Uint8Array }[] = [];
  for (const v of b.lastCommit.votes) {
    if (v.extension.length === 0) continue;
    for (const e of decodeSideVotes(v.extension))
      if (e.txIndex === CHECKPOINT_TX_INDEX && e.vote === SideVote.Yes && e.signature.length === 65) yes.push({ signer: bytesToHex(v.validator), signature: e.signature });
  }
  const set = new SignatureSet({ voteHash: checkpointVoteHash(cp), validators: signers }, { verifier });
  const t0 = performance.now();
  let quorumAt: number | null = null;
  const slices: Promise<unknown>[] = [];
  for (let i = 0; i < yes.length; i += batch) {
    slices.push(
      set.add(yes.slice(i, i + batch)).then(() => {
        if (quorumAt === null && set.approved) quorumAt = performance.now();
      }),
    );
  }
  await Promise.all(slices);
  const verifyAllSeconds = (performance.now() - t0) / 1000;
  const calldata = set.approved ? submitCheckpointCalldata(checkpointSignBytes(cp), set.sortedSignatures()) : null;
  return { set, timeToQuorumSeconds: quorumAt === null ? null : (quorumAt - t0) / 1000, verifyAllSeconds, calldata };
}

async function runRound(
  vals: readonly Validator[],
  ctx: { cp: Checkpoint; blockH: DeliveryBlock; blockH1: Uint8Array; set: ReadonlyMap<string, Validator>; signers: readonly string[] },
  opts: { forged: number; badPrecommits: number; batch: number },
  verifier: SignatureVerifier,
): Promise<RoundSample> {
  const { block, emptyBlock, signSeconds } = proposeCarriedCommit(vals, ctx.cp, ctx.blockH1, opts);
  const td = performance.now();
  const b = decodeBlock(block);
  const decodeSeconds = (performance.now() - td) / 1000;
  const tv = performance.now();
  const carried = await checkCarriedVotes(b, { set: ctx.set, blockH: ctx.blockH, valueIdH1: valueIdOf(ctx.blockH1) }, verifier);
  const precommitVerifySeconds = (performance.now() - tv) / 1000;
  const tally = carried.error ? null : await tallyCheckpoint(b, ctx.cp, ctx.signers, verifier, opts.batch);
  return {
    signSeconds,
    blockBytes: block.length,
    carriedCommitBytes: block.length - emptyBlock.length,
    decodeSeconds,
    precommitVerifySeconds,
    precommitsInvalid: carried.invalid,
    blockError: carried.error,
    tally,
  };
}

function count(n: number | undefined, what: string, max: number): number {
  const v = n ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`${what}: expected 0..${max}, got ${n}`);
  return v;
}

export async function runCheckpointStress(opts: CheckpointStressOptions, deps: { logger?: Logger } = {}): Promise<CheckpointStressResult> {
  const n = opts.validators;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`--validators: expected 1..10000, got ${n}`);
  if (!Number.isInteger(opts.threads) || opts.threads < 0) throw new Error(`--threads: expected an integer ≥ 0, got ${opts.threads}`);
  const forged = count(opts.forged, '--forged', n);
  const badPrecommits = count(opts.badPrecommits, '--bad-precommits', n);
  const batch = opts.batch ?? 128;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch: expected a positive integer, got ${batch}`);
  const rounds = opts.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got ${rounds}`);
  const maxBlockBytes = opts.maxBlockBytes ?? 1024 * 1024;
  const doSubmit = opts.submit ?? true;
  const logger = deps.logger ?? silentLogger();
  const borChainId = opts.borChainId ?? 1337199;
  const dir = mkdtempSync(join(tmpdir(), 'bttc-cpbench-'));
  const verifier = createSignatureVerifier({ threads: opts.threads }, {});
  let root: RootChainNode | null = null;
  let server: RpcServer | null = null;
  let client: EvmRootChainClient | null = null;
  try {
    // The root chain's genesis stakes the same signer keys the validators sign with.
    const g = devnetGenesis({ validators: n, borChainId, staking: { validatorThreshold: n, checkpointBlockInterval: 1 } });
    const byAddress = new Map<string, Validator>();
    const all = g.signerKeys.map((key): Validator => {
      const publicKey = publicKeyCreate(key, false);
      const address = addressFromPublicKey(publicKey);
      const v = { key, address, hex: bytesToHex(address), publicKey };
      byAddress.set(v.hex, v);
      return v;
    });
    const vals = blockOrder(n).map((i) => all[i]!);
    const signers = all.map((v) => v.hex);
    const cp: Checkpoint = { proposer: signers[0]!, start: 0, end: 255, rootHash: bytesToHex(keccak256(Uint8Array.of(1))), accountRootHash: '0x' + '00'.repeat(32), borChainId, epoch: 1 };
    const blockH: DeliveryBlock = {
      height: H,
      time: 1_700_000_000_000 + H * 1000,
      lastCommit: { round: ROUND, votes: [] },
      txs: [{ type: TxType.Checkpoint, rootChainId: 2, checkpoint: cp } as CheckpointTx],
    };
    const blockH1 = encodeBlock({ height: H + 1, time: blockH.time + 1000, lastCommit: { round: ROUND, votes: [] }, txs: [] });

    let rootSetupSeconds: number | null = null;
    let url = '';
    if (doSubmit) {
      const t0 = performance.now();
      root = await RootChainNode.open({ dataDir: join(dir, 'root'), genesisJson: { ...g.json, gasLimit: 60_000_000 }, blockTimeMs: 0 }, { logger });
      const registry = new MethodRegistry({});
      registerEth(registry, rootChainBackend(root));
      server = new RpcServer({ port: 0 }, { registry });
      url = (await server.start()).url;
      root.start();
      rootSetupSeconds = (performance.now() - t0) / 1000;
    }

    // Warm every pool thread first (start-up and native bindings are not part of a round).
    const warm = signRsv(checkpointVoteHash(cp), all[0]!.key);
    await verifier.verifyBatch(Array.from({ length: 128 * Math.max(1, opts.threads) }, () => ({ kind: 'secp256k1-recover' as const, digest: checkpointVoteHash(cp), signature: warm })));

    const samples: RoundSample[] = [];
    for (let r = 0; r < rounds; r++) samples.push(await runRound(vals, { cp, blockH, blockH1, set: byAddress, signers }, { forged, badPrecommits, batch }, verifier));
    const last = samples[samples.length - 1]!;
    const tallies = samples.map((s) => s.tally).filter((t): t is TallySample => t !== null);
    const tally = last.tally;
    const quorumTimes = tallies.map((t) => t.timeToQuorumSeconds).filter((x): x is number => x !== null);
    const rejected: Record<string, number> = {};
    for (const o of tally?.set.rejected() ?? []) if (!o.ok) rejected[o.reason] = (rejected[o.reason] ?? 0) + 1;

    let submit: CheckpointStressResult['submit'] = null;
    if (doSubmit && root && tally?.calldata) {
      client = await EvmRootChainClient.connect({
        rpcUrl: url,
        rootChainId: 2,
        contracts: { stakeManager: root.info.contracts.stakeManager, rootChain: root.info.contracts.rootChain, stateSender: root.info.contracts.stateSender },
        privateKey: bytesToHex(g.signerKeys[0]!),
      });
      const submitter = new CheckpointSubmitter({ receiptTimeoutMs: 60_000, receiptPollMs: 100 }, { client });
      const ts = performance.now();
      const sub = await submitter.submit({ start: BigInt(cp.start), end: BigInt(cp.end), calldata: tally.calldata });
      submit = {
        outcome: sub.outcome,
        gasUsed: sub.outcome === 'submitted' ? sub.gasUsed.toString() : null,
        seconds: (performance.now() - ts) / 1000,
        signatures: tally.set.count,
        ...(sub.outcome === 'failed' ? { reason: sub.reason } : {}),
      };
    }
    return {
      scheme: 'secp256k1',
      validators: n,
      threshold: approvalThreshold(n),
      threads: opts.threads,
      batch,
      rounds,
      forged,
      badPrecommits,
      signSeconds: median(samples.map((s) => s.signSeconds)),
      blockBytes: last.blockBytes,
      carriedCommitBytes: last.carriedCommitBytes,
      maxBlockBytes,
      blockFits: last.blockBytes <= maxBlockBytes,
      decodeSeconds: median(samples.map((s) => s.decodeSeconds)),
      precommitVerifySeconds: median(samples.map((s) => s.precommitVerifySeconds)),
      precommitsValid: n - last.precommitsInvalid,
      precommitsInvalid: last.precommitsInvalid,
      blockError: last.blockError,
      checkpointSigsValid: tally?.set.count ?? 0,
      checkpointSigsInvalid: tally ? tally.set.rejected().length : 0,
      rejected,
      approved: tally?.set.approved ?? false,
      timeToQuorumSeconds: quorumTimes.length ? median(quorumTimes) : null,
      verifyAllSeconds: tallies.length ? median(tallies.map((t) => t.verifyAllSeconds)) : null,
      calldataBytes: tally?.calldata?.length ?? null,
      rootSetupSeconds,
      submit,
    };
  } finally {
    await client?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await root?.close().catch(() => undefined);
    await verifier.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The terminal table for one result (`bench checkpoint` without --json, and bench/checkpoint.ts). */
export function formatCheckpointStress(r: CheckpointStressResult): string {
  const ms = (s: number | null) => (s === null ? '—' : `${(s * 1000).toFixed(2)} ms`);
  const int = (x: number) => x.toLocaleString('en-US');
  const rows: [string, string][] = [
    [`a. sign: checkpoint sig + precommit ×${r.validators}`, `${ms(r.signSeconds)} on one thread (${ms(r.signSeconds / r.validators)} per validator)`],
    [`b. block H+2 carrying ${r.validators} precommits`, `${int(r.blockBytes)} bytes (commit ${int(r.carriedCommitBytes)}), ${r.blockFits ? 'fits' : 'EXCEEDS'} maxBlockBytes ${int(r.maxBlockBytes)}`],
    ['c. decode block', ms(r.decodeSeconds)],
    [
      `   verify ${r.validators} precommit signatures`,
      `${ms(r.precommitVerifySeconds)}, ${r.precommitsValid} valid, ${r.precommitsInvalid} invalid${r.blockError ? ` → block refused: ${r.blockError}` : ''}`,
    ],
    [`   checkpoint sigs to 2/3+1 (${r.threshold})`, r.blockError ? 'not tallied' : ms(r.timeToQuorumSeconds)],
    [
      `   checkpoint sigs, all ${r.validators}`,
      r.blockError ? 'not tallied' : `${ms(r.verifyAllSeconds)}, ${r.checkpointSigsValid} valid, ${r.checkpointSigsInvalid} invalid → ${r.approved ? 'approved' : 'NOT approved'}`,
    ],
    ['   submitCheckpoint calldata', r.calldataBytes === null ? '—' : `${int(r.calldataBytes)} bytes`],
    [
      `d. submit to root chain (${r.validators} staked)`,
      r.submit
        ? `${r.submit.outcome}${r.submit.reason ? ` (${r.submit.reason})` : ''}, gas ${r.submit.gasUsed === null ? '—' : int(Number(r.submit.gasUsed))}, ${r.submit.signatures} signatures, ${r.submit.seconds.toFixed(2)} s`
        : 'not submitted',
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const head = `checkpoint round in Delivery precommits (secp256k1): ${r.validators} validators, quorum ${r.threshold}, verify pool ${r.threads === 0 ? 'inline' : `${r.threads} thread(s)`}, ${r.rounds} round(s), median`;
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
}
