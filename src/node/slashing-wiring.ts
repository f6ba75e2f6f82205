/**
 * Slashing's node wiring (issue 19): the consensus engine's equivocation evidence also goes to the
 * slashing module's inbox (as double-sign evidence; the module checks it like anyone's), signed slash
 * batches go to the staking chain's SlashingManager, and the TEST-ONLY double-sign switch.
 */
import { Interface, ZeroAddress } from 'ethers';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { signRsv } from '../crypto/secp256k1.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import { decodeMessages, encodeVote, voteDigest } from '../delivery/consensus/codec.ts';
import type { ConsensusTransport, Evidence as ConsensusEvidence, EvidenceStore } from '../delivery/consensus/interface.ts';
import { MsgType, type Vote } from '../delivery/consensus/types.ts';
import type { SignedBatch } from '../delivery/modules/slashing/state.ts';
import { CheckpointSubmission, type CheckpointSubmitterLike } from '../delivery/modules/checkpoint/submission.ts';
import { SlashBatchSubmission, type SlashBatchSender, type SlashSendOutcome } from '../delivery/modules/slashing/submission.ts';
import { EvmRootChainClient } from '../root/evm-client.ts';
import type { RootChainClient } from '../root/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { decodeHeader, headerHash } from '../bttc/engine/header.ts';
import { recoverSignerUncached } from '../bttc/engine/seal.ts';
import type { SealedHeader } from '../slashing/checks.ts';
import { NodeStartError } from './errors.ts';

/** Consensus evidence is kept as before and, on a validator, queued as slashing evidence. */
export function slashingEvidenceStore(inner: EvidenceStore, app: DeliveryApp, chainId: string, logger: Logger): EvidenceStore {
  return {
    add: async (e: ConsensusEvidence) => {
      await inner.add(e);
      if (app.address === null) return;
      const id = app.queries.slashing.inbox.submitEvidence({ v: 1, offense: 'double-sign', chainId, voteA: bytesToHex(encodeVote(e.voteA)), voteB: bytesToHex(encodeVote(e.voteB)) });
      logger.info({ event: 'slash-evidence-observed', evidenceHash: id, validator: bytesToHex(e.validator), height: e.height }, 'double sign seen by consensus: evidence queued');
    },
    list: () => inner.list(),
  };
}

/**
 * TEST ONLY: at `height`, every precommit this node sends for a value is followed by a nil
 * precommit for the same height and round, signed with the same key: a double sign. Refused unless
 * the network is a devnet.
 */
export function testOnlyDoubleSign(inner: ConsensusTransport, opts: { height: number | null; network: string; chainId: string; secretKey: Uint8Array | null }, logger: Logger): ConsensusTransport {
  const { height, secretKey } = opts;
  if (height === null) return inner;
  if (opts.network !== 'devnet') throw new NodeStartError(`node.testOnlyDoubleSignHeight is a test-only switch: refused on network ${JSON.stringify(opts.network)} (devnet only)`);
  if (!secretKey) throw new NodeStartError('node.testOnlyDoubleSignHeight needs a validator key');
  let done = false;
  logger.warn({ height }, 'TEST ONLY: this validator will double-sign a precommit');
  const twin = (v: Vote): Uint8Array => {
    const nil: Vote = { ...v, valueId: null, extension: new Uint8Array(0), signature: new Uint8Array(65) };
    nil.signature = signRsv(voteDigest(opts.chainId, nil), secretKey);
    return encodeVote(nil);
  };
  return {
    peerId: inner.peerId,
    sendTo: (p, d) => inner.sendTo(p, d),
    subscribe: (h) => inner.subscribe(h),
    broadcast(data: Uint8Array): void {
      inner.broadcast(data);
      if (done) return;
      let msgs: ReturnType<typeof decodeMessages>;
      try {
        msgs = decodeMessages(data);
      } catch {
        return;
      }
      for (const m of msgs) {
        if (m.kind !== 'vote' || m.vote.type !== MsgType.Precommit || m.vote.height !== height || m.vote.valueId === null) continue;
        done = true;
        logger.warn({ height, round: m.vote.round }, 'TEST ONLY: sending a conflicting nil precommit');
        inner.broadcast(twin(m.vote));
      }
    },
  };
}

