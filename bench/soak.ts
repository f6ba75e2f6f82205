/**
 * Soak (not part of npm test): a 4-validator devnet under `bttc-node loadtest` transfers at 476 tx/s
 * (a full 20M-gas block every 2 s) for --minutes (default 30). Every 30 s: each validator's RSS
 * (process tree, /proc) and data-directory size, and the head. At the end: block interval p50/p99
 * (the loadtest's), RSS growth after warm-up (first 5 minutes, or a third of a shorter run), and
 * data-dir growth per 1000 blocks. Writes bench/results/soak.json.
 *
 * --out NAME writes bench/results/NAME.json instead (A/B runs that must not replace soak.json).
 *
 *   node bench/soak.ts [--minutes 30] [--rate 476] [--sample-seconds 30] [--out NAME]
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startBenchDevnet } from './lib/devnet.ts';
import { QUICK, report, round } from './lib/harness.ts';
import { treeRssAnonBytes, treeRssBytes } from './lib/proc.ts';
import { loadConfig } from '../src/config/load.ts';
import { nodeDir } from '../src/devnet/index.ts';
import { LoadTest, readKeysFile } from '../src/loadtest/index.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const outIdx = process.argv.indexOf('--out');
const outName = outIdx >= 0 ? process.argv[outIdx + 1]! : 'soak';
const cfg = loadConfig('devnet').bttc;
const minutes = arg('--minutes', QUICK ? 2 : 30);
const rate = arg('--rate', Math.floor(cfg.gasLimit / 21000 / cfg.period));
const sampleSec = arg('--sample-seconds', 30);
const validators = 4;
const base = arg('--port-base', 28000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dirBytes(p: string): number {
  let sum = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(p, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const f = join(p, e.name);
    if (e.isDirectory()) sum += dirBytes(f);
    else if (e.isFile()) {
      try {
        sum += statSync(f).size;
      } catch {
        // removed meanwhile (a compaction)
      }
    }
  }
  return sum;
}

interface Sample {
  atSec: number;
  head: number | null;
  rssMB: (number | null)[];
  /** Anonymous part of rssMB (the rest is file-backed: the binary, mapped files). */
  rssAnonMB: (number | null)[];
  dataDirMB: number[];
  /** Per node: used V8 heap per thread, MB (bttc_thread_heap_bytes from its /metrics), null if unreachable. */
  heapUsedMB: (Record<string, number> | null)[];
  /** Per node: V8 external memory (ArrayBuffer backing stores, Buffers) summed over threads, MB. */
  externalMB: (number | null)[];
  /** Per node: V8 heap committed (total_heap_size) summed over threads, MB: the heaps' share of rssAnonMB. */
  heapTotalMB: (number | null)[];
}

