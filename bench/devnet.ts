/**
 * The 4-validator devnet under load at the block gas limit: `bttc-node loadtest` (transfer mode) at
 * gasLimit / 21000 / period transactions per second against validator 0 for 5 minutes (--quick: 60 s,
 * a quarter of the rate). Reports block interval p50/p99 (target p99 ≤ 2.2 s) two ways: as the
 * network produces blocks (first newHeads arrival at any validator) and as validator 0, the RPC node,
 * shows them after its own import; TPS, Mgas/s,
 * checkpoints acked during the run and each node's main-thread event-loop lag p99 (prom-client's
 * monitorEventLoopDelay, since the node started). Options: --seconds S, --rate N, --validators N, --port-base N (24000),
 * --mode transfer|erc20 (erc20: token transfers at gasLimit / 35,000 / period, the gas of a transfer
 * to an existing holder, so blocks are full), --results-name NAME (default devnet, devnet-erc20).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { QUICK, report, round } from './lib/harness.ts';
import { cpuSeconds, waitDevnetReady } from './lib/devnet.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDevnet, DevnetSupervisor } from '../src/devnet/index.ts';
import { LoadTest, readKeysFile, formatReport } from '../src/loadtest/index.ts';
import { createLogger } from '../src/observability/logger.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const cfg = loadConfig('devnet').bttc;
const modeIdx = process.argv.indexOf('--mode');
const mode = modeIdx >= 0 ? process.argv[modeIdx + 1] : 'transfer';
if (mode !== 'transfer' && mode !== 'erc20') {
  console.error(`--mode: expected transfer or erc20, got ${JSON.stringify(mode)}`);
  process.exit(2);
}
const gasPerTx = mode === 'erc20' ? 35_000 : 21_000;
const fullRate = Math.floor(cfg.gasLimit / gasPerTx / cfg.period);
const nameIdx = process.argv.indexOf('--results-name');
const resultsName = nameIdx >= 0 ? process.argv[nameIdx + 1]! : mode === 'erc20' ? 'devnet-erc20' : 'devnet';
const seconds = arg('--seconds', QUICK ? 60 : 300);
const rate = arg('--rate', QUICK ? Math.floor(fullRate / 4) : fullRate);
const validators = arg('--validators', 4);
const dir = mkdtempSync(join(tmpdir(), 'bttc-bench-devnet-'));
// --port-base N: first port (rpc N…, rest N+20…, p2p N+40…, root N+60), so two benches on one machine do not collide.
const base = arg('--port-base', 24000);
const logger = createLogger({ name: 'bench-devnet', level: 'warn' });
await createDevnet(dir, { validators, ports: { rpc: base, rest: base + 20, p2p: base + 40, root: base + 60 } });
// BENCH_LOG_LEVEL=info (with KEEP_DEVNET=1) keeps every sealed block's timings in .../node-<i>/node.log.
const sup = new DevnetSupervisor({ dir, blockTimeSec: 1, restartDelayMs: 5000, logLevel: (process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'warn' }, { logger });

async function scrape(url: string): Promise<string> {
  return fetch(url + '/metrics').then(
    (r) => r.text(),
    () => '',
  );
}

function lagP99(text: string): number | null {
  const m = /^bttc_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Cumulative bucket counts of a prom-client histogram, summed over several nodes' scrapes. */
function buckets(texts: string[], name: string, phase?: string): Map<number, number> {
  const out = new Map<number, number>();
  const labels = phase ? `le="([^"]+)",phase="${phase}"` : 'le="([^"]+)"';
  const re = new RegExp(`^${name}_bucket\\{${labels}\\} (\\S+)$`, 'gm');
  for (const t of texts)
    for (const m of t.matchAll(re)) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      out.set(le, (out.get(le) ?? 0) + Number(m[2]));
    }
  return out;
}

/** Upper bound of the bucket holding quantile q, and the share above `over` seconds. */
function histSummary(b: Map<number, number>, q: number, over: number): { count: number; quantileUpperBound: number | null; shareAbove: number | null } {
  const les = [...b.keys()].sort((x, y) => x - y);
  const count = b.get(Infinity) ?? 0;
  if (count === 0) return { count, quantileUpperBound: null, shareAbove: null };
  const ub = les.find((le) => b.get(le)! >= q * count) ?? Infinity;
  const atOver =
    les
      .filter((le) => le <= over)
      .map((le) => b.get(le)!)
      .pop() ?? 0;
  return { count, quantileUpperBound: ub, shareAbove: (count - atOver) / count };
}

