/**
 * A read-through view of the executor's own StateDb for its in-process calls: reads come from the
 * StateDb, writes (a call's scratch trie nodes) stay here and are dropped by `clearLocal()`, so a call
 * never touches stored state.
 */
import type { BatchDBOp, DB } from '@ethereumjs/util';
import type { StateDb } from '../stateDb.ts';

/** A DB whose writes are scratch: what CallRunner runs on (OverlayDb in-process, RemoteNodeDb in a call worker). */
export interface ScratchDb extends DB<string, string | Uint8Array> {
  clearLocal(): void;
}

/** Where an overlay's misses are read: the executor's StateDb, or a call worker's shared node fetcher. */
export interface NodeReader {
  get(key: string): Promise<Uint8Array | undefined>;
}

export class OverlayDb implements ScratchDb {
  protected readonly base: NodeReader;
  protected local = new Map<string, string | Uint8Array>();
  constructor(base: NodeReader | StateDb) {
    this.base = base;
  }
  async get(key: string): Promise<string | Uint8Array | undefined> {
    return this.local.get(key) ?? this.base.get(key);
  }
  async put(key: string, value: string | Uint8Array): Promise<void> {
    this.local.set(key, value);
  }
  async del(_key: string): Promise<void> {}
  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.local.set(op.key, op.value as string | Uint8Array);
  }
  shallowCopy(): DB<string, string | Uint8Array> {
    return this;
  }
  async open(): Promise<void> {}
  clearLocal(): void {
    this.local.clear();
  }
}
