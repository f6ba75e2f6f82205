/**
 * Shared bench plumbing: every bench prints a table and writes JSON to bench/results/<name>.json
 * with the machine it ran on, so results are committed beside the code that produced them.
 * Report ratios measured side by side in one run: absolute times on shared machines drift.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, availableParallelism, loadavg } from 'node:os';
import { Bench, type BenchOptions } from 'tinybench';

export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../results');

// `node bench/x.ts --help` prints the bench's header comment (what it measures, its flags) and
// exits before anything starts: a bench that ignored --help would start a run of many minutes.
// This module is imported first by every bench, so it runs before the bench's own top-level code.
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const src = readFileSync(process.argv[1]!, 'utf8');
  const start = src.indexOf('/**');
  console.log(
    start < 0
      ? `${process.argv[1]}: no description`
      : src
          .slice(start + 3, src.indexOf('*/', start))
          .replace(/^ \* ?/gm, '')
          .trim(),
  );
  process.exit(0);
}

/** `--quick` (or BENCH_QUICK=1) runs a short pass for smoke tests; numbers from it are not committed. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    quick: QUICK,
    loadAverageAtReport: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function newBench(opts: BenchOptions = {}): Bench {
  return new Bench({ time: QUICK ? 100 : 1000, warmupTime: QUICK ? 20 : 200, ...opts });
}

export interface TaskRow {
  name: string;
  /** Mean time per iteration, ms. */
  meanMs: number;
  p99Ms?: number;
  opsPerSec: number;
  samples: number;
  [extra: string]: unknown;
}

/** Flattens tinybench results into rows (mean, p99, ops/s). */
export function rows(bench: Bench): TaskRow[] {
  return bench.tasks.map((t) => {
    const r = t.result as unknown as { latency?: { mean: number; p99?: number; samplesCount?: number }; throughput?: { mean: number } } | undefined;
    const mean = r?.latency?.mean ?? NaN;
    return { name: t.name, meanMs: mean, p99Ms: r?.latency?.p99, opsPerSec: r?.throughput?.mean ?? 1000 / mean, samples: r?.latency?.samplesCount ?? 0 };
  });
}

/** Writes bench/results/<name>.json (skipped in quick mode unless `force`) and prints a table. */
export function report(name: string, data: { rows?: TaskRow[]; ratios?: Record<string, number>; notes?: string[]; [k: string]: unknown }, force = false): string {
  const out = { bench: name, machine: machine(), ...data };
  if (data.rows) console.table(data.rows.map((r) => ({ ...r, meanMs: round(r.meanMs), p99Ms: r.p99Ms === undefined ? undefined : round(r.p99Ms), opsPerSec: round(r.opsPerSec) })));
  if (data.ratios) console.table(Object.fromEntries(Object.entries(data.ratios).map(([k, v]) => [k, { ratio: round(v) }])));
  for (const n of data.notes ?? []) console.log(`note: ${n}`);
  const file = join(RESULTS_DIR, `${name}${QUICK ? '.quick' : ''}.json`);
  if (!QUICK || force) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    console.log(`wrote ${file}`);
  }
  return file;
}

export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const m = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(x) + 1e-12)));
  return Math.round(x * m) / m;
}
