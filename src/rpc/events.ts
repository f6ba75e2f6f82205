/**
 * Chain events for subscriptions: the composition publishes after the chain store has the block
 * (`newHead`) or after a reorg (`reorg`, with the logs that left the chain, sent as removed: true).
 */
import { EventEmitter } from 'node:events';
import type { LocatedLog } from '../chain/interface.ts';
import type { HeadEvent } from './interface.ts';

export class ChainEvents {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(0);
  }

  newHead(ev: HeadEvent): void {
    this.ee.emit('head', ev);
  }

  /** Logs of blocks that left the canonical chain; follow with newHead for each added block. */
  removedLogs(logs: LocatedLog[]): void {
    if (logs.length) this.ee.emit('removed', logs.map((l) => ({ ...l, removed: true })));
  }

  onHead(cb: (ev: HeadEvent) => void): () => void {
    this.ee.on('head', cb);
    return () => this.ee.off('head', cb);
  }

  onRemovedLogs(cb: (logs: LocatedLog[]) => void): () => void {
    this.ee.on('removed', cb);
    return () => this.ee.off('removed', cb);
  }
}
