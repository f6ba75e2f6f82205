import { ClassicLevel } from 'classic-level';
import type { BatchOp, KeyValueStore } from './interface.ts';

export class LevelOpenError extends Error {
  override name = 'LevelOpenError';
}

/** classic-level (LevelDB) on disk, binary keys and values. */
export class LevelStore implements KeyValueStore {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.db = db;
  }

  /**
   * Opens (or, unless `createIfMissing` is false, creates) the database. LevelDB's "Database failed
   * to open" is turned into the cause: held by another process, missing (a deleted CURRENT file
   * makes LevelDB see no database at all), or corrupt.
   */
  static async open(path: string, opts: { createIfMissing?: boolean } = {}): Promise<LevelStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: opts.createIfMissing ?? true });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.message ?? (err as Error).message;
      if (cause?.code === 'LEVEL_LOCKED') throw new LevelOpenError(`database ${path} is held by another process (${detail}): is another bttc-node using this data dir?`);
      if (/does not exist/.test(detail))
        throw new LevelOpenError(`database ${path} is missing or lost its CURRENT file (${detail}), but this data dir was initialised before: restore it, or remove the data dir to start over`);
      if (cause?.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(detail)) throw new LevelOpenError(`database ${path} is corrupt: ${detail}`);
      throw new LevelOpenError(`database ${path} failed to open: ${detail}`);
    }
    return new LevelStore(db);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.db.get(key)) ?? undefined;
  }

  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return (await this.db.getMany(keys)).map((v) => v ?? undefined);
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.db.put(key, value);
  }

  del(key: Uint8Array): Promise<void> {
    return this.db.del(key);
  }

  batch(ops: BatchOp[]): Promise<void> {
    return this.db.batch(ops);
  }

  async *entries(range: { gte: Uint8Array; lt: Uint8Array; reverse?: boolean; limit?: number }): AsyncIterable<[Uint8Array, Uint8Array]> {
    for await (const [k, v] of this.db.iterator({ gte: range.gte, lt: range.lt, reverse: range.reverse ?? false, limit: range.limit ?? -1 })) yield [k, v];
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export function u64be(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** The exclusive upper bound of every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error('prefixEnd: prefix is all 0xff');
}
