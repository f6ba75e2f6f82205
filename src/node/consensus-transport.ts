/**
 * The Delivery consensus engine's transport over libp2p gossip (see GossipConsensusTransport).
 *
 * Framing (both Delivery topics):
 *
 *   mode u8 (0 broadcast, 1 direct) ‖ epoch u64 ‖ [len u8 ‖ target peer id] ‖ consensus message
 *
 * `epoch` is the send time in RESEND_EPOCH_MS units (the engine's gossip interval). The message id
 * is a hash of the whole payload, so it is hash(message ‖ epoch): the engine's periodic re-send of
 * a message (gossip is lossy) falls in a later epoch and gets through the seen caches, while the
 * same message sent twice within one epoch — by us, or replayed by anyone — is one message,
 * relayed at most once network-wide. A receiver ignores (drops without penalty) an epoch more than
 * EPOCH_SLACK epochs away from its own clock, so an old message cannot be replayed under fresh ids.
 *
 * Every message is checked (consensus-gossip-check.ts) before it is accepted, that is relayed and
 * handed to the engine; junk is rejected, which lowers the sender's gossip score until the network
 * disconnects and bans it. `sendTo` (catch-up) has no direct channel in gossip: it is published
 * with the target's peer id and consumed by the target only. The target is always a neighbour (the
 * peer that forwarded us something), reached by our own publish, so direct messages are never
 * relayed: the target answers 'ignore' after consuming it, everyone else 'ignore' after checking it.
 */
import type { Registry } from 'prom-client';
import type { ConsensusTransport } from '../delivery/consensus/interface.ts';
import type { GossipMessage, Network, ValidationResult } from '../p2p/interface.ts';
import type { Logger } from '../observability/logger.ts';
import { counter } from '../observability/metrics.ts';
import { ConsensusGossipCheck, type ConsensusCheckDeps } from './consensus-gossip-check.ts';

const PROPOSAL = 0x01;
const BUNDLE = 0x04;
const BROADCAST = 0;
const DIRECT = 1;
const HEADER = 9;

/** The engine's gossip interval (ConsensusState's default; the node does not change it). */
export const RESEND_EPOCH_MS = 1000;
/** Epochs a message may be away from the receiver's clock (clock skew plus delivery time). */
export const EPOCH_SLACK = 2;

export interface ConsensusTransportDeps extends Omit<ConsensusCheckDeps, 'verifier'> {
  verifier: ConsensusCheckDeps['verifier'];
  metrics?: Registry | null;
  clock?: { now(): number };
}

interface Frame {
  mode: number;
  epoch: bigint;
  target: string | null;
  body: Uint8Array;
}

function parseFrame(d: Uint8Array): Frame | null {
  if (d.length < HEADER + 1) return null;
  const mode = d[0]!;
  if (mode !== BROADCAST && mode !== DIRECT) return null;
  const epoch = new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(1);
  let off = HEADER;
  let target: string | null = null;
  if (mode === DIRECT) {
    const len = d[HEADER]!;
    if (len === 0 || d.length < HEADER + 1 + len + 1) return null;
    target = new TextDecoder().decode(d.subarray(HEADER + 1, HEADER + 1 + len));
    off = HEADER + 1 + len;
  }
  return { mode, epoch, target, body: d.subarray(off) };
}

export class GossipConsensusTransport implements ConsensusTransport {
  private readonly network: Network;
  private readonly logger: Logger | null;
  private readonly check: ConsensusGossipCheck;
  private readonly clock: { now(): number };
  private readonly checked: ReturnType<typeof counter> | null;
  private readonly handlers = new Set<(from: string, data: Uint8Array) => void>();

  constructor(network: Network, logger: Logger | null, deps: ConsensusTransportDeps) {
    this.network = network;
    this.logger = logger;
    this.check = new ConsensusGossipCheck(deps);
    this.clock = deps.clock ?? { now: () => Date.now() };
    this.checked = deps.metrics
      ? counter(deps.metrics, 'bttc_consensus_gossip_checked_total', 'Consensus gossip checked before relay, by verdict and reason (ok, malformed, bad-signature, non-member, far-future, epoch, …)', [
          'verdict',
          'reason',
        ])
      : null;
    const onMsg = (m: GossipMessage) => this.onMessage(m);
    network.subscribe('delivery-proposal', onMsg);
    network.subscribe('delivery-vote', onMsg);
  }

  get peerId(): string {
    return this.network.peerId;
  }

  private epochNow(): bigint {
    return BigInt(Math.floor(this.clock.now() / RESEND_EPOCH_MS));
  }

  private async onMessage(msg: GossipMessage): Promise<ValidationResult> {
    const { verdict, reason } = await this.validate(msg);
    this.checked?.inc({ verdict, reason });
    if (verdict === 'reject') this.logger?.debug({ from: msg.from, kind: msg.kind, reason }, 'consensus gossip rejected');
    return verdict;
  }

  private async validate(msg: GossipMessage): Promise<{ verdict: ValidationResult; reason: string }> {
    const f = parseFrame(msg.data);
    if (!f) return { verdict: 'reject', reason: 'malformed-frame' };
    const skew = f.epoch - this.epochNow();
    if (skew > BigInt(EPOCH_SLACK) || skew < -BigInt(EPOCH_SLACK)) return { verdict: 'ignore', reason: 'epoch' };
    // Proposals (alone or in a bundle) go on the proposal topic, votes on the vote topic.
    const onProposalTopic = f.body[0] === PROPOSAL || f.body[0] === BUNDLE;
    if (onProposalTopic !== (msg.kind === 'delivery-proposal')) return { verdict: 'reject', reason: 'wrong-topic' };
    const direct = f.mode === DIRECT;
    const c = await this.check.check(f.body, direct);
    if (c.verdict === 'reject') return c;
    const forUs = !direct || f.target === this.network.peerId;
    if (c.deliver && forUs) {
      // A copy: the engine keeps messages, and `body` is a view into the gossip payload.
      const body = f.body.slice();
      for (const h of this.handlers) h(msg.from, body);
    }
    if (direct) return { verdict: 'ignore', reason: forUs ? c.reason : 'not-for-us' };
    return c;
  }

  private frame(mode: number, data: Uint8Array, target?: string): Uint8Array {
    const t = target ? new TextEncoder().encode(target) : new Uint8Array(0);
    if (t.length > 255) throw new RangeError(`consensus transport: peer id of ${t.length} bytes`);
    const out = new Uint8Array(HEADER + (target ? 1 + t.length : 0) + data.length);
    out[0] = mode;
    new DataView(out.buffer).setBigUint64(1, this.epochNow());
    let off = HEADER;
    if (target) {
      out[HEADER] = t.length;
      out.set(t, HEADER + 1);
      off = HEADER + 1 + t.length;
    }
    out.set(data, off);
    return out;
  }

  private send(framed: Uint8Array, msgKind: number): void {
    const kind = msgKind === PROPOSAL || msgKind === BUNDLE ? 'delivery-proposal' : 'delivery-vote';
    // Failures are counted and, unless no peer is subscribed yet, logged by the network client.
    this.network.publish(kind, framed).catch((err: unknown) => this.logger?.debug({ err: (err as Error).message }, 'consensus publish failed'));
  }

  broadcast(data: Uint8Array): void {
    this.send(this.frame(BROADCAST, data), data[0]!);
  }

  sendTo(peerId: string, data: Uint8Array): void {
    this.send(this.frame(DIRECT, data, peerId), data[0]!);
  }

  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
