import { dirname } from 'node:path';
import { createRequire } from 'node:module';
/**
 * Shared bits for the per-operation benches. Ratios use the median time per iteration: the machine
 * these run on is shared, and a few preempted samples move the mean far more than the median.
 */
import type { Bench } from 'tinybench';
import { rows, type TaskRow } from '../bench/lib/harness.ts';

export interface Row extends TaskRow {
  medianMs: number;
}

export function medianRows(bench: Bench): Row[] {
  const base = rows(bench);
  return bench.tasks.map((t, i) => {
    const r = t.result as unknown as { latency?: { p50?: number } } | undefined;
    return { ...base[i]!, medianMs: r?.latency?.p50 ?? base[i]!.meanMs };
  });
}

export async function runRows(bench: Bench): Promise<Map<string, Row>> {
  await bench.run();
  return new Map(medianRows(bench).map((r) => [r.name, r]));
}

/** How many times slower `slow` is than `fast` (ratio of median times). */
export function ratio(byName: Map<string, Row>, slow: string, fast: string): number {
  const s = byName.get(slow)?.medianMs;
  const f = byName.get(fast)?.medianMs;
  if (s === undefined || f === undefined) throw new Error(`ratio: no row named ${s === undefined ? slow : fast}`);
  return s / f;
}

/** Runs `main` when the file is executed directly (not when run-all imports it). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && new URL(url).pathname === process.argv[1];
}

interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

/**
 * keccak256 through the `keccak` package's raw native sponge (four N-API calls per hash): the stock
 * native path our batch addon is compared against.
 */
export function keccakPackageSponge(): (d: Uint8Array) => Buffer {
  const require = createRequire(import.meta.url);
  const gypBuild = require('node-gyp-build') as (dir: string) => new () => KeccakSponge;
  const s = new (gypBuild(dirname(require.resolve('keccak/package.json'))))();
  return (d) => {
    s.initialize(1088, 512);
    s.absorb(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    s.absorbLastFewBits(1);
    return s.squeeze(32);
  };
}
