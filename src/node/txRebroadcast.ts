/**
 * Re-announces transactions that sit in our pool. Gossip is fire-and-forget: a transaction published
 * while we had no mesh peers (a node that restarts with a reloaded pool, a follower cut off for a
 * while) is otherwise known to us alone, and on a follower, which never seals, it would wait forever.
 *
 * Each round looks at the best `maxScan` executable transactions and publishes, up to `maxPerRound`,
 * those that were already among them one round earlier, so a transaction is re-announced only after
 * a full interval without being included. Peers that already hold one drop it after a hash lookup.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { counter } from '../observability/metrics.ts';

export interface RebroadcastPool {
  /** Executable transactions, best first (the order a block would try them). */
  pending(): Iterable<{ hashHex: string; raw: Uint8Array }>;
}

export interface TxRebroadcastOptions {
  intervalMs: number;
  maxPerRound: number;
  /** How many of the best pending transactions a round looks at (default 4 × maxPerRound). */
  maxScan?: number;
}

export class TxRebroadcaster {
  private readonly opts: Required<TxRebroadcastOptions>;
  private readonly deps: { pool: RebroadcastPool; publish: (raws: Uint8Array[]) => void; metrics?: Registry | null; logger?: Logger };
  private readonly sent: ReturnType<typeof counter> | null;
  private previous = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: TxRebroadcastOptions, deps: TxRebroadcaster['deps']) {
    if (!(opts.intervalMs > 0) || !(opts.maxPerRound > 0)) throw new Error('TxRebroadcaster: intervalMs and maxPerRound must be positive');
    this.opts = { maxScan: 4 * opts.maxPerRound, ...opts };
    this.deps = deps;
    this.sent = deps.metrics ? counter(deps.metrics, 'bttc_txpool_rebroadcast_total', 'Pool transactions re-announced after an interval without inclusion') : null;
  }

  start(): void {
    this.timer ??= setInterval(() => this.round(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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
