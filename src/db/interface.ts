/**
 * Storage conventions (from Lodestar): one key prefix (a single byte "bucket") per entity, numeric
 * keys big-endian so ranges sort, and one atomic batch per block.
 */
export interface KeyValueStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  del(key: Uint8Array): Promise<void>;
  batch(ops: BatchOp[]): Promise<void>;
  /** Entries with gte <= key < lt, in key order. */
  entries(range: { gte: Uint8Array; lt: Uint8Array; reverse?: boolean; limit?: number }): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };
