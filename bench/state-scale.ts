/**
 * Block time as the state grows: a 20M-gas block of 952 plain transfers built by the executor worker
 * (execute, commit, roots, one level batch) at 10k, 100k and 1M funded accounts, to recipients that
 * exist (funded at genesis, a different random set every block) and to fresh addresses. Each size
 * loads its genesis through the normal worker path (initGenesis), then the executor is reopened so
 * every size starts from the same cold node cache; 1 warm-up block, then existing/fresh blocks
 * alternate, interleaved across sizes (block b of every size before block b + 1 of any) so all see
 * the same machine load. Target: block time at 1M ≤ 1.3× the time at 10k.
 *
 *   node bench/state-scale.ts [--sizes 10000,100000,1000000] [--blocks 6]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK, report, round } from './lib/harness.ts';
import { median } from './lib/interleave.ts';
import { treeRssBytes } from './lib/proc.ts';
import { createExecutor } from '../src/evm/index.ts';
import type { GenesisSpec, ParentRef, TimingBreakdown } from '../src/evm/interface.ts';
import { signLegacyTx } from '../src/evm/txSign.ts';
import { keccak256 } from '../src/crypto/keccak.ts';
import { publicKeyCreate } from '../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../src/crypto/address.ts';

function argList(name: string, dflt: number[]): number[] {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]!.split(',').map(Number) : dflt;
}
const SIZES = argList('--sizes', QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]);
/** Recorded blocks per recipient kind (after one warm-up block). */
const BLOCKS = argList('--blocks', [QUICK ? 2 : 6])[0]!;
const CHAIN_ID = 199;
const GAS_LIMIT = 20_000_000n;
const TXS = Number(GAS_LIMIT / 21000n); // 952
const GAS_PRICE = 1_000_000_000n;

const keys: Uint8Array[] = [];
const senders: Uint8Array[] = [];
for (let i = 0; i < TXS; i++) {
  const k = new Uint8Array(32);
  k[0] = 0x44;
  new DataView(k.buffer).setUint32(28, i + 1);
  keys.push(k);
  senders.push(addressFromPublicKey(publicKeyCreate(k, false)));
}
const producer = new Uint8Array(20).fill(0x33);

/** Funded account i beyond the senders: an address nobody holds a key for (a recipient). */
function filler(i: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(4, i);
  return keccak256(b).subarray(12);
}

/** A deterministic PRNG (mulberry32): the same recipients every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  kind: 'existing' | 'fresh';
  ms: number;
  timings: TimingBreakdown;
}

interface SizeRun {
  size: number;
  dir: string;
  ex: Awaited<ReturnType<typeof createExecutor>>;
  /** Addresses funded at genesis (senders first), for existing recipients. */
  recipients: Uint8Array[];
  parent: ParentRef & { time: bigint };
  genesisMs: number;
  rssMB: number;
  rand: () => number;
  fresh: number;
  samples: Sample[];
}

// Every size's genesis through the worker path, then the executors reopened (cold node caches).
const runs: SizeRun[] = [];
try {
  for (const size of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), `bench-state-scale-${size}-`));
    const alloc: GenesisSpec['alloc'] = senders.map((a) => [a, { balance: 10n ** 24n }]);
    for (let i = 0; alloc.length < size; i++) alloc.push([filler(i), { balance: 10n ** 18n }]);
    const t0 = performance.now();
    const ex0 = await createExecutor({ mode: 'worker', chainId: CHAIN_ID, dataDir: dir });
    const g = await ex0.initGenesis({ alloc, gasLimit: GAS_LIMIT, time: 1_700_000_000n });
    const genesisMs = performance.now() - t0;
    const rssMB = round((treeRssBytes(process.pid) ?? NaN) / 1e6);
    await ex0.close();
    console.log(`${size} accounts: genesis loaded through the executor worker in ${(genesisMs / 1000).toFixed(1)} s (process RSS ${rssMB} MB)`);
    const ex = await createExecutor({ mode: 'worker', chainId: CHAIN_ID, dataDir: dir });
    runs.push({
      size,
      dir,
      ex,
      recipients: alloc.map(([a]) => a),
      parent: { hash: keccak256(g.stateRoot), number: 0n, stateRoot: g.stateRoot, time: g.time },
      genesisMs,
      rssMB,
      rand: rng(size),
      fresh: 0,
      samples: [],
    });
  }

  // Blocks interleaved across sizes (block b of every size before block b + 1 of any): the same machine load.
  for (let b = 0; b <= 2 * BLOCKS; b++) {
    // Block 0 warms up; then existing and fresh recipients alternate.
    const kind: Sample['kind'] = b % 2 === 1 ? 'existing' : 'fresh';
    for (const r of b % 2 ? [...runs].reverse() : runs) {
      const txs = senders.map((_, i) => {
        const to = kind === 'existing' ? r.recipients[Math.floor(r.rand() * r.size)]! : filler(0x4000_0000 + r.fresh++);
        return signLegacyTx({ nonce: b, gasPrice: GAS_PRICE, gasLimit: 21000n, to, value: 1n }, CHAIN_ID, keys[i]!);
      });
      const s = performance.now();
      const res = await r.ex.buildBlock({
        parent: r.parent,
        header: { number: r.parent.number + 1n, time: r.parent.time + 2n, gasLimit: GAS_LIMIT, difficulty: 1n, extra: new Uint8Array(32 + 65) },
        author: producer,
        txs,
        senders,
        budgetMs: 60_000,
      });
      const ms = performance.now() - s;
      if (res.included.length !== TXS) throw new Error(`size ${r.size} block ${b}: included ${res.included.length} of ${TXS} (${res.rejected[0]?.reason ?? 'budget'})`);
      r.parent = { hash: keccak256(res.header.stateRoot), number: res.header.number, stateRoot: res.header.stateRoot, time: res.header.time };
      if (b > 0) r.samples.push({ kind, ms, timings: res.timings });
      console.log(
        `${r.size} accounts, block ${b} (${b === 0 ? 'warm-up' : kind}): ${ms.toFixed(0)} ms (exec ${res.timings.execMs.toFixed(0)}, commit ${res.timings.commitMs.toFixed(0)}, roots ${res.timings.rootsMs.toFixed(0)})`,
      );
    }
  }
} finally {
  for (const r of runs) {
    await r.ex.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
}

const results: Record<string, unknown>[] = runs.map((r) => {
  const of = (k: Sample['kind']) => r.samples.filter((x) => x.kind === k);
  const med = (k: Sample['kind'], f: (x: Sample) => number) => round(median(of(k).map(f)));
  const side = (k: Sample['kind']) => ({ medianMs: med(k, (x) => x.ms), execMs: med(k, (x) => x.timings.execMs), commitMs: med(k, (x) => x.timings.commitMs), samples: of(k).map((x) => round(x.ms)) });
  return { accounts: r.size, genesisLoadMs: round(r.genesisMs), rssMBAfterGenesis: r.rssMB, existing: side('existing'), fresh: side('fresh') };
});

type Row = { accounts: number; existing: { medianMs: number }; fresh: { medianMs: number } };
const rows = results as unknown as Row[];
const base = rows[0]!;
const ratios: Record<string, number> = {};
for (const r of rows.slice(1)) {
  ratios[`existing recipients: ${r.accounts} / ${base.accounts} accounts`] = r.existing.medianMs / base.existing.medianMs;
  ratios[`fresh recipients: ${r.accounts} / ${base.accounts} accounts`] = r.fresh.medianMs / base.fresh.medianMs;
}
report('state-scale', {
  rows: rows.flatMap((r) => [
    { name: `${r.accounts} accounts, existing recipients`, meanMs: r.existing.medianMs, opsPerSec: (TXS / r.existing.medianMs) * 1000, samples: BLOCKS },
    { name: `${r.accounts} accounts, fresh recipients`, meanMs: r.fresh.medianMs, opsPerSec: (TXS / r.fresh.medianMs) * 1000, samples: BLOCKS },
  ]),
  ratios,
  sizes: results,
  loadAverage: loadavg(),
  notes: [
    `${TXS} plain transfers per block (20M gas) from ${TXS} funded senders; meanMs is the median buildBlock wall time (execute + commit + roots + level write)`,
    'each size: genesis through the executor worker (initGenesis), executor reopened (cold node cache), 1 warm-up block, then existing/fresh recipient blocks alternate, interleaved across sizes',
    'one 2-core machine (its load average is recorded): compare ratios, not absolute times',
  ],
});
