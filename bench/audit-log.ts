/**
 * The audit log's cost (docs/audit-log.md), two ways:
 * 1. Append throughput: records appended, hash-chained and signed in the hash pool (one worker
 *    thread, as the node runs it) and written to LevelDB, end to end: target ≥ 50,000 records/s.
 *    Also the main thread's share: what `append` (checks + canonical encoding) costs per record.
 * 2. What it costs a node on the devnet at 476 tx/s (a full 20M-gas block every 2 s): the same load
 *    on a fresh 4-validator devnet with the audit log on and then off (node.auditLog.enabled), the
 *    validators' CPU from /proc per 1000 included transactions; target: the log costs ≤ 2%.
 * Options: --records N (default 200000), --seconds S of load per run (default 60), --rate N,
 * --skip-devnet. --quick: 20000 records, 30 s runs at a quarter of the rate, nothing written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK, report, round } from './lib/harness.ts';
import { cpuSeconds, waitDevnetReady } from './lib/devnet.ts';
import { HashPool } from '../src/pools/hashPool.ts';
import { LevelStore } from '../src/db/level.ts';
import { AuditLog } from '../src/audit-log/log.ts';
import { AuditStore } from '../src/audit-log/store.ts';
import { records } from '../src/audit-log/constructors.ts';
import { keyPairFromSecret } from '../src/node/keys.ts';
import { bytesToHex } from '../src/util/bytes.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDevnet, DevnetSupervisor } from '../src/devnet/index.ts';
import { LoadTest, readKeysFile } from '../src/loadtest/index.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetricsRegistry, type Registry } from '../src/observability/metrics.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

// ---- 1. append throughput ------------------------------------------------------------------------

async function appendThroughput(n: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-bench-audit-'));
  const metrics = createMetricsRegistry();
  const pool = new HashPool({ threads: 1 }, { metrics });
  const db = await LevelStore.open(dir);
  try {
    const key = keyPairFromSecret(new Uint8Array(32).fill(7));
    const log = await AuditLog.open(
      { chainId: 1337199, signer: { privateKey: key.privateKey, address: bytesToHex(key.address) }, privateRetentionMs: 3_600_000, batchMaxRecords: 1024, batchIntervalMs: 0 },
      { store: new AuditStore(db), sealer: pool, metrics },
    );
    const rec = (i: number) =>
      records.checkpointProposed(
        { height: i },
        { rootChainId: 2, proposer: bytesToHex(key.address), start: i * 256, end: i * 256 + 255, rootHash: '0x' + (i % 256).toString(16).padStart(2, '0').repeat(32) },
        1,
      );
    // warm-up: JIT, the worker, LevelDB
    for (let i = 0; i < 5000; i++) log.append(rec(i));
    await log.flush();
    const workerCpu0 = await metricValue(metrics, 'bttc_hash_pool_worker_cpu_seconds_total', 'audit-batch');
    let appendCpuMicros = 0;
    let mainCpuMicros = 0;
    const t0 = performance.now();
    // Appends arrive in bursts while earlier batches seal in the worker (a full batch starts sealing at
    // once). CPU is this thread's own (process.threadCpuUsage), so other processes on a shared machine
    // do not count; the main thread's total includes handling seal results and LevelDB callbacks.
    let mainRef = process.threadCpuUsage();
    for (let done = 0; done < n; ) {
      const a = process.threadCpuUsage();
      for (let j = 0; j < 4096 && done < n; j++, done++) log.append(rec(done));
      const d = process.threadCpuUsage(a);
      appendCpuMicros += d.user + d.system;
      await new Promise((r) => setImmediate(r));
    }
    await log.flush();
    const totalMs = performance.now() - t0;
    const m = process.threadCpuUsage(mainRef);
    mainCpuMicros = m.user + m.system;
    mainRef = process.threadCpuUsage();
    const workerCpu = (await metricValue(metrics, 'bttc_hash_pool_worker_cpu_seconds_total', 'audit-batch')) - workerCpu0;
    await log.close();
    const cpuSeconds = mainCpuMicros / 1e6 + workerCpu;
    return {
      records: n,
      seconds: round(totalMs / 1000),
      recordsPerSec: Math.round(n / (totalMs / 1000)),
      mainThreadCpuSeconds: round(mainCpuMicros / 1e6),
      workerCpuSeconds: round(workerCpu),
      recordsPerCpuSecond: Math.round(n / cpuSeconds),
      appendCpuMicrosPerRecord: round(appendCpuMicros / n),
      batches: log.head('public').nextBatch,
    };
  } finally {
    await db.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 2. the devnet with the log on and off -------------------------------------------------------

/** Sum of a metric's samples in a /metrics page, those whose labels contain `label` when given. */
function metric(text: string, name: string, label?: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) if (!label || (m[1] ?? '').includes(label)) sum += Number(m[2]);
  return sum;
}

