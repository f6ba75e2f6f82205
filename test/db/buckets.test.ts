/** The storage registry: one byte per record kind, never shared; Repository round-trips on a real LevelDB. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUCKETS, type Bucket } from '../../src/db/buckets.ts';
import { LevelStore } from '../../src/db/level.ts';
import { jsonCodec, Repository, u64Codec } from '../../src/db/repository.ts';

test('every bucket byte names exactly one record kind', () => {
  const seen = new Map<number, string>();
  for (const [name, b] of Object.entries(BUCKETS) as [string, Bucket][]) {
    assert.ok(Number.isInteger(b.id) && b.id >= 0 && b.id < 0xff, `${name}: id 0x${b.id.toString(16)} must be one byte below 0xff`);
    const other = seen.get(b.id);
    assert.equal(other, undefined, `${name} and ${other} share bucket 0x${b.id.toString(16)}`);
    seen.set(b.id, name);
  }
});

test('Repository: typed round trip, ordered ranges, batch ops, and a wrong-bucket key is named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-repo-'));
  const db = await LevelStore.open(join(dir, 'db'));
  try {
    const a = new Repository<number, { n: number; big: bigint | string }>(db, BUCKETS.deliverySpan, u64Codec, jsonCodec());
    const b = new Repository<number, { n: number; big: bigint | string }>(db, BUCKETS.deliveryBlock, u64Codec, jsonCodec());
    for (const n of [300, 2, 70_000, 1]) await a.put(n, { n, big: 10n ** 20n });
    await b.put(5, { n: 5, big: 1n });
    assert.deepEqual(await a.get(300), { n: 300, big: '100000000000000000000' });
    assert.equal(await a.get(3), undefined);
    const keys: number[] = [];
    for await (const [k] of a.entries()) keys.push(k);
    assert.deepEqual(keys, [1, 2, 300, 70_000], 'numeric order, and only this bucket');
    const rev: number[] = [];
    for await (const [k] of a.entries({ gte: 2, reverse: true, limit: 2 })) rev.push(k);
    assert.deepEqual(rev, [70_000, 300]);
    await db.batch([a.delOp(2), b.putOp(6, { n: 6, big: 2n })]);
    assert.equal(await a.has(2), false);
    assert.equal((await b.get(6))?.n, 6);
    assert.throws(() => a.decodeKey(b.key(6)), /bucket 0xe1 read as/);
    assert.throws(() => a.key(-1), /non-negative safe integer/);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
