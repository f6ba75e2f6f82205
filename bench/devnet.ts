/**
 * The 4-validator devnet under load at the block gas limit: `bttc-node loadtest` (transfer mode) at
 * gasLimit / 21000 / period transactions per second against validator 0 for 5 minutes (--quick: 60 s,
 * a quarter of the rate). Reports block interval p50/p99 (target p99 ≤ 2.2 s), TPS, Mgas/s,
 * checkpoints acked during the run and each node's main-thread event-loop lag p99 (prom-client's
 * monitorEventLoopDelay, since the node started). Options: --seconds S, --rate N, --validators N.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { QUICK, report, round } from './lib/harness.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDevnet, DevnetSupervisor } from '../src/devnet/index.ts';
import { LoadTest, readKeysFile, formatReport } from '../src/loadtest/index.ts';
import { createLogger } from '../src/observability/logger.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const cfg = loadConfig('devnet').bttc;
const fullRate = Math.floor(cfg.gasLimit / 21000 / cfg.period);
const seconds = arg('--seconds', QUICK ? 60 : 300);
const rate = arg('--rate', QUICK ? Math.floor(fullRate / 4) : fullRate);
const validators = arg('--validators', 4);
const dir = mkdtempSync(join(tmpdir(), 'bttc-bench-devnet-'));
const base = 24000;
const logger = createLogger({ name: 'bench-devnet', level: 'warn' });
await createDevnet(dir, { validators, ports: { rpc: base, rest: base + 20, p2p: base + 40, root: base + 60 } });
const sup = new DevnetSupervisor({ dir, blockTimeSec: 1, restartDelayMs: 5000, logLevel: 'warn' }, { logger });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lagP99(url: string): Promise<number | null> {
  const text = await fetch(url + '/metrics').then((r) => r.text(), () => '');
  const m = /^bttc_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

try {
  await sup.start();
  for (;;) {
    const s = await sup.snapshot();
    if (s.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= validators - 1)) break;
    await sleep(1000);
  }
  const before = await sup.snapshot();
  const ackedBefore = Math.max(...before.nodes.map((n) => n.status!.delivery.checkpointsAcked));
  const accounts = readKeysFile(join(dir, 'loadtest-keys.json'));
  console.log(`load: ${rate} tx/s for ${seconds} s (${fullRate} tx/s fills a ${cfg.gasLimit}-gas block every ${cfg.period} s), ${accounts.length} accounts`);
  const lt = new LoadTest({ rpc: sup.rpcUrl(0), mode: 'transfer', rate, durationSec: seconds, accounts, drainSec: 30, sprint: cfg.sprint, onProgress: (p) => console.log(`  ${p.phase} ${p.elapsedSec.toFixed(0)} s sent ${p.sent} included ${p.included} errors ${p.errors} head ${p.head}`) });
  const r = await lt.run();
  process.stdout.write(formatReport(r));
  const after = await sup.snapshot();
  const ackedAfter = Math.max(...after.nodes.map((n) => n.status?.delivery.checkpointsAcked ?? 0));
  const lags = await Promise.all(after.nodes.map((n) => lagP99(n.rpcUrl)));
  const heads = after.nodes.map((n) => n.status?.bttc.head ?? null);
  report('devnet', {
    rows: [
      { name: 'block interval (seen at validator 0)', meanMs: (r.blockInterval.mean ?? NaN) * 1000, p99Ms: (r.blockInterval.p99 ?? NaN) * 1000, opsPerSec: r.tps, samples: r.blockInterval.count },
      { name: 'inclusion latency', meanMs: (r.inclusionLatency.mean ?? NaN) * 1000, p99Ms: (r.inclusionLatency.p99 ?? NaN) * 1000, opsPerSec: r.tps, samples: r.inclusionLatency.count },
    ],
    ratios: {
      'block interval p99 / 2.2 s target': (r.blockInterval.p99 ?? NaN) / 2.2,
      'block interval p99 within sprints / 2.2 s target': (r.blockIntervalWithinSprint?.p99 ?? NaN) / 2.2,
      'TPS achieved / offered rate': r.tps / rate,
    },
    load: { rate, seconds, fullRate, validators },
    blockInterval: r.blockInterval,
    blockIntervalHeader: r.blockIntervalHeader,
    blockIntervalWithinSprint: r.blockIntervalWithinSprint,
    tps: round(r.tps),
    mgasPerSec: round(r.mgasPerSec),
    included: r.included,
    errors: r.errors,
    checkpointsAcked: ackedAfter - ackedBefore,
    eventLoopLagP99Seconds: lags,
    heads,
    loadtest: r,
    loadAverage: loadavg(),
    notes: [`a producer switch at a sprint start (every ${cfg.sprint} blocks) waits producerDelay = ${cfg.producerDelay} s by Bor's rule, so p99 over all intervals includes those; "within sprints" leaves them out`, 'all validators, the root chain and the load generator share one machine (2 cores, shared with other work while this ran)', 'event-loop lag p99 is prom-client monitorEventLoopDelay since each node started'],
  });
} finally {
  await sup.stop();
  if (!process.env.KEEP_DEVNET) rmSync(dir, { recursive: true, force: true });
  else console.log(`devnet kept in ${dir}`);
}
