/** The storage registry: one byte per record kind, never shared; Repository round-trips on a real LevelDB. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { BUCKETS, type Bucket } from '../../src/db/buckets.ts';
import { LevelStore } from '../../src/db/level.ts';
import { bytesCodec, fixedBytesCodec, jsonCodec, presenceCodec, Repository, tupleCodec, u32Codec, u64BigCodec, u64Codec, u8Codec } from '../../src/db/repository.ts';
import { rawEntries } from './raw.ts';

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

test('key codecs: fixed widths, big-endian so numbers sort, and out-of-range values are refused', () => {
  const hash = fixedBytesCodec(32);
  assert.equal(hash.width, 32);
  assert.throws(() => hash.encode(new Uint8Array(31)), /32-byte key: got 31 bytes/);
  assert.throws(() => hash.decode(new Uint8Array(33)), /32-byte key: stored 33 bytes/);
  const h = new Uint8Array(32).fill(7);
  assert.deepEqual(hash.decode(hash.encode(h)), h);
  assert.deepEqual([...u32Codec.encode(0x01020304)], [1, 2, 3, 4]);
  assert.equal(u32Codec.decode(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), 0xffff_ffff);
  assert.throws(() => u32Codec.encode(2 ** 32), /out of range/);
  assert.deepEqual([...u8Codec.encode(0xab)], [0xab]);
  assert.throws(() => u8Codec.encode(256), /out of range/);
  assert.deepEqual([...u64BigCodec.encode(0x0102n)], [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...presenceCodec.encode(true)], [1]);
  assert.equal(presenceCodec.decode(Uint8Array.of(1)), true);
});

test('tupleCodec: parts one after the other, the last takes the rest; only the last may be variable', () => {
  const c = tupleCodec<readonly [number, number, number, Uint8Array]>(u64Codec, u32Codec, u8Codec, bytesCodec);
  const enc = c.encode([258, 3, 4, Uint8Array.of(9, 9)]);
  assert.equal(Buffer.from(enc).toString('hex'), '0000000000000102' + '00000003' + '04' + '0909');
  assert.deepEqual(c.decode(enc), [258, 3, 4, Uint8Array.of(9, 9)]);
  assert.throws(() => c.decode(enc.subarray(0, 10)), /end inside part 1/);
  const fixed = tupleCodec<readonly [Uint8Array, bigint]>(fixedBytesCodec(2), u64BigCodec);
  assert.throws(() => fixed.decode(new Uint8Array(11)), /expected 8 bytes, got 9/);
  assert.throws(() => tupleCodec<readonly [Uint8Array, number]>(bytesCodec, u64Codec), /part 0 is not fixed-width/);
});

test("Repository: a range over a tuple key's leading part, and putMany in one batch", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-repo-'));
  const db = await LevelStore.open(join(dir, 'db'));
  try {
    const r = new Repository<readonly [Uint8Array, bigint], true>(db, BUCKETS.chainAddressLog, tupleCodec<readonly [Uint8Array, bigint]>(fixedBytesCodec(2), u64BigCodec), presenceCodec);
    const a = Uint8Array.of(0xaa, 0xaa);
    const b = Uint8Array.of(0xbb, 0xbb);
    await r.putMany([
      [[a, 5n], true],
      [[a, 300n], true],
      [[b, 7n], true],
      [[a, 1n], true],
    ]);
    const nums: bigint[] = [];
    for await (const [[, n]] of r.entries({ gte: [a, 2n], lt: [a, 1000n] })) nums.push(n);
    assert.deepEqual(nums, [5n, 300n]);
    const all: string[] = [];
    for await (const [[x, n]] of r.entries({ prefix: b })) all.push(`${Buffer.from(x).toString('hex')}/${n}`);
    assert.deepEqual(all, ['bbbb/7']);
    assert.deepEqual([...(await rawEntries(db)).keys()], ['c6aaaa0000000000000001', 'c6aaaa0000000000000005', 'c6aaaa000000000000012c', 'c6bbbb0000000000000007']);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no source file outside src/db declares a bucket byte of its own', () => {
  const root = resolve(import.meta.dirname, '../../src');
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  const offenders = walk(root)
    .filter((f) => !f.includes('/src/db/'))
    .filter((f) => /export const (BUCKET_\w+|B_[A-Z]+|\w+_BUCKET|\w+_PREFIX)\s*=\s*0x/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
