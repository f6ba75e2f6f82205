/**
 * A typed view of one bucket of a KeyValueStore: keys and values go through one codec each, so a
 * record kind is encoded in exactly one place. Writes can be applied at once or returned as batch
 * operations, for stores that commit everything a block produced in one atomic batch.
 */
import type { Bucket } from './buckets.ts';
import type { BatchOp, KeyValueStore } from './interface.ts';
import { prefixEnd } from './level.ts';

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export class Repository<K, V> {
  readonly bucket: Bucket;
  private readonly db: KeyValueStore;
  private readonly keyCodec: Codec<K>;
  private readonly valueCodec: Codec<V>;

  constructor(db: KeyValueStore, bucket: Bucket, keyCodec: Codec<K>, valueCodec: Codec<V>) {
    this.db = db;
    this.bucket = bucket;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
  }

  /** `bucket ‖ encoded key`. */
  key(k: K): Uint8Array {
    const suffix = this.keyCodec.encode(k);
    const out = new Uint8Array(1 + suffix.length);
    out[0] = this.bucket.id;
    out.set(suffix, 1);
    return out;
  }

  decodeKey(key: Uint8Array): K {
    if (key[0] !== this.bucket.id) throw new Error(`key of bucket 0x${key[0]?.toString(16)} read as ${this.bucket.owner}'s 0x${this.bucket.id.toString(16)}`);
    return this.keyCodec.decode(key.subarray(1));
  }

  async get(k: K): Promise<V | undefined> {
    const raw = await this.db.get(this.key(k));
    return raw === undefined ? undefined : this.valueCodec.decode(raw);
  }

  async getMany(ks: readonly K[]): Promise<(V | undefined)[]> {
    const raws = await this.db.getMany(ks.map((k) => this.key(k)));
    return raws.map((r) => (r === undefined ? undefined : this.valueCodec.decode(r)));
  }

  async has(k: K): Promise<boolean> {
    return (await this.db.get(this.key(k))) !== undefined;
  }

  put(k: K, v: V): Promise<void> {
    return this.db.put(this.key(k), this.valueCodec.encode(v));
  }

  del(k: K): Promise<void> {
    return this.db.del(this.key(k));
  }

  putOp(k: K, v: V): BatchOp {
    return { type: 'put', key: this.key(k), value: this.valueCodec.encode(v) };
  }

  delOp(k: K): BatchOp {
    return { type: 'del', key: this.key(k) };
  }

  /**
   * Entries in key order. Bounds are keys of this bucket (`gte` inclusive, `lt` exclusive), or raw
   * key prefixes through `prefix` (every key that starts with `bucket ‖ prefix`).
   */
  async *entries(range: { gte?: K; lt?: K; prefix?: Uint8Array; reverse?: boolean; limit?: number } = {}): AsyncIterable<[K, V]> {
    const base = Uint8Array.of(this.bucket.id);
    const lo = range.gte !== undefined ? this.key(range.gte) : range.prefix ? concat(base, range.prefix) : base;
    const hi = range.lt !== undefined ? this.key(range.lt) : prefixEnd(range.prefix ? concat(base, range.prefix) : base);
    const opts: { gte: Uint8Array; lt: Uint8Array; reverse?: boolean; limit?: number } = { gte: lo, lt: hi };
    if (range.reverse !== undefined) opts.reverse = range.reverse;
    if (range.limit !== undefined) opts.limit = range.limit;
    for await (const [k, v] of this.db.entries(opts)) yield [this.decodeKey(k), this.valueCodec.decode(v)];
  }

  async *values(range: { gte?: K; lt?: K; prefix?: Uint8Array; reverse?: boolean; limit?: number } = {}): AsyncIterable<V> {
    for await (const [, v] of this.entries(range)) yield v;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// ---- codecs ----------------------------------------------------------------------------------------

/** Raw bytes, as stored. */
export const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b.slice() };

/** Unsigned 64-bit big-endian (so numeric keys sort); numbers must be safe integers. */
export const u64Codec: Codec<number> = {
  encode(n) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`u64 key: ${n} is not a non-negative safe integer`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(n));
    return out;
  },
  decode(b) {
    if (b.length !== 8) throw new Error(`u64 key: expected 8 bytes, got ${b.length}`);
    return Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0));
  },
};

export const u64BigCodec: Codec<bigint> = {
  encode(n) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, n);
    return out;
  },
  decode(b) {
    if (b.length !== 8) throw new Error(`u64 key: expected 8 bytes, got ${b.length}`);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  },
};

/** UTF-8 text. */
export const stringCodec: Codec<string> = { encode: (s) => new TextEncoder().encode(s), decode: (b) => new TextDecoder().decode(b) };

/** JSON with bigints written as decimal strings (the reader's shape converts them back where it needs to). */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (v) => new TextEncoder().encode(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))),
    decode: (b) => JSON.parse(new TextDecoder().decode(b)) as T,
  };
}