/** Used heap per thread of one node, MB, and external memory summed over its threads, from its /metrics. */
async function threadHeapsMB(rpcUrl: string): Promise<{ used: Record<string, number>; external: number; total: number } | null> {
  try {
    const text = await (await fetch(`${rpcUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const used: Record<string, number> = {};
    for (const m of text.matchAll(/^bttc_thread_heap_bytes\{thread="([^"]+)",kind="used"\} (\d+)$/gm)) used[m[1]!] = round(Number(m[2]) / 1e6);
    let external = 0;
    for (const m of text.matchAll(/^bttc_thread_heap_bytes\{thread="[^"]+",kind="external"\} (\d+)$/gm)) external += Number(m[1]);
    let total = 0;
    for (const m of text.matchAll(/^bttc_thread_heap_bytes\{thread="[^"]+",kind="total"\} (\d+)$/gm)) total += Number(m[1]);
    return { used, external: round(external / 1e6), total: round(total / 1e6) };
  } catch {
    return null;
  }
}

const { sup, dir } = await startBenchDevnet('soak', validators, base);
const samples: Sample[] = [];
try {
  const accounts = readKeysFile(join(dir, 'loadtest-keys.json'));
  const t0 = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await sup.snapshot();
      const sample: Sample = {
        atSec: round((performance.now() - t0) / 1000),
        head: s.nodes[0]?.status?.bttc.head ?? null,
        rssMB: s.nodes.map((n) => (n.pid ? round((treeRssBytes(n.pid) ?? NaN) / 1e6) : null)),
        dataDirMB: s.nodes.map((_, i) => round(dirBytes(join(nodeDir(dir, i), 'data')) / 1e6)),
        heapUsedMB: [],
        externalMB: [],
        heapTotalMB: [],
        rssAnonMB: s.nodes.map((n) => (n.pid ? round((treeRssAnonBytes(n.pid) ?? NaN) / 1e6) : null)),
      };
      for (const h of await Promise.all(s.nodes.map((n) => threadHeapsMB(n.rpcUrl)))) {
        sample.heapUsedMB.push(h?.used ?? null);
        sample.externalMB.push(h?.external ?? null);
        sample.heapTotalMB.push(h?.total ?? null);
      }
      samples.push(sample);
      console.log(
        `${sample.atSec.toFixed(0)} s head ${sample.head} RSS MB ${sample.rssMB.join(', ')} (anon ${sample.rssAnonMB.join(', ')}) heaps MB ${sample.heapTotalMB.join(', ')} external MB ${sample.externalMB.join(', ')} data MB ${sample.dataDirMB.join(', ')} restarts ${s.nodes.map((n) => n.restarts).join(',')}`,
      );
      const next = t0 + samples.length * sampleSec * 1000;
      while (sampling && performance.now() < next) await sleep(250);
    }
  })();
  console.log(`soak: ${rate} tx/s for ${minutes} min, ${accounts.length} accounts, sampling every ${sampleSec} s`);
  const lt = new LoadTest({ rpc: sup.rpcUrl(0), watch: [1, 2, 3].map((i) => sup.rpcUrl(i)), mode: 'transfer', rate, durationSec: minutes * 60, accounts, drainSec: 30, sprint: cfg.sprint });
  const r = await lt.run();
  sampling = false;
  await sampler;
  const final = await sup.snapshot();

  const warmSec = Math.min(300, (minutes * 60) / 3);
  const warm = samples.find((s) => s.atSec >= warmSec) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const first = samples[0]!;
  const rssGrowth = warm.rssMB.map((w, i) => (w && last.rssMB[i] ? round((last.rssMB[i]! - w) / w) : null));
  const growth = (w: number | null | undefined, l: number | null | undefined) => (w && l ? round((l - w) / w) : null);
  const rssAnonGrowth = warm.rssAnonMB.map((w, i) => growth(w, last.rssAnonMB[i]));
  const rssSlopeMBPerMin = warm.rssMB.map((w, i) => (w && last.rssMB[i] && last.atSec > warm.atSec ? round((last.rssMB[i]! - w) / ((last.atSec - warm.atSec) / 60)) : null));
  // Which thread's JavaScript heap moved between warm-up and the end (the rest of RSS is native).
  const heapGrowthMB = warm.heapUsedMB.map((w, i) => {
    const l = last.heapUsedMB[i];
    return w && l ? Object.fromEntries(Object.keys(l).map((t) => [t, round(l[t]! - (w[t] ?? 0))])) : null;
  });
  const blocks = (last.head ?? 0) - (first.head ?? 0);
  const dataPer1000 = last.dataDirMB.map((d, i) => (blocks > 0 ? round(((d - first.dataDirMB[i]!) / blocks) * 1000) : null));
  // RSS is a saw-tooth with the collectors (±150 MB per node between two samples), so end − warm-up
  // of single samples says little: compare the median of the first and of the last window of samples
  // after warm-up (each a sixth of the run, at least 3 samples), and fit a least-squares slope.
  const after = samples.filter((s) => s.atSec >= warm.atSec);
  const win = Math.max(3, Math.floor(after.length / 6));
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const trend = (pick: (s: Sample) => (number | null)[]) =>
    warm.rssMB.map((_, i) => {
      const pts = after.map((s) => [s.atSec / 60, pick(s)[i]] as const).filter((p): p is readonly [number, number] => p[1] != null && Number.isFinite(p[1]));
      if (pts.length < 2 * win) return null;
      const head = median(pts.slice(0, win).map((p) => p[1]));
      const tail = median(pts.slice(-win).map((p) => p[1]));
      const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
      const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
      const slope = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
      return { firstWindowMedianMB: round(head), lastWindowMedianMB: round(tail), growth: round((tail - head) / head), slopeMBPerMin: round(slope) };
    });
  // Anonymous RSS the V8 heaps and external buffers do not explain: allocator arenas, LevelDB, code.
  const nativeRestMB = (x: Sample) => x.rssAnonMB.map((a, i) => (a != null && x.heapTotalMB[i] != null && x.externalMB[i] != null ? round(a - x.heapTotalMB[i]! - x.externalMB[i]!) : null));
  report(outName, {
    load: { rate, minutes, validators, sampleSeconds: sampleSec },
    tps: round(r.tps),
    mgasPerSec: round(r.mgasPerSec),
    included: r.included,
    errors: r.errors,
    blockInterval: r.blockInterval,
    blockIntervalNetwork: r.blockIntervalNetwork,
    inclusionLatency: r.inclusionLatency,
    rss: { warmUpSeconds: warmSec, atWarmUpMB: warm.rssMB, atEndMB: last.rssMB, growthAfterWarmUp: rssGrowth, slopeMBPerMinAfterWarmUp: rssSlopeMBPerMin },
    rssAnon: { atWarmUpMB: warm.rssAnonMB, atEndMB: last.rssAnonMB, growthAfterWarmUp: rssAnonGrowth },
    externalMB: { atWarmUpMB: warm.externalMB, atEndMB: last.externalMB },
    heapTotalMB: { atWarmUpMB: warm.heapTotalMB, atEndMB: last.heapTotalMB },
    nativeRestMB: { atWarmUpMB: nativeRestMB(warm), atEndMB: nativeRestMB(last) },
    // The figures to read for "flat": window medians and slopes after warm-up, per node.
    trendAfterWarmUp: {
      windowSamples: win,
      rss: trend((x) => x.rssMB),
      rssAnon: trend((x) => x.rssAnonMB),
      heapTotal: trend((x) => x.heapTotalMB),
      external: trend((x) => x.externalMB),
      nativeRest: trend(nativeRestMB),
    },
    heapUsed: { atWarmUpMB: warm.heapUsedMB, atEndMB: last.heapUsedMB, growthMBAfterWarmUp: heapGrowthMB },
    dataDir: { blocks, mbPer1000Blocks: dataPer1000, atEndMB: last.dataDirMB },
    restarts: final.nodes.map((n) => n.restarts),
    samples,
    loadAverage: loadavg(),
    notes: [
      'RSS: the node process tree from /proc (main thread, workers, native memory); growth is (end − warm-up) / warm-up',
      'heapUsed: V8 used heap per thread (bttc_thread_heap_bytes); RSS minus the heaps is native memory (LevelDB, buffers, code)',
      'rssAnon: the anonymous part of RSS (RssAnon in /proc/<pid>/status); the rest is file-backed (binary, mapped files); externalMB: V8 external memory (Buffers, ArrayBuffers) summed over threads',
      'heapTotalMB: V8 heap committed, summed over threads; nativeRestMB = rssAnon − heapTotal − external: what neither the heaps nor the buffers explain (allocator arenas, LevelDB caches and memtables, compiled code)',
      'data dir: bytes under node-<i>/data (LevelDB before and after compactions, so it moves in steps)',
      'one 2-core machine (its load average is recorded); the load generator and the root chain run on it too',
    ],
  });
} finally {
  await sup.stop();
  rmSync(dir, { recursive: true, force: true });
}