async function metricValue(reg: Registry, name: string, op: string): Promise<number> {
  return metric(await reg.metrics(), name, `op="${op}"`);
}

/** The audit log's own CPU (main-thread sealing + hash-pool worker) summed over nodes' /metrics pages. */
function ownCpu(texts: string[]): number {
  return texts.reduce((a, t) => a + metric(t, 'bttc_audit_log_seal_main_cpu_seconds_total') + metric(t, 'bttc_hash_pool_worker_cpu_seconds_total', 'op="audit-batch"'), 0);
}

interface DevnetRun {
  auditLog: boolean;
  tps: number;
  included: number;
  validatorCpuSeconds: number[];
  cpuPer1000Tx: number;
  auditRecords: number;
  auditBatches: number;
  anchorTxs: number;
  /** Main-thread sealing + hash-pool worker CPU of the log during the load, all validators. */
  ownCpuSeconds: number;
}

async function devnetRun(auditLog: boolean, rate: number, seconds: number, base: number): Promise<DevnetRun> {
  const validators = 4;
  const dir = mkdtempSync(join(tmpdir(), 'bttc-bench-audit-devnet-'));
  const logger = createLogger({ name: 'bench-audit-log', level: 'warn' });
  await createDevnet(dir, { validators, ports: { rpc: base, rest: base + 20, p2p: base + 40, root: base + 60 } });
  const sup = new DevnetSupervisor({ dir, blockTimeSec: 1, restartDelayMs: 5000, logLevel: 'warn', nodeSettings: { auditLog: { enabled: auditLog } } }, { logger });
  try {
    await sup.start();
    await waitDevnetReady(sup, validators);
    const before = await sup.snapshot();
    const pids = before.nodes.map((n) => n.pid);
    const scrapeAll = () =>
      Promise.all(
        before.nodes.map((n) =>
          fetch(n.rpcUrl + '/metrics').then(
            (x) => x.text(),
            () => '',
          ),
        ),
      );
    const texts0 = await scrapeAll();
    const cpu0 = pids.map(cpuSeconds);
    const lt = new LoadTest({
      rpc: sup.rpcUrl(0),
      mode: 'transfer',
      rate,
      durationSec: seconds,
      accounts: readKeysFile(join(dir, 'loadtest-keys.json')),
      drainSec: 20,
      sprint: loadConfig('devnet').bttc.sprint,
    });
    const r = await lt.run();
    const cpu1 = pids.map(cpuSeconds);
    const used = cpu1.map((c, i) => (c ?? NaN) - (cpu0[i] ?? NaN));
    const texts = await Promise.all(
      before.nodes.map((n) =>
        fetch(n.rpcUrl + '/metrics').then(
          (x) => x.text(),
          () => '',
        ),
      ),
    );
    const sum = (name: string) => texts.reduce((a, t) => a + metric(t, name), 0);
    return {
      auditLog,
      tps: round(r.tps),
      included: r.included,
      validatorCpuSeconds: used.map((u) => round(u)),
      cpuPer1000Tx: round((used.reduce((a, b) => a + b, 0) / validators / r.included) * 1000),
      auditRecords: sum('bttc_audit_log_records_total'),
      auditBatches: sum('bttc_audit_log_batches_total'),
      anchorTxs: sum('bttc_audit_anchor_txs_total'),
      ownCpuSeconds: round(ownCpu(texts) - ownCpu(texts0)),
    };
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = arg('--records', QUICK ? 20_000 : 200_000);
console.log(`append throughput: ${n} records through the hash pool (1 thread) into LevelDB`);
const append = await appendThroughput(n);
console.log(append);

const cfg = loadConfig('devnet').bttc;
const fullRate = Math.floor(cfg.gasLimit / 21000 / cfg.period);
const rate = arg('--rate', QUICK ? Math.floor(fullRate / 4) : fullRate);
const seconds = arg('--seconds', QUICK ? 30 : 60);
const runs: DevnetRun[] = [];
if (!process.argv.includes('--skip-devnet')) {
  for (const on of [true, false]) {
    console.log(`devnet: 4 validators, ${rate} tx/s for ${seconds} s, audit log ${on ? 'on' : 'off'}`);
    runs.push(await devnetRun(on, rate, seconds, 25_000));
    console.log(runs[runs.length - 1]);
  }
}
const on = runs.find((r) => r.auditLog);
const off = runs.find((r) => !r.auditLog);
// The log's own work in the run with it on: sealing (worker, upper bound: wall time incl. queueing)
// plus the main thread's appends at the measured cost per record, over the validators' CPU.
// Anchor transactions are ordinary Bttc transactions every node executes: their gas against the
// offered load's (21,000-gas transfers at `rate` for `seconds`) bounds what they add to block work.
const ANCHOR_GAS = 70_000;
const anchorGasShare = on ? (on.anchorTxs * ANCHOR_GAS) / (rate * seconds * 21_000 + on.anchorTxs * ANCHOR_GAS) : NaN;
const ownShare = on ? (on.ownCpuSeconds + (on.auditRecords * append.appendCpuMicrosPerRecord!) / 1e6) / on.validatorCpuSeconds.reduce((a, b) => a + b, 0) : NaN;
report('audit-log', {
  rows: [{ name: 'append + hash + sign (hash pool) + LevelDB', meanMs: 1000 / append.recordsPerSec!, opsPerSec: append.recordsPerSec!, samples: append.records! }],
  ratios: {
    'records/s (wall clock, shared machine) / 50,000 target': append.recordsPerSec! / 50_000,
    'records per CPU-second (main thread + hash worker) / 50,000 target': append.recordsPerCpuSecond! / 50_000,
    'CPU per 1000 tx, log on / log off (A/B, noisy)': on && off ? on.cpuPer1000Tx / off.cpuPer1000Tx : NaN,
    "log's own work / validators' CPU (target ≤ 0.02)": ownShare,
    'anchor tx gas / block gas at the offered rate': anchorGasShare,
  },
  append,
  devnet: { rate, seconds, fullRate, runs },
  loadAverage: loadavg(),
  notes: [
    "one 2-core machine: the on/off runs ran one after the other, so their ratio carries that noise; the own-work share comes from the node's audit-log metrics in the run with the log on",
    'own work = CPU the log\'s sealing took on the main thread and in the hash worker (bttc_audit_log_seal_main_cpu_seconds_total + bttc_hash_pool_worker_cpu_seconds_total{op="audit-batch"}, thread CPU time) + records × the measured append CPU; anchor transactions (one per batch and validator, ~70k gas each) are in the A/B only',
    "records/s is wall clock with appends, hashing, signing and LevelDB writes overlapping; records per CPU-second counts only this process's main-thread and hash-worker CPU, so it does not depend on what else the machine runs",
    "the log's work does not grow with the transaction rate (it records checkpoints, spans, state syncs, alerts), while the node's does: a share measured at a lower achieved rate is an upper bound for the share at 476 tx/s",
    'at 476 tx/s the log writes only what the node announces (checkpoints, spans, state syncs, alerts): a few records a minute, one batch and one anchor transaction per 5 s at most per validator',
  ],
});
