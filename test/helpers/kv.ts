/** A KeyValueStore that hands every call to another one: tests extend it to watch or fail one kind of call. */
import type { BatchOp, KeyValueStore } from '../../src/db/interface.ts';

export class PassThroughStore implements KeyValueStore {
  readonly inner: KeyValueStore;
  constructor(inner: KeyValueStore) {
    this.inner = inner;
  }
  get(k: Uint8Array) {
    return this.inner.get(k);
  }
  getMany(k: Uint8Array[]) {
    return this.inner.getMany(k);
  }
  put(k: Uint8Array, v: Uint8Array) {
    return this.inner.put(k, v);
  }
  del(k: Uint8Array) {
    return this.inner.del(k);
  }
  batch(ops: BatchOp[]) {
    return this.inner.batch(ops);
  }
  entries(r: { gte: Uint8Array; lt: Uint8Array; reverse?: boolean; limit?: number }) {
    return this.inner.entries(r);
  }
  close() {
    return this.inner.close();
  }
}
