/**
 * Chain and pool events for subscriptions and filters: the composition publishes after the chain store has the block
 * (`publish`, or `newHead` with a ready event) or after a reorg (`removedLogs`, the logs that left the
 * chain, sent as removed: true). A block's logs are read only while someone subscribes to logs:
 * locating them reads the block's body and receipts, which on a loaded node is a full block every
 * 2 s for nobody. Transactions the pool accepted come in through `pendingTxs` (wire it to
 * TxPool.onAdded).
 */
import { EventEmitter } from 'node:events';
import type { LocatedLog } from '../chain/interface.ts';
import { hashHeader } from '../evm/block.ts';
import type { HeaderFields } from '../evm/interface.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import type { HeadEvent, PendingTxEvent } from './interface.ts';

/** What `publish` reads from the chain store. */
export interface HeadSource {
  getHeader(hash: Uint8Array): Promise<HeaderFields | undefined>;
  getBlockLogs(hash: Uint8Array): Promise<LocatedLog[]>;
}

/** The HeadEvent of a stored canonical block; its logs located only when `withLogs`. */
export async function headEvent(chain: HeadSource, hash: Uint8Array, withLogs = true): Promise<HeadEvent> {
  const header = await chain.getHeader(hash);
  if (!header) throw new Error(`headEvent: block ${bytesToHex(hash)} is not stored`);
  if (!equalBytes(hashHeader(header), hash)) throw new Error('headEvent: header hash mismatch');
  return { hash, header, logs: withLogs ? await chain.getBlockLogs(hash) : [] };
}

export class ChainEvents {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(0);
  }

  /** Reads what the current subscribers need of a new canonical block and publishes it (nothing without subscribers). */
  async publish(chain: HeadSource, hash: Uint8Array): Promise<void> {
    const logs = this.ee.listenerCount('logs') > 0;
    if (!logs && this.ee.listenerCount('head') === 0) return;
    this.newHead(await headEvent(chain, hash, logs));
  }

  newHead(ev: HeadEvent): void {
    this.ee.emit('head', ev);
    if (ev.logs.length) this.ee.emit('logs', ev.logs);
  }

  /** Logs of blocks that left the canonical chain; follow with newHead for each added block. */
  removedLogs(logs: LocatedLog[]): void {
    if (logs.length)
      this.ee.emit(
        'removed',
        logs.map((l) => ({ ...l, removed: true })),
      );
  }

  onHead(cb: (ev: HeadEvent) => void): () => void {
    this.ee.on('head', cb);
    return () => this.ee.off('head', cb);
  }

  /** Logs of each new canonical block. */
  onLogs(cb: (logs: LocatedLog[]) => void): () => void {
    this.ee.on('logs', cb);
    return () => this.ee.off('logs', cb);
  }

  onRemovedLogs(cb: (logs: LocatedLog[]) => void): () => void {
    this.ee.on('removed', cb);
    return () => this.ee.off('removed', cb);
  }

  /** Transactions newly accepted into the pool, one call per intake batch. */
  pendingTxs(txs: readonly PendingTxEvent[]): void {
    if (txs.length) this.ee.emit('pending', txs);
  }

  onPendingTxs(cb: (txs: readonly PendingTxEvent[]) => void): () => void {
    this.ee.on('pending', cb);
    return () => this.ee.off('pending', cb);
  }
}
