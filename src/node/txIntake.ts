/**
 * One door into the txpool, for throughput. RPC handlers and gossip validation call it concurrently
 * (an RPC batch of 500 is 500 single-transaction calls); whatever arrives while an `addRaw` is running
 * is coalesced into the next one, so senders are recovered in one verifier batch per call instead of
 * one small task per transaction. The pool does not need it for correctness: its state checks and
 * insertion run synchronously after the awaited account refresh.
 *
 * Block import first: while a gossiped block is queued or importing (`importsSettled`), raw
 * transactions wait before their pool batch starts (sender recovery, journal write, account refresh
 * on the executor thread), at most `maxHoldMs` in all, so an RPC node under a burst of
 * eth_sendRawTransaction gives the main thread and the executor to the import that decides when it
 * shows the new head. Callers still get the pool's answer (accepted, or the refusal with its reason),
 * only later; gossiped transactions (`addChecked`) are not held.
 */
import type { TxPoolApi } from '../bttc/txpool/interface.ts';
import { histogram, SECONDS_BUCKETS, type Registry } from '../observability/metrics.ts';

type AddResult = Awaited<ReturnType<TxPoolApi['addRaw']>>[number];

export interface TxIntakeOptions {
  /** Longest a batch of raw transactions waits for block imports to finish (default 1000 ms). */
  maxHoldMs?: number;
}

export interface TxIntakeDeps {
  /** Null when no block import is queued or running, else a promise settling when those are through (BttcLayer.importsSettled). */
  importsSettled?: () => Promise<void> | null;
  metrics?: Registry | null;
}

export const DEFAULT_MAX_HOLD_MS = 1000;

export class TxIntake {
  private readonly pool: Pick<TxPoolApi, 'addRaw' | 'addChecked'>;
  private readonly importsSettled: (() => Promise<void> | null) | null;
  private readonly maxHoldMs: number;
  private readonly held: ReturnType<typeof histogram> | null;
  private waiting: { raws: Uint8Array[]; resolve: (r: AddResult[]) => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | null = null;

  constructor(pool: Pick<TxPoolApi, 'addRaw' | 'addChecked'>, opts: TxIntakeOptions = {}, deps: TxIntakeDeps = {}) {
    this.pool = pool;
    this.importsSettled = deps.importsSettled ?? null;
    this.maxHoldMs = opts.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    if (!(this.maxHoldMs >= 0)) throw new RangeError(`TxIntake maxHoldMs must be ≥ 0, got ${opts.maxHoldMs}`);
    this.held = deps.metrics
      ? histogram(deps.metrics, 'bttc_txintake_import_hold_seconds', 'Time a batch of raw transactions waited for block imports before entering the txpool (only batches that waited)', SECONDS_BUCKETS)
      : null;
  }

  /** Decoded transactions with recovered senders (gossip): nothing left to batch, straight to the pool. */
  addChecked(txs: Parameters<TxPoolApi['addChecked']>[0]): Promise<AddResult[]> {
    return this.pool.addChecked(txs);
  }

  add(raws: Uint8Array[]): Promise<AddResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ raws, resolve, reject });
      this.running ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length) {
      await this.yieldToImports();
      const group = this.waiting;
      this.waiting = [];
      const all = group.flatMap((g) => g.raws);
      try {
        const res = await this.pool.addRaw(all);
        let off = 0;
        for (const g of group) {
          g.resolve(res.slice(off, off + g.raws.length));
          off += g.raws.length;
        }
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.running = null;
  }

  /** Waits while block imports are queued or running, at most maxHoldMs. */
  private async yieldToImports(): Promise<void> {
    let busy = this.importsSettled?.() ?? null;
    if (!busy) return;
    const t0 = performance.now();
    const deadline = t0 + this.maxHoldMs;
    while (busy) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([busy, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
      busy = this.importsSettled?.() ?? null;
    }
    this.held?.observe((performance.now() - t0) / 1000);
  }
}
