import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { keccak256, keccak256Batch, keccakBackend, keccakImplementation } from '../../src/crypto/keccak.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';
import { leavesFromPreimages, packLeafPreimages, rootFromLeaves } from '../../src/merkle/checkpoint.ts';

const rnd = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));

const SIZES = [0, 1, 2, 7, 8, 31, 32, 33, 63, 64, 65, 127, 128, 129, 135, 136, 137, 200, 271, 272, 273, 1000, 4096];

test('the native batch addon is built and in use', () => {
  assert.equal(keccakBackend, 'native');
  assert.equal(keccakImplementation, 'bttc-addon');
});

test('known answers: keccak256("") and keccak256("abc")', () => {
  assert.equal(bytesToHex(keccak256(new Uint8Array(0))), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  assert.equal(bytesToHex(keccak256(new TextEncoder().encode('abc'))), '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
});

test('single hash equals @noble/hashes for many sizes (around the 136-byte rate)', () => {
  for (const n of SIZES) {
    for (let rep = 0; rep < 5; rep++) {
      const d = rnd(n);
      assert.equal(bytesToHex(keccak256(d)), bytesToHex(keccak_256(d)), `size ${n}`);
    }
  }
});

test('single hash of unaligned subarray views', () => {
  const big = rnd(600);
  for (const off of [1, 3, 5, 7, 9]) {
    const view = big.subarray(off, off + 300);
    assert.equal(bytesToHex(keccak256(view)), bytesToHex(keccak_256(view)));
  }
});

test('batch equals per-record @noble/hashes for many record sizes and counts', () => {
  for (const size of SIZES.filter((s) => s > 0)) {
    for (const count of [1, 2, 3, 17]) {
      const input = rnd(size * count);
      const out = keccak256Batch(input, size);
      assert.equal(out.length, count * 32);
      for (let i = 0; i < count; i++) assert.equal(bytesToHex(out.subarray(i * 32, i * 32 + 32)), bytesToHex(keccak_256(input.subarray(i * size, (i + 1) * size))), `size ${size} record ${i}`);
    }
  }
  // an unaligned view as input, an unaligned view as output
  const backing = rnd(64 * 5 + 3);
  const input = backing.subarray(3);
  const outBacking = new Uint8Array(5 * 32 + 1);
  keccak256Batch(input, 64, outBacking.subarray(1));
  for (let i = 0; i < 5; i++) assert.equal(bytesToHex(outBacking.subarray(1 + i * 32, 1 + i * 32 + 32)), bytesToHex(keccak_256(input.subarray(i * 64, i * 64 + 64))));
  assert.equal(keccak256Batch(new Uint8Array(0), 64).length, 0);
});

test('batch rejects bad shapes with a clear error', () => {
  assert.throws(() => keccak256Batch(new Uint8Array(65), 64), /not a multiple of record size/);
  assert.throws(() => keccak256Batch(new Uint8Array(64), 0), RangeError);
  assert.throws(() => keccak256Batch(new Uint8Array(64), 1.5), RangeError);
  assert.throws(() => keccak256Batch(new Uint8Array(128), 64, new Uint8Array(63)), /out holds 63/);
});

test('Merkle vectors through the batch path: leaves and checkpoint roots', () => {
  const headers = vectors.checkpointLeaves.map((h) => ({ number: h.number, timestamp: h.timestamp, txRoot: hexToBytes(h.txRoot), receiptsRoot: hexToBytes(h.receiptsRoot) }));
  const leaves = leavesFromPreimages(packLeafPreimages(headers));
  vectors.checkpointLeaves.forEach((h, i) => assert.equal(bytesToHex(leaves.subarray(i * 32, i * 32 + 32)), h.leaf));
  for (const r of vectors.checkpointRoots) {
    const ls = r.leaves ? hexToBytes(r.leaves.map((l) => l.slice(2)).join('')) : leavesFromPreimages(packLeafPreimages(r.blocks!.map((n) => headers.find((h) => Number(h.number) === n)!)));
    assert.equal(bytesToHex(rootFromLeaves(ls)), r.root);
  }
});

test('fallback path (addon disabled) gives the same hashes and reports itself', () => {
  const script = `
    const { keccak256, keccak256Batch, keccakBackend, keccakImplementation } = await import('./src/crypto/keccak.ts');
    const { cryptoStatus } = await import('./src/crypto/status.ts');
    const d = new Uint8Array(300).map((_, i) => i);
    console.log(JSON.stringify({ keccakBackend, keccakImplementation, one: Buffer.from(keccak256(d)).toString('hex'), batch: Buffer.from(keccak256Batch(d, 100)).toString('hex'), status: cryptoStatus().keccak }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), env: { ...process.env, BTTC_KECCAK_BACKEND: 'js' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { keccakBackend: string; keccakImplementation: string; one: string; batch: string; status: { backend: string; error?: string } };
  assert.equal(got.keccakBackend, 'js');
  assert.notEqual(got.keccakImplementation, 'bttc-addon');
  assert.equal(got.status.backend, 'js');
  assert.match(got.status.error!, /BTTC_KECCAK_BACKEND/);
  const d = new Uint8Array(300).map((_, i) => i);
  assert.equal(got.one, bytesToHex(keccak256(d)).slice(2));
  assert.equal(got.batch, bytesToHex(keccak256Batch(d, 100)).slice(2));
});
