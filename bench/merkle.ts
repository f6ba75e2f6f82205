/**
 * Checkpoint roots for 256, 1024 and 6400 blocks (packed 128-byte leaf preimages in hand), on the
 * main thread and through the hash pool, against the raw cost of the same number of keccak calls
 * in a loop.
 *
 * "Raw keccak cost" baseline: a plain loop of one keccak256 call per hash the root needs (every
 * 128-byte leaf preimage, then every 64-byte internal node of the zero-padded tree: 2047 hashes for
 * 1024 blocks), each call through the fastest single-hash entry point available (the project
 * addon's keccak256). That is what a straightforward implementation costs; the target is that the
 * root, with all its bookkeeping, stays within 1.5x of it. Also shown: the same loop through the
 * `keccak` package (the stock native path) and @noble/hashes, and the pure permutation cost (the
 * same records in one batch call each), which no root can beat.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { newBench, report, QUICK } from './lib/harness.ts';
import { medianRows, keccakPackageSponge, type Row } from '../native-bench/common.ts';
import { keccak256, keccak256Batch, keccakImplementation } from '../src/crypto/keccak.ts';
import { checkpointRoot, packLeafPreimages, rootFromLeaves, leavesFromPreimages, nextPowerOfTwo, type CheckpointHeader } from '../src/merkle/checkpoint.ts';
import { checkpointRootFromPreimages } from '../src/pools/hashOps.ts';
import { HashPool } from '../src/pools/hashPool.ts';

const SIZES = [256, 1024, 6400];

function headers(n: number): CheckpointHeader[] {
  return Array.from({ length: n }, (_, i) => ({ number: 1 + i, timestamp: 1_700_000_000 + 2 * i, txRoot: new Uint8Array(32).fill(i & 0xff), receiptsRoot: new Uint8Array(32).fill((i * 7) & 0xff) }));
}

export async function main(): Promise<void> {
  const sponge = keccakPackageSponge();
  const pool = new HashPool({ threads: 1 });
  const bench = newBench();
  const hashCounts: Record<number, number> = {};
  for (const n of SIZES) {
    const hs = headers(n);
    const pre = packLeafPreimages(hs);
    const width = nextPowerOfTwo(n);
    const hashes = n + width - 1;
    hashCounts[n] = hashes;
    // the inputs of every hash the root computes: n leaf preimages, width-1 node preimages
    const nodes = new Uint8Array((width - 1) * 64).fill(0x33);
    const loop = (h: (d: Uint8Array) => unknown) => () => {
      for (let i = 0; i < n; i++) h(pre.subarray(i * 128, i * 128 + 128));
      for (let i = 0; i < width - 1; i++) h(nodes.subarray(i * 64, i * 64 + 64));
    };
    const out = new Uint8Array(width * 32);
    await pool.checkpointRoot(pre); // warm
    bench
      .add(`${n} blocks: root, main thread (hashOps, in place)`, () => void checkpointRootFromPreimages(pre))
      .add(`${n} blocks: root, main thread (merkle/checkpoint.ts)`, () => void rootFromLeaves(leavesFromPreimages(pre)))
      .add(`${n} blocks: root via hash pool`, () => pool.checkpointRoot(pre))
      .add(`${n} blocks: root from headers, main thread (incl. packing)`, () => void checkpointRoot(hs))
      .add(`${n} blocks: raw ${hashes} x addon keccak256 loop`, loop(keccak256))
      .add(`${n} blocks: raw ${hashes} x keccak package loop`, loop(sponge))
      .add(`${n} blocks: pure permutation, 2 batch calls`, () => {
        keccak256Batch(pre, 128, out);
        keccak256Batch(nodes, 64, out);
      });
    if (!QUICK || n === 1024)
      bench.add(
        `${n} blocks: raw ${hashes} x noble loop`,
        loop((d) => keccak_256(d)),
      );
  }
  await bench.run();
  await pool.close();
  const rows: Row[] = medianRows(bench);
  const m = (prefix: string) => rows.find((r) => r.name.startsWith(prefix))!.medianMs;
  const ratios: Record<string, number> = {};
  for (const n of SIZES) {
    const raw = m(`${n} blocks: raw ${hashCounts[n]} x addon`);
    ratios[`${n}: root main thread / raw addon loop`] = m(`${n} blocks: root, main thread (hashOps`) / raw;
    ratios[`${n}: root via pool / raw addon loop`] = m(`${n} blocks: root via hash pool`) / raw;
    ratios[`${n}: root main thread / raw keccak-package loop`] = m(`${n} blocks: root, main thread (hashOps`) / m(`${n} blocks: raw ${hashCounts[n]} x keccak package`);
    ratios[`${n}: root main thread / pure permutation`] = m(`${n} blocks: root, main thread (hashOps`) / m(`${n} blocks: pure permutation`);
  }
  report('merkle', {
    keccak: keccakImplementation,
    rows,
    ratios,
    notes: [
      'raw baseline = one addon keccak256 call per hash the root computes (leaves + padded internal nodes), in a plain loop; median times',
      `target: 1024-block root within 1.5x of raw: main thread ${ratios['1024: root main thread / raw addon loop']!.toFixed(2)}x, via pool ${ratios['1024: root via pool / raw addon loop']!.toFixed(2)}x`,
    ],
  });
}

await main();
