/**
 * On-disk layout of the Bttc records in the node db, pinned byte for byte (existing data directories
 * must still open): Bor snapshots and pooled transactions. Expected bytes are written by hand from
 * the layout in src/db/buckets.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from '../../src/db/level.ts';
import { SnapshotManager } from '../../src/bttc/engine/snapshot.ts';
import { headerHash } from '../../src/bttc/engine/header.ts';
import { borProducerSetFactory } from '../../src/bttc/engine/valset.ts';
import { PoolStore } from '../../src/bttc/txpool/store.ts';
import { equalBytes } from '../../src/util/bytes.ts';
import { beHex, hexOf, rawEntries } from '../db/raw.ts';
import { genesisHeader, makeSigners, MemHeaders, producersOf, sealedChild } from './helpers.ts';

async function withDb(fn: (db: LevelStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bttc-layout-'));
  const db = await LevelStore.open(dir);
  try {
    await fn(db, dir);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('Bor snapshots: 0xb0 ‖ sprint-end block hash → number (u64) ‖ serialized producer set', async () => {
  await withDb(async (db) => {
    const signers = makeSigners(3);
    const producers = producersOf(signers);
    const headers = new MemHeaders();
    const genesis = genesisHeader();
    headers.add(genesis);
    const snaps = new SnapshotManager({ sprint: 4, genesisProducers: producers }, { factory: borProducerSetFactory, headers, db });
    const chain = [genesis];
    let parent = genesis;
    for (let n = 1; n <= 8; n++) {
      const snap = await snaps.snapshotAfter(parent);
      const proposer = signers.find((s) => equalBytes(s.address, snap.set.proposer()))!;
      parent = sealedChild(parent, proposer, { time: parent.time + 6n, difficulty: 5n, sprint: 4, nextProducers: producers });
      headers.add(parent);
      chain.push(parent);
    }
    const last = await snaps.snapshotAfter(parent);
    const raw = await rawEntries(db);
    // Sprint ends of sprint 4 up to block 8: blocks 3 and 7.
    const h3 = hexOf(headerHash(chain[3]!));
    const h7 = hexOf(headerHash(chain[7]!));
    assert.deepEqual([...raw.keys()].sort(), [`b0${h3}`, `b0${h7}`].sort());
    const s7 = await snaps.snapshotAfter(chain[7]!);
    assert.equal(raw.get(`b0${h7}`), beHex(7, 8) + hexOf(s7.set.serialize()));
    assert.ok(equalBytes(last.set.proposer(), s7.set.proposer()), 'block 8 is no sprint end: the set after it is the one after block 7');
  });
});

test('txpool: 0xb1 ‖ tx hash → sender (20) ‖ seq (u64) ‖ raw; a record too short is skipped on load', async () => {
  await withDb(async (db) => {
    const store = new PoolStore(db);
    const hash = new Uint8Array(32).fill(0x11);
    const sender = new Uint8Array(20).fill(0x22);
    const raw = Uint8Array.of(0xf8, 0x01, 0x02);
    await store.put({ hash, sender, seq: 258, raw });
    const short = new Uint8Array(32).fill(0x33);
    await db.put(Uint8Array.of(0xb1, ...short), new Uint8Array(27));
    const entries = await rawEntries(db);
    assert.deepEqual([...entries.keys()], [`b1${hexOf(hash)}`, `b1${hexOf(short)}`]);
    assert.equal(entries.get(`b1${hexOf(hash)}`), '22'.repeat(20) + beHex(258, 8) + 'f80102');
    const loaded: string[] = [];
    for await (const tx of store.load()) loaded.push(`${hexOf(tx.hash)}/${hexOf(tx.sender)}/${tx.seq}/${hexOf(tx.raw)}`);
    assert.deepEqual(loaded, [`${hexOf(hash)}/${hexOf(sender)}/258/f80102`]);
    store.del(hash); // deletions are written lazily (store.ts); settle writes them now
    await store.settle();
    assert.deepEqual([...(await rawEntries(db)).keys()], [`b1${hexOf(short)}`]);
  });
});
