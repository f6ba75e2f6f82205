/**
 * keccak256: the project's batch addon vs the `keccak` package (native, one call per hash: its
 * public API and its raw sponge as src/evm uses it) vs @noble/hashes (pure JS), for single hashes
 * of several sizes and for a whole Merkle layer (1024 × 64-byte records).
 */
import { createRequire } from 'node:module';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { newBench, report } from '../bench/lib/harness.ts';
import { keccak256, keccak256Batch, keccakBackend } from '../src/crypto/keccak.ts';
import { runRows, ratio, isMain, keccakPackageSponge } from './common.ts';

const require = createRequire(import.meta.url);

interface KeccakHash {
  update(d: Buffer): KeccakHash;
  digest(): Buffer;
}
const createKeccakHash = require('keccak') as (alg: 'keccak256') => KeccakHash;

export async function main(): Promise<void> {
  const sponge = keccakPackageSponge();
  const bench = newBench();
  const sizes = [32, 64, 128, 1000];
  for (const n of sizes) {
    const d = Buffer.alloc(n, 0xab);
    bench
      .add(`${n} B: bttc addon`, () => void keccak256(d))
      .add(`${n} B: keccak package sponge`, () => void sponge(d))
      .add(`${n} B: keccak package API`, () => void createKeccakHash('keccak256').update(d).digest())
      .add(`${n} B: noble`, () => void keccak_256(d));
  }
  const layer = Buffer.alloc(1024 * 64, 0x5c);
  const out = new Uint8Array(1024 * 32);
  bench
    .add('layer 1024x64: bttc addon batch (1 call)', () => void keccak256Batch(layer, 64, out))
    .add('layer 1024x64: bttc addon per record', () => {
      for (let i = 0; i < 1024; i++) keccak256(layer.subarray(i * 64, i * 64 + 64));
    })
    .add('layer 1024x64: keccak package sponge per record', () => {
      for (let i = 0; i < 1024; i++) sponge(layer.subarray(i * 64, i * 64 + 64));
    })
    .add('layer 1024x64: noble per record', () => {
      for (let i = 0; i < 1024; i++) keccak_256(layer.subarray(i * 64, i * 64 + 64));
    });
  const r = await runRows(bench);
  const ratios: Record<string, number> = {};
  for (const n of sizes) {
    ratios[`${n} B: keccak sponge / addon`] = ratio(r, `${n} B: keccak package sponge`, `${n} B: bttc addon`);
    ratios[`${n} B: noble / addon`] = ratio(r, `${n} B: noble`, `${n} B: bttc addon`);
  }
  ratios['layer: keccak sponge loop / addon batch'] = ratio(r, 'layer 1024x64: keccak package sponge per record', 'layer 1024x64: bttc addon batch (1 call)');
  ratios['layer: noble loop / addon batch'] = ratio(r, 'layer 1024x64: noble per record', 'layer 1024x64: bttc addon batch (1 call)');
  ratios['layer: addon per-record loop / addon batch'] = ratio(r, 'layer 1024x64: bttc addon per record', 'layer 1024x64: bttc addon batch (1 call)');
  const batchNsPerHash = (r.get('layer 1024x64: bttc addon batch (1 call)')!.medianMs * 1e6) / 1024;
  report('native-keccak', {
    backend: keccakBackend,
    rows: [...r.values()],
    ratios,
    notes: [`addon batch: ${batchNsPerHash.toFixed(0)} ns per 64-byte hash (pure permutation cost, no per-call overhead)`],
  });
}

if (isMain(import.meta.url)) await main();
