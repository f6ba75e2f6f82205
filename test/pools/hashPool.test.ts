import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { HashPool } from '../../src/pools/hashPool.ts';
import { PoolClosedError } from '../../src/pools/verifyPool.ts';
import { checkpointRootFromPreimages, accountRootFromPreimages } from '../../src/pools/hashOps.ts';
import { checkpointRoot, packLeafPreimages, rootFromLeaves, type CheckpointHeader } from '../../src/merkle/checkpoint.ts';
import { accountRoot, type DividendAccount } from '../../src/merkle/account.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';

const pool = new HashPool({ threads: 1 }, { metrics: new Registry() });
after(() => pool.close());

const vectorHeaders: CheckpointHeader[] = vectors.checkpointLeaves.map((h) => ({ number: h.number, timestamp: h.timestamp, txRoot: hexToBytes(h.txRoot), receiptsRoot: hexToBytes(h.receiptsRoot) }));

function randomHeaders(n: number, first = 1): CheckpointHeader[] {
  return Array.from({ length: n }, (_, i) => ({ number: first + i, timestamp: 1_600_000_000 + 2 * i, txRoot: new Uint8Array(randomBytes(32)), receiptsRoot: new Uint8Array(randomBytes(32)) }));
}

function vectorAccounts(v: (typeof vectors.accountRoots)[number]): DividendAccount[] {
  if (typeof v.accounts === 'string') return vectors.mainnetGenesisValidatorSet.validators.map((x) => ({ address: hexToBytes(x.signer), fee: 0n }));
  return v.accounts.map(([a, f]) => ({ address: hexToBytes(a), fee: BigInt(f) }));
}

test('checkpoint roots equal the vectors (headers and packed preimages)', async () => {
  for (const r of vectors.checkpointRoots) {
    if (!r.blocks) continue;
    const headers = r.blocks.map((n) => vectorHeaders.find((h) => Number(h.number) === n)!);
    assert.equal(bytesToHex(await pool.checkpointRoot(headers)), r.root);
    const packed = packLeafPreimages(headers);
    assert.equal(bytesToHex(await pool.checkpointRoot(packed)), r.root);
    // the caller's buffer was copied, not transferred away
    assert.equal(packed.length, headers.length * 128);
    assert.equal(bytesToHex(checkpointRootFromPreimages(packed)), r.root);
  }
  const leavesVector = vectors.checkpointRoots.find((r) => r.leaves)!;
  assert.equal(bytesToHex(rootFromLeaves(hexToBytes(leavesVector.leaves!.map((l) => l.slice(2)).join('')))), leavesVector.root);
});

test('account roots equal the vectors', async () => {
  for (const v of vectors.accountRoots) {
    const accounts = vectorAccounts(v);
    assert.equal(bytesToHex(await pool.accountRoot(accounts)), v.root);
    assert.equal(bytesToHex(accountRoot(accounts)), v.root);
  }
});

test('random ranges: pool root == main-thread root, including non-powers of two and 2^15', async () => {
  const sizes = [1, 2, 3, 5, 17, 255, 256, 257, 1000, 1024, 6400, 1 << 15];
  const roots = await Promise.all(
    sizes.map(async (n) => {
      const headers = randomHeaders(n, 1 + Math.floor(Math.random() * 1e6));
      return { n, pool: bytesToHex(await pool.checkpointRoot(headers)), main: bytesToHex(checkpointRoot(headers)) };
    }),
  );
  for (const r of roots) assert.equal(r.pool, r.main, `${r.n} blocks`);
});

test('random account sets: pool root == main-thread root, hashOps == merkle/account.ts', async () => {
  for (const n of [1, 2, 3, 4, 5, 6, 7, 9, 33, 100]) {
    const accounts = Array.from({ length: n }, () => ({ address: new Uint8Array(randomBytes(20)), fee: BigInt(Math.floor(Math.random() * 1e15)) * 1000n }));
    assert.equal(bytesToHex(await pool.accountRoot(accounts)), bytesToHex(accountRoot(accounts)), `${n} accounts`);
  }
  // hashOps on preimages built by hand, in address order
  for (const n of [1, 2, 3, 8, 13]) {
    const accounts = Array.from({ length: n }, (_, i) => ({ address: new Uint8Array(20).fill(i + 1), fee: BigInt(i) * 7n }));
    const pre = new Uint8Array(64 * n);
    accounts.forEach((a, i) => {
      pre.set(a.address, i * 64 + 12);
      pre[i * 64 + 63] = Number(a.fee);
    });
    assert.equal(bytesToHex(accountRootFromPreimages(pre)), bytesToHex(accountRoot(accounts)), `${n} accounts`);
  }
});

test('bad ranges are rejected with a clear error, not sent to a worker', async () => {
  await assert.rejects(pool.checkpointRoot([]), /empty block range/);
  await assert.rejects(pool.checkpointRoot(new Uint8Array(129)), /multiple of 128/);
  await assert.rejects(pool.checkpointRoot(new Uint8Array(128 * ((1 << 15) + 1))), /exceed the limit of 32768/);
  await assert.rejects(pool.checkpointRoot([{ number: 1, timestamp: 1, txRoot: new Uint8Array(31), receiptsRoot: new Uint8Array(32) }]), /must be 32 bytes/);
  await assert.rejects(pool.accountRoot([]), /no accounts/);
  await assert.rejects(pool.accountRoot([{ address: new Uint8Array(19), fee: 0n }]), /20 bytes/);
  assert.throws(() => checkpointRootFromPreimages(new Uint8Array(0)), /non-empty/);
});

test('close with roots queued: every promise settles', async () => {
  const p = new HashPool({ threads: 1 });
  const headers = randomHeaders(4096);
  const expected = bytesToHex(checkpointRoot(headers));
  const jobs = Array.from({ length: 8 }, () => p.checkpointRoot(headers));
  const all = Promise.allSettled(jobs);
  await p.close();
  const settled = await all;
  for (const s of settled) {
    if (s.status === 'fulfilled') assert.equal(bytesToHex(s.value), expected);
    else assert.ok(s.reason instanceof PoolClosedError, String(s.reason));
  }
  assert.ok(settled.some((s) => s.status === 'rejected'));
  await assert.rejects(p.checkpointRoot(headers), PoolClosedError);
});
