/**
 * Re-announces transactions that sit in our pool. Gossip is fire-and-forget: a transaction published
 * while we had no mesh peers (a node that restarts with a reloaded pool, a follower cut off for a
 * while) is otherwise known to us alone, and on a follower, which never seals, it would wait forever.
 *
 * Each round looks at the best `maxScan` executable transactions and publishes, up to `maxPerRound`,
 * those that were already among them one round earlier, so a transaction is re-announced only after
 * a full interval without being included. Peers that already hold one drop it after a hash lookup.
 *
 * A peer that connects gets the best `maxPerRound` at once (after `connectDebounceMs`, so that its
 * gossip subscriptions have arrived and a burst of connections costs one announcement): a node
 * that restarts with a reloaded pool, or took a transaction while it had no peers, would otherwise
 * keep it to itself until two intervals had passed.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { counter } from '../observability/metrics.ts';

export interface RebroadcastPool {
  /** Executable transactions, best first (the order a block would try them). */
  pending(): Iterable<{ hashHex: string; raw: Uint8Array }>;
}

/** What the rebroadcaster needs of the network: connections (the Network satisfies it). */
export interface PeerConnections {
  on(event: 'peer:connect', fn: () => void): unknown;
  off(event: 'peer:connect', fn: () => void): unknown;
  connectedPeers(): string[];
}

export interface TxRebroadcastOptions {
  intervalMs: number;
  maxPerRound: number;
  /** How many of the best pending transactions a round looks at (default 4 × maxPerRound). */
  maxScan?: number;
  /** Wait after a peer connects before announcing (default 2000 ms); connections within it share one announcement. */
  connectDebounceMs?: number;
}

export class TxRebroadcaster {
  private readonly opts: Required<TxRebroadcastOptions>;
  private readonly deps: {
    pool: RebroadcastPool;
    publish: (raws: Uint8Array[]) => void;
    /** Announces on every new connection when given. */
    peers?: PeerConnections | null;
    metrics?: Registry | null;
    logger?: Logger;
  };
  private readonly sent: ReturnType<typeof counter> | null;
  private readonly onConnectSent: ReturnType<typeof counter> | null;
  private previous = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private readonly onConnect = () => this.peerConnected();

  constructor(opts: TxRebroadcastOptions, deps: TxRebroadcaster['deps']) {
    if (!(opts.intervalMs > 0) || !(opts.maxPerRound > 0)) throw new Error('TxRebroadcaster: intervalMs and maxPerRound must be positive');
    this.opts = { maxScan: 4 * opts.maxPerRound, connectDebounceMs: 2000, ...opts };
    this.deps = deps;
    this.sent = deps.metrics ? counter(deps.metrics, 'bttc_txpool_rebroadcast_total', 'Pool transactions re-announced after an interval without inclusion') : null;
    this.onConnectSent = deps.metrics ? counter(deps.metrics, 'bttc_txpool_announced_on_connect_total', 'Pool transactions announced because a peer connected') : null;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.round(), this.opts.intervalMs);
    this.timer.unref();
    const peers = this.deps.peers;
    if (!peers) return;
    peers.on('peer:connect', this.onConnect);
    // Peers that connected before we started (during the start's sync) have not heard our pool either.
    if (peers.connectedPeers().length > 0) this.peerConnected();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.deps.peers?.off('peer:connect', this.onConnect);
  }

  /** A peer connected: announce once the debounce has passed (later connections within it join this one). */
  peerConnected(): void {
    if (this.connectTimer || !this.timer) return;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      this.announce();
    }, this.opts.connectDebounceMs);
    this.connectTimer.unref();
  }

  /** Publishes the best `maxPerRound` pending transactions now; returns how many. */
  announce(): number {
    const out: Uint8Array[] = [];
    for (const tx of this.deps.pool.pending()) {
      if (out.length >= this.opts.maxPerRound) break;
      out.push(tx.raw);
    }
    if (out.length) {
      this.deps.publish(out);
      this.onConnectSent?.inc(out.length);
      this.deps.logger?.debug({ count: out.length }, 'pool transactions announced to a new peer');
    }
    return out.length;
  }

  /** One round; returns how many transactions it re-announced. */
  round(): number {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    for (const tx of this.deps.pool.pending()) {
      if (seen.size >= this.opts.maxScan) break;
      seen.add(tx.hashHex);
      if (out.length < this.opts.maxPerRound && this.previous.has(tx.hashHex)) out.push(tx.raw);
    }
    this.previous = seen;
    if (out.length) {
      this.deps.publish(out);
      this.sent?.inc(out.length);
      this.deps.logger?.debug({ count: out.length }, 'pool transactions re-announced');
    }
    return out.length;
  }
}
