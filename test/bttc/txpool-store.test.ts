import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelStore } from '../../src/db/level.ts';
import type { BatchOp, KeyValueStore } from '../../src/db/interface.ts';
import { DEL_FLUSH_MS, JOURNAL_WRITE_INTERVAL_MS, PoolStore, type StoredTx } from '../../src/bttc/txpool/store.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

/** The real LevelStore, with every batch it is given recorded. */
function recording(db: LevelStore, gate?: Promise<void>): { store: KeyValueStore; batches: BatchOp[][]; at: number[] } {
  const batches: BatchOp[][] = [];
  const at: number[] = [];
  const store: KeyValueStore = {
    get: (k) => db.get(k),
    getMany: (k) => db.getMany(k),
    put: (k, v) => db.put(k, v),
    del: (k) => db.del(k),
    batch: (ops) => {
      batches.push(ops);
      at.push(performance.now());
      // The first write is held until `gate` opens: a slow disk, so later puts find it in flight.
      return batches.length === 1 && gate ? gate.then(() => db.batch(ops)) : db.batch(ops);
    },
    entries: (r) => db.entries(r),
    close: () => db.close(),
  };
  return { store, batches, at };
}

const rec = (i: number): StoredTx => ({ hash: new Uint8Array(32).fill(i), sender: new Uint8Array(20).fill(i), seq: i, raw: new Uint8Array([0xc0 + (i % 32), i]) });

async function stored(db: KeyValueStore): Promise<number[]> {
  const out: number[] = [];
  for await (const t of new PoolStore(db).load()) out.push(t.seq);
  return out.sort((a, b) => a - b);
}

test('a put resolves only once its record is on disk; puts made while a write runs share the next batch', async (t) => {
  const db = await LevelStore.open(tempDir(t, 'bttc-poolstore'));
  let open!: () => void;
  const { store, batches } = recording(
    db,
    new Promise<void>((r) => {
      open = r;
    }),
  );
  const s = new PoolStore(store);
  let firstDone = false;
  const first = s.put(rec(1)).then(() => (firstDone = true));
  await until('the first write started', 5000, () => batches.length === 1, 5);
  const later = [2, 3, 4].map((i) => s.put(rec(i)));
  await new Promise((r) => setImmediate(r));
  later.push(s.put(rec(5)));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(firstDone, false, 'not acknowledged before it is on disk');
  assert.equal(batches.length, 1, 'no second write while the first is in flight');
  open();
  await first;
  await Promise.all(later);
  assert.deepEqual(
    batches.map((b) => b.length),
    [1, 4],
    'the four puts made during the first write went out together',
  );
  assert.deepEqual(await stored(store), [1, 2, 3, 4, 5]);
  await db.close();
});

test('deletions ride with the next put, else go out within DEL_FLUSH_MS; settle writes them at once', async (t) => {
  const db = await LevelStore.open(tempDir(t, 'bttc-poolstore'));
  const { store, batches } = recording(db);
  const s = new PoolStore(store);
  await Promise.all([1, 2, 3, 4].map((i) => s.put(rec(i))));
  assert.equal(batches.length, 1);
  s.del(rec(1).hash);
  await new Promise((r) => setImmediate(r));
  assert.equal(batches.length, 1, 'a deletion alone starts no write');
  await s.put(rec(5));
  assert.equal(batches.length, 2);
  assert.deepEqual(
    batches[1]!.map((o) => o.type),
    ['del', 'put'],
    'the deletion went with the put, in order',
  );
  assert.deepEqual(await stored(store), [2, 3, 4, 5]);

  const t0 = performance.now();
  s.del(rec(2).hash);
  await until('the timed deletion batch', 10 * DEL_FLUSH_MS, () => batches.length === 3, 20);
  assert.ok(performance.now() - t0 >= DEL_FLUSH_MS - 5, 'the timer waited for a put to ride with');
  assert.deepEqual(await stored(store), [3, 4, 5]);

  s.del(rec(3).hash);
  await s.settle();
  assert.equal(batches.length, 4);
  assert.deepEqual(await stored(store), [4, 5]);
  await db.close();
});

test('a failed write rejects the puts in it; settle does not hang on it', async (t) => {
  const db = await LevelStore.open(tempDir(t, 'bttc-poolstore'));
  const s = new PoolStore(db);
  await s.put(rec(1));
  await db.close();
  await assert.rejects(s.put(rec(2)), /not open|closed/i);
  s.del(rec(1).hash);
  await assert.rejects(s.settle(), /not open|closed/i);
});

test('writes start at least the write interval apart: puts of the next ticks share one batch', async (t) => {
  const db = await LevelStore.open(tempDir(t, 'bttc-poolstore'));
  const { store, batches, at } = recording(db);
  assert.ok(JOURNAL_WRITE_INTERVAL_MS > 0 && JOURNAL_WRITE_INTERVAL_MS <= 100, 'acknowledgements wait at most 100 ms');
  const s = new PoolStore(store, { minWriteIntervalMs: 200 });
  const t0 = performance.now();
  await s.put(rec(1));
  assert.equal(batches.length, 1, 'an idle store writes at once');
  const later: Promise<void>[] = [];
  for (const i of [2, 3, 4]) {
    await new Promise((r) => setTimeout(r, 10));
    later.push(s.put(rec(i)));
  }
  await Promise.all(later);
  assert.deepEqual(
    batches.map((b) => b.length),
    [1, 3],
  );
  assert.ok(at[1]! - at[0]! >= 195, `second write ${Math.round(at[1]! - at[0]!)} ms after the first`);
  assert.ok(at[0]! - t0 < 200, 'the first did not wait for the interval');
  assert.deepEqual(await stored(store), [1, 2, 3, 4]);
  await db.close();
});
