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

  /** Several records in one atomic batch. */
  putMany(records: readonly (readonly [K, V])[]): Promise<void> {
    return this.db.batch(records.map(([k, v]) => this.putOp(k, v)));
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

/** A codec whose encoding always has `width` bytes: it can stand anywhere in a tuple key. */
export interface FixedCodec<T> extends Codec<T> {
  readonly width: number;
}

/** Raw bytes, as stored. */
export const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b.slice() };

/** Bytes of one length (a hash, an address); any other length is refused both ways. */
export function fixedBytesCodec(width: number): FixedCodec<Uint8Array> {
  return {
    width,
    encode(b) {
      if (b.length !== width) throw new Error(`${width}-byte key: got ${b.length} bytes`);
      return b;
    },
    decode(b) {
      if (b.length !== width) throw new Error(`${width}-byte key: stored ${b.length} bytes`);
      return b.slice();
    },
  };
}

/** Unsigned 64-bit big-endian (so numeric keys sort); numbers must be safe integers. */
export const u64Codec: FixedCodec<number> = {
  width: 8,
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

export const u64BigCodec: FixedCodec<bigint> = {
  width: 8,
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

/** Unsigned 32-bit big-endian. */
export const u32Codec: FixedCodec<number> = {
  width: 4,
  encode(n) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new Error(`u32 key: ${n} is out of range`);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, n);
    return out;
  },
  decode(b) {
    if (b.length !== 4) throw new Error(`u32 key: expected 4 bytes, got ${b.length}`);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  },
};

/** One byte. */
export const u8Codec: FixedCodec<number> = {
  width: 1,
  encode(n) {
    if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new Error(`u8 key: ${n} is out of range`);
    return Uint8Array.of(n);
  },
  decode(b) {
    if (b.length !== 1) throw new Error(`u8 key: expected 1 byte, got ${b.length}`);
    return b[0]!;
  },
};

type CodecsOf<T extends readonly unknown[]> = { readonly [I in keyof T]: Codec<T[I]> };

/**
 * Parts written one after the other (`a ‖ b ‖ c`), so a range over the leading parts is a key prefix.
 * Every part but the last must be fixed-width (that is how decoding finds the boundaries); the last
 * may be variable and takes the rest.
 */
export function tupleCodec<T extends readonly unknown[]>(...parts: CodecsOf<T>): Codec<T> {
  const codecs = parts as readonly Codec<unknown>[];
  if (codecs.length === 0) throw new Error('tuple key: no parts');
  const widths = codecs.map((c) => ('width' in c && typeof c.width === 'number' ? c.width : undefined));
  widths.slice(0, -1).forEach((w, i) => {
    if (w === undefined) throw new Error(`tuple key: part ${i} is not fixed-width, only the last part may be`);
  });
  const last = codecs.length - 1;
  return {
    encode(v) {
      const chunks = codecs.map((c, i) => c.encode(v[i]));
      let len = 0;
      for (const c of chunks) len += c.length;
      const out = new Uint8Array(len);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.length;
      }
      return out;
    },
    decode(b) {
      const out: unknown[] = [];
      let off = 0;
      for (let i = 0; i < last; i++) {
        const w = widths[i]!;
        if (off + w > b.length) throw new Error(`tuple key: ${b.length} bytes end inside part ${i}`);
        out.push(codecs[i]!.decode(b.subarray(off, off + w)));
        off += w;
      }
      out.push(codecs[last]!.decode(b.subarray(off)));
      return out as unknown as T;
    },
  };
}

/** A record whose key says everything: the value is the single byte 0x01. */
const PRESENT = Uint8Array.of(1);
export const presenceCodec: Codec<true> = {
  // One shared array: batch values are only read, never changed.
  encode: () => PRESENT,
  decode: () => true,
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
