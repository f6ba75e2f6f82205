/**
 * A producer's TxSource over a test's own pool: counts `pending` reads (a producer waiting on an
 * empty pool must sleep, not poll) and lets the test announce arrivals as the real pool's onAdded does.
 */
import type { TxSource } from '../../src/bttc/producer/interface.ts';
import type { PoolTx } from '../../src/bttc/txpool/interface.ts';

export interface WatchedTxSource {
  source: TxSource;
  /** `pending` calls so far. */
  reads(): number;
  /** Tells every onAdded listener that transactions arrived. */
  added(): void;
}

/** `pending` returns what `snapshot` gives at the time of the call. */
export function watchedTxSource(snapshot: () => Iterable<PoolTx>): WatchedTxSource {
  const listeners = new Set<() => void>();
  let reads = 0;
  return {
    source: {
      pending: () => {
        reads++;
        return snapshot();
      },
      dropRejected: async () => ({ dropped: 0, kept: 0 }),
      onAdded: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    reads: () => reads,
    added: () => {
      for (const l of [...listeners]) l();
    },
  };
}