try {
  await sup.start();
  await waitDevnetReady(sup, validators);
  const before = await sup.snapshot();
  const ackedBefore = Math.max(...before.nodes.map((n) => n.status!.delivery.checkpointsAcked));
  const pids = [before.rootchain.pid, ...before.nodes.map((n) => n.pid)];
  const cpuBefore = pids.map(cpuSeconds);
  const selfBefore = process.cpuUsage();
  const accounts = readKeysFile(join(dir, 'loadtest-keys.json'));
  console.log(`load: ${rate} tx/s for ${seconds} s (${fullRate} tx/s fills a ${cfg.gasLimit}-gas block every ${cfg.period} s), ${accounts.length} accounts`);
  const watch = Array.from({ length: validators - 1 }, (_, i) => sup.rpcUrl(i + 1));
  const lt = new LoadTest({
    rpc: sup.rpcUrl(0),
    watch,
    mode,
    rate,
    durationSec: seconds,
    accounts,
    drainSec: 30,
    sprint: cfg.sprint,
    onProgress: (p) => console.log(`  ${p.phase} ${p.elapsedSec.toFixed(0)} s sent ${p.sent} included ${p.included} errors ${p.errors} head ${p.head}`),
  });
  const r = await lt.run();
  process.stdout.write(formatReport(r));
  const cpuAfter = pids.map(cpuSeconds);
  const selfCpu = process.cpuUsage(selfBefore);
  const after = await sup.snapshot();
  // CPU per included transaction, per process: on 2 shared cores this is what bounds throughput.
  const perKtx = (a: number | null, b: number | null) => (a === null || b === null || r.included === 0 ? null : round(((b - a) / r.included) * 1000));
  const cpuPerThousandTx = {
    rootchain: perKtx(cpuBefore[0]!, cpuAfter[0]!),
    validators: pids.slice(1).map((_, i) => perKtx(cpuBefore[i + 1]!, cpuAfter[i + 1]!)),
    loadGenerator: perKtx(0, (selfCpu.user + selfCpu.system) / 1e6),
  };
  console.log(
    `CPU seconds per 1000 included transactions: validators ${cpuPerThousandTx.validators.join(', ')}; root chain ${cpuPerThousandTx.rootchain}; load generator ${cpuPerThousandTx.loadGenerator}`,
  );
  const ackedAfter = Math.max(...after.nodes.map((n) => n.status?.delivery.checkpointsAcked ?? 0));
  const texts = await Promise.all(after.nodes.map((n) => scrape(n.rpcUrl)));
  const lags = texts.map(lagP99);
  // Where an interval stretches: a producer releasing after the header time, or an import at validator 0.
  const releaseLate = histSummary(buckets(texts, 'bttc_producer_release_late_seconds'), 0.99, 0.1);
  const importAll = histSummary(buckets(texts, 'bttc_block_import_seconds'), 0.99, 0.25);
  const import0 = histSummary(buckets(texts.slice(0, 1), 'bttc_block_import_seconds'), 0.99, 0.25);
  const build = histSummary(buckets(texts, 'bttc_producer_build_seconds'), 0.99, 1);
  const phases = Object.fromEntries(
    ['queued', 'header', 'senders', 'system-calls', 'execute', 'store', 'head'].map((ph) => [ph, histSummary(buckets(texts.slice(0, 1), `bttc_block_import_phase_seconds`, ph), 0.99, 0.1)]),
  );
  console.log(
    `import phases at validator 0, p99 upper bound (share over 100 ms): ${Object.entries(phases)
      .map(([k, v]) => `${k} ${v.quantileUpperBound} s (${((v.shareAbove ?? 0) * 100).toFixed(0)}%)`)
      .join(', ')}`,
  );
  console.log(`producer release after header time: p99 ≤ ${releaseLate.quantileUpperBound} s, ${((releaseLate.shareAbove ?? 0) * 100).toFixed(1)}% later than 100 ms (n=${releaseLate.count})`);
  console.log(`block import (all nodes): p99 ≤ ${importAll.quantileUpperBound} s, ${((importAll.shareAbove ?? 0) * 100).toFixed(1)}% over 250 ms; validator 0: p99 ≤ ${import0.quantileUpperBound} s`);
  const heads = after.nodes.map((n) => n.status?.bttc.head ?? null);
  // Share of the executor's block time it actually ran: low at importers means they waited for a core.
  const counterSum = (t: string, name: string, kind: string) => Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(t)?.[1] ?? NaN);
  const executorCpuShare = Object.fromEntries(
    ['build', 'execute'].map((kind) => [kind, texts.map((t) => round(counterSum(t, 'bttc_executor_block_cpu_seconds_total', kind) / counterSum(t, 'bttc_executor_block_wall_seconds_total', kind)))]),
  );
  // Means are steadier than the p99 of ~7 sprint hand-overs: import seconds per block at each
  // validator, and at validator 0 how often and how long RPC intake waited for imports.
  const sumCount = (t: string, name: string) => [Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(t)?.[1] ?? NaN), Number(new RegExp(`^${name}_count (\\S+)$`, 'm').exec(t)?.[1] ?? NaN)] as const;
  const importMeanSeconds = texts.map((t) => {
    const [sum, count] = sumCount(t, 'bttc_block_import_seconds');
    return round(sum / count);
  });
  const [holdSum, holdCount] = sumCount(texts[0] ?? '', 'bttc_txintake_import_hold_seconds');
  const intakeHold = { batches: holdCount, meanSeconds: round(holdSum / holdCount) };
  console.log(`block import mean per validator: ${importMeanSeconds.join(', ')} s; validator 0 intake held ${intakeHold.batches} batches, mean ${intakeHold.meanSeconds} s`);
  console.log(`executor CPU / wall over block work, per validator: build ${executorCpuShare.build!.join(', ')}; execute (imports) ${executorCpuShare.execute!.join(', ')}`);
  report(resultsName, {
    rows: [
      {
        name: 'block interval (network: first newHeads at any validator)',
        meanMs: (r.blockIntervalNetwork?.mean ?? NaN) * 1000,
        p99Ms: (r.blockIntervalNetwork?.p99 ?? NaN) * 1000,
        opsPerSec: r.tps,
        samples: r.blockIntervalNetwork?.count ?? 0,
      },
      { name: 'block interval (seen at validator 0)', meanMs: (r.blockInterval.mean ?? NaN) * 1000, p99Ms: (r.blockInterval.p99 ?? NaN) * 1000, opsPerSec: r.tps, samples: r.blockInterval.count },
      { name: 'inclusion latency', meanMs: (r.inclusionLatency.mean ?? NaN) * 1000, p99Ms: (r.inclusionLatency.p99 ?? NaN) * 1000, opsPerSec: r.tps, samples: r.inclusionLatency.count },
    ],
    ratios: {
      'block interval p99 (network) / 2.2 s target': (r.blockIntervalNetwork?.p99 ?? NaN) / 2.2,
      'block interval p99 (seen at validator 0) / 2.2 s target': (r.blockInterval.p99 ?? NaN) / 2.2,
      'block interval p99 within sprints / 2.2 s target': (r.blockIntervalWithinSprint?.p99 ?? NaN) / 2.2,
      'TPS achieved / offered rate': r.tps / rate,
    },
    load: { mode, rate, seconds, fullRate, gasPerTxAssumed: gasPerTx, validators },
    blockIntervalNetwork: r.blockIntervalNetwork,
    blockInterval: r.blockInterval,
    importMeanSeconds,
    intakeHold,
    blockIntervalHeader: r.blockIntervalHeader,
    blockIntervalWithinSprint: r.blockIntervalWithinSprint,
    tps: round(r.tps),
    mgasPerSec: round(r.mgasPerSec),
    included: r.included,
    errors: r.errors,
    checkpointsAcked: ackedAfter - ackedBefore,
    eventLoopLagP99Seconds: lags,
    cpuSecondsPer1000Tx: cpuPerThousandTx,
    producerReleaseLate: releaseLate,
    blockImport: { allNodes: importAll, validator0: import0, validator0Phases: phases },
    producerBuild: build,
    executorCpuShare,
    heads,
    loadtest: r,
    loadAverage: loadavg(),
    params: { period: cfg.period, producerDelay: cfg.producerDelay, sprint: cfg.sprint, gasLimit: cfg.gasLimit },
    notes: [
      `a sprint start (every ${cfg.sprint} blocks) waits producerDelay = ${cfg.producerDelay} s instead of the ${cfg.period} s period (Bor's rule), so p99 over all intervals includes those whenever producerDelay > period; "within sprints" leaves them out`,
      'histogram summaries (release lateness, import, build) give the upper bound of the bucket holding the quantile, summed over all nodes since they started',
      'all validators, the root chain and the load generator share one 2-core machine',
      'event-loop lag p99 is prom-client monitorEventLoopDelay since each node started',
      'network block interval: between consecutive blocks\' first newHeads arrival at any of the validators (the producer announces its block when it stores it); "seen at validator 0" adds validator 0\'s import time whenever it did not produce the block, and the sprint boundaries where validator 0 hands over to another producer add that import time in full',
    ],
  });
} finally {
  await sup.stop();
  if (!process.env.KEEP_DEVNET) rmSync(dir, { recursive: true, force: true });
  else console.log(`devnet kept in ${dir}`);
}
