/**
 * One door into the txpool, for throughput. RPC handlers and gossip validation call it concurrently
 * (an RPC batch of 500 is 500 single-transaction calls); whatever arrives while an `addRaw` is running
 * is coalesced into the next one, so senders are recovered in one verifier batch per call instead of
 * one small task per transaction. The pool does not need it for correctness: its state checks and
 * insertion run synchronously after the awaited account refresh.
 */
import type { TxPoolApi } from '../bttc/txpool/interface.ts';

type AddResult = Awaited<ReturnType<TxPoolApi['addRaw']>>[number];

export class TxIntake {
  private readonly pool: Pick<TxPoolApi, 'addRaw' | 'addChecked'>;
  private waiting: { raws: Uint8Array[]; resolve: (r: AddResult[]) => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | null = null;

  constructor(pool: Pick<TxPoolApi, 'addRaw' | 'addChecked'>) {
    this.pool = pool;
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
}
