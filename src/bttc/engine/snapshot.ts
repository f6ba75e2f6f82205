/**
 * Bor's snapshot: the producer set (with proposer priorities) in force after a given block. It
 * changes only at sprint ends, where the header's producer list replaces the set and the proposer
 * priority moves once (Bor's `snapshot.apply`). Snapshots are shared objects keyed by block hash;
 * those at sprint ends are persisted so a restart does not replay the chain from genesis.
 */
import type { KeyValueStore } from '../../db/interface.ts';
import { bucketKey } from '../../db/level.ts';
import { bytesToHex, equalBytes } from '../../util/bytes.ts';
import { LruCache } from '../util/lru.ts';
import { BUCKET_BOR_SNAPSHOT } from '../buckets.ts';
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
  private readonly db: KeyValueStore | null;
  private readonly cache: LruCache<string, Snapshot>;
  private genesis: Snapshot | null = null;

  constructor(opts: SnapshotManagerOptions, deps: { factory: ProposerSetFactory; headers: HeaderReader; db?: KeyValueStore | null }) {
    this.opts = opts;
    this.factory = deps.factory;
    this.headers = deps.headers;
    this.db = deps.db ?? null;
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
    if (this.db && writes.length) await this.db.batch(writes.map((s) => ({ type: 'put' as const, key: bucketKey(BUCKET_BOR_SNAPSHOT, s.hash), value: encodeSnapshot(s) })));
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
    if (!this.db) return undefined;
    const raw = await this.db.get(bucketKey(BUCKET_BOR_SNAPSHOT, hash));
    if (!raw) return undefined;
    const snap = decodeSnapshot(raw, hash, this.factory);
    this.cache.set(bytesToHex(hash), snap);
    return snap;
  }
}

function encodeSnapshot(s: Snapshot): Uint8Array {
  const set = s.set.serialize();
  const out = new Uint8Array(8 + set.length);
  new DataView(out.buffer).setBigUint64(0, s.number);
  out.set(set, 8);
  return out;
}

function decodeSnapshot(raw: Uint8Array, hash: Uint8Array, factory: ProposerSetFactory): Snapshot {
  if (raw.length < 8) throw new Error(`snapshot ${bytesToHex(hash)}: stored record is ${raw.length} bytes`);
  const number = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(0);
  return { number, hash, set: factory.restore(raw.subarray(8)) };
}
