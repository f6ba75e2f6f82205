/**
 * The Delivery consensus engine's transport over libp2p gossip (see GossipConsensusTransport).
 */
import type { ConsensusTransport } from '../delivery/consensus/interface.ts';
import type { Network } from '../p2p/interface.ts';
import type { Logger } from '../observability/logger.ts';

const PROPOSAL = 0x01;
const BUNDLE = 0x04;
const DIRECT = 1;

/**
 * Consensus messages on the two Delivery topics. Each send carries a fresh 8-byte sequence: the
 * engine re-sends its own messages every gossip interval because gossip is lossy, and without it
 * gossipsub's seen-cache would drop every resend as a duplicate. `sendTo` (catch-up) has no direct
 * channel in gossip: it is published with the target's peer id, and only the target consumes it.
 *
 * frame: mode u8 (0 broadcast, 1 direct) ‖ seq u64 ‖ [len u8 ‖ target peer id] ‖ consensus message
 */
export class GossipConsensusTransport implements ConsensusTransport {
  private readonly network: Network;
  private readonly logger: Logger | null;
  private seq = BigInt(Date.now()) << 16n;
  private readonly handlers = new Set<(from: string, data: Uint8Array) => void>();

  constructor(network: Network, logger: Logger | null) {
    this.network = network;
    this.logger = logger;
    const onMsg = (msg: { from: string; data: Uint8Array }) => {
      const d = msg.data;
      if (d.length < 10) return 'reject' as const;
      let off = 9;
      if (d[0] === DIRECT) {
        const len = d[9]!;
        const target = new TextDecoder().decode(d.subarray(10, 10 + len));
        off = 10 + len;
        if (target !== this.network.peerId) return 'accept' as const;
      } else if (d[0] !== 0) return 'reject' as const;
      const body = d.slice(off);
      if (body.length === 0) return 'reject' as const;
      for (const h of this.handlers) h(msg.from, body);
      return 'accept' as const;
    };
    network.subscribe('delivery-proposal', onMsg, { concurrency: 1 });
    network.subscribe('delivery-vote', onMsg, { concurrency: 1 });
  }

  get peerId(): string {
    return this.network.peerId;
  }

  private frame(mode: number, data: Uint8Array, target?: string): Uint8Array {
    const t = target ? new TextEncoder().encode(target) : new Uint8Array(0);
    const out = new Uint8Array(9 + (target ? 1 + t.length : 0) + data.length);
    out[0] = mode;
    new DataView(out.buffer).setBigUint64(1, this.seq++);
    let off = 9;
    if (target) {
      out[9] = t.length;
      out.set(t, 10);
      off = 10 + t.length;
    }
    out.set(data, off);
    return out;
  }

  private send(framed: Uint8Array, msgKind: number): void {
    const kind = msgKind === PROPOSAL || msgKind === BUNDLE ? 'delivery-proposal' : 'delivery-vote';
    this.network.publish(kind, framed).catch((err: unknown) => this.logger?.debug({ err: (err as Error).message }, 'consensus publish failed'));
  }

  broadcast(data: Uint8Array): void {
    this.send(this.frame(0, data), data[0]!);
  }

  sendTo(peerId: string, data: Uint8Array): void {
    this.send(this.frame(DIRECT, data, peerId), data[0]!);
  }

  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