const SM = new Interface(['function slashingManager() view returns (address)']);
const MANAGER = new Interface(['function slashingNonce() view returns (uint256)', 'function updateSlashedAmounts(bytes data, uint256[3][] sigs)']);

/** Sends a batch with the staking chain client's key; the SlashingManager's address is read from the StakeManager. */
export class EvmSlashBatchSender implements SlashBatchSender {
  private readonly client: EvmRootChainClient;

  constructor(client: EvmRootChainClient) {
    this.client = client;
  }

  async send(batch: SignedBatch): Promise<SlashSendOutcome> {
    const { provider, wallet, contracts } = this.client;
    const addr = SM.decodeFunctionResult('slashingManager', await provider.call({ to: contracts.stakeManager, data: SM.encodeFunctionData('slashingManager') }))[0] as string;
    if (addr === ZeroAddress) return { outcome: 'failed', reason: 'the StakeManager has no SlashingManager set' };
    const nonce = async () => MANAGER.decodeFunctionResult('slashingNonce', await provider.call({ to: addr, data: MANAGER.encodeFunctionData('slashingNonce') }))[0] as bigint;
    if ((await nonce()) >= BigInt(batch.nonce)) return { outcome: 'already-submitted' };
    if (!wallet) return { outcome: 'failed', reason: 'no key to send with' };
    const data = MANAGER.encodeFunctionData('updateSlashedAmounts', [batch.data, batch.sigs]);
    let last = '';
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const gas = await provider.estimateGas({ from: wallet.address, to: addr, data });
        const tx = await wallet.sendTransaction({ type: 0, to: addr, data, gasLimit: (gas * 12n) / 10n, gasPrice: await this.client.gasPrice() });
        const r = await tx.wait(1, 60_000);
        if (r && r.status === 1) return { outcome: 'submitted', txHash: r.hash, gasUsed: r.gasUsed };
        last = 'transaction reverted';
      } catch (err) {
        last = (err as Error).message;
      }
      // The checkpoint submitter shares the key (a nonce race), or another validator got there first.
      if ((await nonce()) >= BigInt(batch.nonce)) return { outcome: 'already-submitted' };
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
    return { outcome: 'failed', reason: last };
  }
}

type OnClose = (name: string, close: () => Promise<void> | void) => void;

/** Settles in-flight submissions on close, waiting at most 2 s. */
function settleOnClose(onClose: OnClose, name: string, s: { whenSettled(): Promise<void> }): void {
  onClose(name, () => Promise.race([s.whenSettled(), new Promise((r) => setTimeout(r, 2000))]).then(() => undefined));
}

/**
 * The listeners that send what Delivery approved to the root chains: checkpoints and sync records
 * (each chain's submitter), and signed slash batches when the staking chain is an EVM chain.
 */
export function startSubmissions(
  opts: { submitters: ReadonlyMap<number, CheckpointSubmitterLike>; clients: ReadonlyMap<number, RootChainClient>; watchSlashSender?: (s: SlashBatchSender) => SlashBatchSender },
  deps: { app: DeliveryApp; metrics: Registry; logger: Logger; onClose: OnClose },
): void {
  const { app, metrics, logger, onClose } = deps;
  const submission = new CheckpointSubmission({ submitters: opts.submitters, address: app.address, metrics, logger });
  submission.attach(app);
  settleOnClose(onClose, 'delivery submissions', submission);
  const client = opts.clients.get(app.stakingChainId);
  if (!(client instanceof EvmRootChainClient) || app.address === null) return;
  const slashes = new SlashBatchSubmission({ address: app.address }, { sender: (opts.watchSlashSender ?? ((x) => x))(new EvmSlashBatchSender(client)), metrics, logger });
  slashes.attach(app);
  settleOnClose(onClose, 'slash batch submission', slashes);
}

/** Double-seal evidence: Bttc's own seal recovery, handed to Delivery (which never imports src/bttc). */
export function bttcSealRecovery(rlp: Uint8Array): SealedHeader {
  const h = decodeHeader(rlp);
  return { number: h.number, hash: bytesToHex(headerHash(h)), signer: bytesToHex(recoverSignerUncached(h)) };
}
