/**
 * Bor's snapshot: the producer set (with proposer priorities) in force after a given block. It
 * changes only at sprint ends, where the header's producer list replaces the set and the proposer
 * priority moves once (Bor's `snapshot.apply`). Snapshots are shared objects keyed by block hash;
 * those at sprint ends are persisted so a restart does not replay the chain from genesis.
 */
import { BUCKETS } from '../../db/buckets.ts';
import type { KeyValueStore } from '../../db/interface.ts';
import { fixedBytesCodec, Repository, type Codec } from '../../db/repository.ts';
import { bytesToHex, equalBytes } from '../../util/bytes.ts';
import { LruCache } from '../util/lru.ts';
import { decodeProducers, isSprintEnd, parseExtra } from './extra.ts';
import { headerHash } from './header.ts';
import type { HeaderReader, ProposerSet, ProposerSetFactory } from './interface.ts';
import type { BttcHeader, ProducerEntry } from './types.ts';

export interface Snapshot {
  number: bigint;
  hash: Uint8Array;
  set: ProposerSet;
}

/** The set after `header`, given the set after its parent. */
export function applyHeader(parentSet: ProposerSet, header: BttcHeader, sprint: number): ProposerSet {
  if (header.number === 0n || !isSprintEnd(header.number, sprint)) return parentSet;
  const { producerBytes } = parseExtra(header.extra, header.number, sprint);
  return parentSet.next(decodeProducers(producerBytes));
}

export interface SnapshotManagerOptions {
  sprint: number;
  /** Span 0's producers: the set at genesis (Bor reads them from the contract for block 1). */
  genesisProducers: readonly ProducerEntry[];
  cacheSize?: number;
}

export class SnapshotManager {
  private readonly opts: SnapshotManagerOptions;
  private readonly factory: ProposerSetFactory;
  private readonly headers: HeaderReader;
  /** Persisted sprint-end snapshots: block hash(32) → number(u64) ‖ serialized producer set. */
  private readonly stored: Repository<Uint8Array, StoredSnapshot> | null;
  private readonly cache: LruCache<string, Snapshot>;
  private genesis: Snapshot | null = null;

  constructor(opts: SnapshotManagerOptions, deps: { factory: ProposerSetFactory; headers: HeaderReader; db?: KeyValueStore | null }) {
    this.opts = opts;
    this.factory = deps.factory;
    this.headers = deps.headers;
    this.stored = deps.db ? new Repository(deps.db, BUCKETS.borSnapshot, fixedBytesCodec(32), snapshotCodec(deps.factory)) : null;
    this.cache = new LruCache(opts.cacheSize ?? 8192);
  }

  /** The snapshot after `header` (what block header.number + 1 is verified against). */
  async snapshotAfter(header: BttcHeader, hash: Uint8Array = headerHash(header)): Promise<Snapshot> {
    const hit = this.cache.get(bytesToHex(hash));
    if (hit) return hit;
    // Walk back to a known snapshot, then apply forward: iterative so a cold start cannot overflow the stack.
    const pending: { header: BttcHeader; hash: Uint8Array }[] = [];
    let cur = header;
    let curHash = hash;
    let base: Snapshot | undefined;
    for (;;) {
      const key = bytesToHex(curHash);
      base = this.cache.get(key) ?? (await this.load(curHash));
      if (base) break;
      if (cur.number === 0n) {
        base = this.genesisSnapshot(cur, curHash);
        break;
      }
      pending.push({ header: cur, hash: curHash });
      const parent = await this.headers.getHeaderByHash(cur.parentHash);
      if (!parent) throw new Error(`snapshot: missing parent ${bytesToHex(cur.parentHash)} of block ${cur.number}`);
      if (parent.number + 1n !== cur.number) throw new Error(`snapshot: parent of block ${cur.number} has number ${parent.number}`);
      curHash = cur.parentHash;
      cur = parent;
    }
    let snap = base;
    const writes: Snapshot[] = [];
    for (let i = pending.length - 1; i >= 0; i--) {
      const { header: h, hash: hh } = pending[i]!;
      const set = applyHeader(snap.set, h, this.opts.sprint);
      snap = { number: h.number, hash: hh, set };
      this.cache.set(bytesToHex(hh), snap);
      if (isSprintEnd(h.number, this.opts.sprint)) writes.push(snap);
    }
    if (this.stored && writes.length) await this.stored.putMany(writes.map((s) => [s.hash, s]));
    return snap;
  }

  private genesisSnapshot(header: BttcHeader, hash: Uint8Array): Snapshot {
    if (this.genesis && equalBytes(this.genesis.hash, hash)) return this.genesis;
    if (this.opts.genesisProducers.length === 0) throw new Error('snapshot: no genesis producers configured');
    this.genesis = { number: header.number, hash, set: this.factory.create(this.opts.genesisProducers) };
    this.cache.set(bytesToHex(hash), this.genesis);
    return this.genesis;
  }

  private async load(hash: Uint8Array): Promise<Snapshot | undefined> {
    if (!this.stored) return undefined;
    let stored: StoredSnapshot | undefined;
    try {
      stored = await this.stored.get(hash);
    } catch (err) {
      // The record does not carry its own hash (it is the key): name it here.
      throw new Error(`snapshot ${bytesToHex(hash)}: ${(err as Error).message}`, { cause: err });
    }
    if (!stored) return undefined;
    const snap: Snapshot = { number: stored.number, hash, set: stored.set };
    this.cache.set(bytesToHex(hash), snap);
    return snap;
  }
}

/** A snapshot as stored: its hash is the key. */
type StoredSnapshot = Pick<Snapshot, 'number' | 'set'>;

/** `number(u64) ‖ serialized set`; decoding needs the factory that restores a set. */
function snapshotCodec(factory: ProposerSetFactory): Codec<StoredSnapshot> {
  return {
    encode(s) {
      const set = s.set.serialize();
      const out = new Uint8Array(8 + set.length);
      new DataView(out.buffer).setBigUint64(0, s.number);
      out.set(set, 8);
      return out;
    },
    decode(raw) {
      if (raw.length < 8) throw new Error(`stored record is ${raw.length} bytes`);
      const number = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(0);
      return { number, set: factory.restore(raw.subarray(8)) };
    },
  };
}
