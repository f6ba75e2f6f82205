/**
 * An in-memory network for simulations: every send is delivered after a seeded random delay (which
 * also reorders), may be dropped, and is blocked across partitions. Deliveries are timers on the
 * virtual clock, so a run is deterministic for a seed.
 */
import type { ConsensusTransport } from '../interface.ts';
import type { Prng } from './prng.ts';
import type { VirtualClock } from './virtual-clock.ts';

export interface NetworkConditions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that one delivery (one message to one peer) is lost. */
  dropRate: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  blocked: number;
}

type Handler = (from: string, data: Uint8Array) => void;

export class MemoryNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, blocked: 0 };
  conditions: NetworkConditions;
  private readonly clock: VirtualClock;
  private readonly prng: Prng;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly peers: string[] = [];
  private readonly down = new Set<string>();
  private group: Map<string, number> | null = null;

  constructor(conditions: NetworkConditions, deps: { clock: VirtualClock; prng: Prng }) {
    this.conditions = conditions;
    this.clock = deps.clock;
    this.prng = deps.prng;
  }

  /** The transport of one peer. Calling it again for the same id (a restart) gives a fresh endpoint. */
  endpoint(peerId: string): MemoryEndpoint {
    if (!this.peers.includes(peerId)) this.peers.push(peerId);
    this.down.delete(peerId);
    this.handlers.set(peerId, new Set());
    return new MemoryEndpoint(peerId, this);
  }

  peerIds(): readonly string[] {
    return this.peers;
  }

  /** Peers in different groups cannot reach each other; peers in no group are isolated. */
  partition(groups: string[][]): void {
    this.group = new Map();
    groups.forEach((g, i) => g.forEach((p) => this.group!.set(p, i)));
  }

  heal(): void {
    this.group = null;
  }

  /** A crashed peer: nothing reaches it or leaves it (in-flight messages to it are lost). */
  setDown(peerId: string, down: boolean): void {
    if (down) {
      this.down.add(peerId);
      this.handlers.get(peerId)?.clear();
    } else this.down.delete(peerId);
  }

  canReach(from: string, to: string): boolean {
    if (this.down.has(from) || this.down.has(to)) return false;
    if (!this.group) return true;
    const a = this.group.get(from);
    return a !== undefined && a === this.group.get(to);
  }

  subscribe(peerId: string, h: Handler): () => void {
    const set = this.handlers.get(peerId)!;
    set.add(h);
    return () => set.delete(h);
  }

  send(from: string, to: string, data: Uint8Array): void {
    this.stats.sent++;
    if (!this.canReach(from, to)) {
      this.stats.blocked++;
      return;
    }
    const c = this.conditions;
    if (c.dropRate > 0 && this.prng.next() < c.dropRate) {
      this.stats.dropped++;
      return;
    }
    const delay = c.maxDelayMs > c.minDelayMs ? c.minDelayMs + this.prng.next() * (c.maxDelayMs - c.minDelayMs) : c.minDelayMs;
    const copy = data.slice();
    this.clock.setTimer(delay, () => {
      if (this.down.has(to)) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      for (const h of this.handlers.get(to) ?? []) h(from, copy);
    });
  }
}

export class MemoryEndpoint implements ConsensusTransport {
  readonly peerId: string;
  private readonly net: MemoryNetwork;

  constructor(peerId: string, net: MemoryNetwork) {
    this.peerId = peerId;
    this.net = net;
  }

  broadcast(data: Uint8Array): void {
    for (const p of this.net.peerIds()) if (p !== this.peerId) this.net.send(this.peerId, p, data);
  }

  sendTo(peerId: string, data: Uint8Array): void {
    this.net.send(this.peerId, peerId, data);
  }

  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    return this.net.subscribe(this.peerId, handler);
  }
}
