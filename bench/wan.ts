/**
 * The 2-second target under WAN latency: validators in network namespaces (root chain alone in one,
 * one validator per other namespace, written by `bttc-node testnet init` and run by
 * `bttc-node testnet start` per namespace), every p2p connection through a latency relay
 * (src/testnet/latency-relay.ts, in its own process on the bridge) that delays each chunk by the
 * one-way latency (± 10 % jitter) in both directions, and full transfer blocks from `loadtest`.
 *
 * For each validator count and producerDelay, one network is started and the relays' latency is
 * stepped through the list; each step waits `--settle` seconds, then loads the network for
 * `--seconds` and measures: network block interval p50/p99 (first newHeads at any validator, all
 * intervals and within sprints), reorgs and backup seals per 1000 blocks (node metrics), checkpoint
 * time from its proposal's Delivery commit to 2/3+1 votes (approved) and to the ack (status polled
 * every 250 ms), and Delivery commit latency (bttc_consensus_commit_seconds: entering a height to
 * deciding it).
 *
 *   node bench/wan.ts [--validators 4,7] [--latencies 0,25,50,100] [--producer-delays 2,6]
 *                     [--build-budgets default,500] [--mesh-degrees 4,6]
 *                     [--seconds 60] [--settle 10] [--rate 476 | --rate 4:476,7:60]
 *                     [--checkpoint-length 16] [--results-name wan] [--quick]
 *
 * --build-budgets and --mesh-degrees sweep node settings (node.buildBudgetMs, node.p2p.meshDegree;
 * "default" = the node's own default): one network per combination, as for producerDelay.
 *
 * Needs root (network namespaces; without them it prints why and exits 0). Writes
 * bench/results/wan.json (wan.quick.json with --quick).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { QUICK, report, round } from './lib/harness.ts';
import { loadConfig } from '../src/config/load.ts';
import { LoadTest, readKeysFile } from '../src/loadtest/index.ts';
import { JsonRpcClient } from '../src/loadtest/rpc.ts';
import type { NodeStatus } from '../src/node/interface.ts';
import { cleanupStaleLabs, createLab, destroyLab, netnsUnavailable, spawnInNs, type NetnsLab } from '../src/testnet/netns.ts';
import { LabTestnet } from '../src/testnet/lab.ts';
import type { TestnetLayout } from '../src/testnet/init.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const list = (name: string, dflt: string) => arg(name, dflt).split(',').map(Number);

const cfg = loadConfig('devnet').bttc;
const fullRate = Math.floor(cfg.gasLimit / 21000 / cfg.period);
const validatorCounts = list('--validators', QUICK ? '4' : '4,7');
const latencies = list('--latencies', QUICK ? '0,50' : '0,25,50,100');
const producerDelays = list('--producer-delays', QUICK ? '2' : '2,6');
/** null: the node's default (min(1000 ms, half the period)). */
const buildBudgets: (number | null)[] = arg('--build-budgets', 'default')
  .split(',')
  .map((x) => (x === 'default' ? null : Number(x)));
const meshDegrees = list('--mesh-degrees', '4');
for (const [name, xs] of [
  ['--build-budgets', buildBudgets],
  ['--mesh-degrees', meshDegrees],
] as const)
  if (xs.some((x) => x !== null && !(Number.isInteger(x) && x > 0))) {
    console.error(`${name}: expected positive integers separated by commas${name === '--build-budgets' ? ' (or "default")' : ''}`);
    process.exit(2);
  }
const seconds = Number(arg('--seconds', QUICK ? '30' : '60'));
const settle = Number(arg('--settle', QUICK ? '6' : '10'));
/** `--rate N` for every validator count, or `--rate 4:476,7:50` per count (a count not named gets the full rate). */
const rateArg = arg('--rate', String(QUICK ? Math.floor(fullRate / 4) : fullRate));
const rateFor = (v: number): number => {
  if (!rateArg.includes(':')) return Number(rateArg);
  const hit = rateArg.split(',').find((p) => Number(p.split(':')[0]) === v);
  return hit ? Number(hit.split(':')[1]) : fullRate;
};
const checkpointLength = Number(arg('--checkpoint-length', '16'));
const RELAY_BASE = 40000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const why = netnsUnavailable();
if (why) {
  // `npm run bench` on a machine without namespaces runs the rest: say why this one did not run.
  console.log(`bench/wan.ts skipped: ${why}`);
  process.exit(0);
}

/** Relays on the bridge address, one per node, in their own process; latency set over stdin. */
class Relays {
  private readonly child;
  private readonly replies: ((line: string) => void)[] = [];
  constructor(lab: NetnsLab, layout: TestnetLayout) {
    const relays = layout.nodes.map((n, j) => ({ listen: { host: lab.bridgeAddr, port: RELAY_BASE + j }, target: { host: n.host, port: n.ports.p2p } }));
    this.child = spawn(process.execPath, [resolve(import.meta.dirname, '../src/testnet/relay-main.ts'), JSON.stringify({ relays, latencyMs: 0 })], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.replies.shift()?.(l));
  }
  private ask(): Promise<Record<string, unknown>> {
    return new Promise((r) => this.replies.push((l) => r(JSON.parse(l) as Record<string, unknown>)));
  }
  async ready(): Promise<void> {
    const r = await this.ask();
    if (!r.ready) throw new Error(`relays: ${JSON.stringify(r)}`);
  }
  async set(latencyMs: number): Promise<Record<string, unknown>> {
    const reply = this.ask();
    this.child.stdin!.write(JSON.stringify({ latencyMs, jitterMs: latencyMs / 10 }) + '\n');
    return reply;
  }
  async stats(): Promise<{ connections: number; open: number; bytes: number }[]> {
    const reply = this.ask();
    this.child.stdin!.write('{"stats":true}\n');
    return (await reply).stats as { connections: number; open: number; bytes: number }[];
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
  }
}

/** Node configs dial the other nodes through their relays (bridge address), never directly. */
function throughRelays(net: LabTestnet, layout: TestnetLayout): void {
  for (const n of layout.nodes) {
    const f = join(net.opts.dir, n.host, n.dir, 'config.json');
    const c = JSON.parse(readFileSync(f, 'utf8')) as { node: { p2p: { staticPeers: string[] } } };
    c.node.p2p.staticPeers = layout.nodes.filter((p) => p.index !== n.index).map((p) => `/ip4/${net.lab.bridgeAddr}/tcp/${RELAY_BASE + p.index}/p2p/${p.peerId}`);
    writeFileSync(f, JSON.stringify(c, null, 2) + '\n');
  }
}

/** TCP connections a namespace holds to another namespace's address (should be none: all go via relays). */
function directConnections(lab: NetnsLab, k: number): Promise<number> {
  const others = lab.hosts.filter((_, j) => j !== k && j > 0).map((h) => h.addr);
  return new Promise((res) => {
    const c = spawnInNs(lab.hosts[k]!.ns, 'ss', ['-tnH', 'state', 'established'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => res(out.split('\n').filter((l) => others.some((a) => l.includes(`${a}:`))).length));
    c.on('error', () => res(-1));
  });
}

async function scrape(url: string): Promise<string> {
  return fetch(url + '/metrics').then(
    (r) => r.text(),
    () => '',
  );
}

function metricSum(texts: string[], re: RegExp): number {
  let s = 0;
  for (const t of texts) for (const m of t.matchAll(re)) s += Number(m[1]);
  return s;
}

/** A histogram's buckets, sum and count summed over nodes. */
function hist(texts: string[], name: string): { buckets: Map<number, number>; sum: number; count: number } {
  const buckets = new Map<number, number>();
  for (const t of texts)
    for (const m of t.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
  return { buckets, sum: metricSum(texts, new RegExp(`^${name}_sum (\\S+)$`, 'gm')), count: metricSum(texts, new RegExp(`^${name}_count (\\S+)$`, 'gm')) };
}

function histDelta(a: ReturnType<typeof hist>, b: ReturnType<typeof hist>, q: number): { count: number; meanMs: number | null; quantileUpperBoundMs: number | null } {
  const count = b.count - a.count;
  if (count <= 0) return { count: 0, meanMs: null, quantileUpperBoundMs: null };
  const les = [...b.buckets.keys()].sort((x, y) => x - y);
  const ub = les.find((le) => b.buckets.get(le)! - (a.buckets.get(le) ?? 0) >= q * count) ?? Infinity;
  return { count, meanMs: round(((b.sum - a.sum) / count) * 1000), quantileUpperBoundMs: ub === Infinity ? null : ub * 1000 };
}

interface CheckpointTiming {
  /** The relays' one-way latency when the checkpoint was proposed. */
  latencyMs: number;
  proposedAt: number;
  approvedMs: number | null;
  ackedMs: number | null;
}

/** Polls every node's status: when the network's checkpoint counters move (first node to show it). */
class CheckpointWatch {
  readonly timings: CheckpointTiming[] = [];
  private last = { proposed: -1, approved: -1, acked: -1 };
  private stopped = false;
  private readonly done: Promise<void>;
  /** The latency in effect now (set by the step loop). */
  latencyMs = 0;
  constructor(urls: string[]) {
    const clients = urls.map((u) => new JsonRpcClient(u, { timeoutMs: 2000 }));
    this.done = (async () => {
      while (!this.stopped) {
        const st = await Promise.all(clients.map((c) => c.call<NodeStatus>('bttcnode_status').catch(() => null)));
        const max = (f: (s: NodeStatus) => number) => Math.max(...st.map((s) => (s ? f(s) : -1)));
        const now = Date.now();
        const cur = { proposed: max((s) => s.delivery.checkpointsProposed), approved: max((s) => s.delivery.checkpointsApproved), acked: max((s) => s.delivery.checkpointsAcked) };
        if (this.last.proposed >= 0) {
          for (let k = this.last.proposed; k < cur.proposed; k++) this.timings.push({ latencyMs: this.latencyMs, proposedAt: now, approvedMs: null, ackedMs: null });
          const open = (key: 'approvedMs' | 'ackedMs') => this.timings.filter((t) => t[key] === null);
          for (let k = this.last.approved; k < cur.approved; k++) {
            const t = open('approvedMs')[0];
            if (t) t.approvedMs = now - t.proposedAt;
          }
          for (let k = this.last.acked; k < cur.acked; k++) {
            const t = open('ackedMs')[0];
            if (t) t.ackedMs = now - t.proposedAt;
          }
        }
        this.last = cur;
        await sleep(250);
      }
    })();
  }
  async stop(): Promise<CheckpointTiming[]> {
    this.stopped = true;
    await this.done;
    return this.timings;
  }
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);

interface Step {
  validators: number;
  producerDelay: number;
  /** node.buildBudgetMs (null: the node's default). */
  buildBudgetMs: number | null;
  meshDegree: number;
  oneWayLatencyMs: number;
  rttMs: number;
  blocks: number;
  intervalNetworkP50: number | null;
  intervalNetworkP99: number | null;
  intervalNetworkMax: number | null;
  /** At validator 0 (the RPC node, after its import), leaving out sprint-start intervals. */
  intervalSeenWithinSprintP99: number | null;
  intervalSeenP99: number | null;
  reorgsPer1000Blocks: number | null;
  backupSealsPer1000Blocks: number | null;
  checkpoints: { n: number; toTwoThirdsMsMedian: number | null; toAckMsMedian: number | null; raw: CheckpointTiming[] };
  deliveryCommit: ReturnType<typeof histDelta>;
  /** Offered transfer rate (tx/s; 476 fills a 20M-gas block every 2 s). */
  rate: number;
  tps: number;
  included: number;
  errors: number;
  directConnections: number[];
  loadAverage: number[];
}

const steps: Step[] = [];
/** What a Ctrl-C or SIGTERM must take down: the running network, its relays and namespaces. */
const live: { net: LabTestnet | null; relays: Relays | null; lab: NetnsLab | null; base: string | null } = { net: null, relays: null, lab: null, base: null };
async function teardown(): Promise<void> {
  const { net, relays, lab, base } = live;
  live.net = live.relays = live.lab = null;
  live.base = null;
  await net?.stop(15_000);
  await relays?.stop();
  if (lab) destroyLab(lab);
  if (base && !process.env.KEEP_TESTNET) rmSync(base, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    console.log(`${sig}: stopping the network and removing its namespaces`);
    void teardown().then(() => process.exit(130));
  });
const started = Date.now();
removeStale();
function removeStale(): void {
  const r = cleanupStaleLabs();
  if (r.length) console.log(`removed stale lab namespaces/links: ${r.join(', ')}`);
}

const combos = producerDelays.flatMap((pd) => buildBudgets.flatMap((bb) => meshDegrees.map((D) => ({ pd, bb, D }))));
const comboName = (c: { pd: number; bb: number | null; D: number }) => `producerDelay ${c.pd} s, build budget ${c.bb ?? 'default'}, mesh D ${c.D}`;
for (const V of validatorCounts) {
  for (const { pd, bb, D } of combos) {
    const base = mkdtempSync(join(tmpdir(), 'bttc-bench-wan-'));
    live.base = base;
    try {
      const lab = createLab(V + 1);
      live.lab = lab;
      const net = new LabTestnet(lab, {
        dir: join(base, 'testnet'),
        validators: V,
        set: [`bttc.producerDelay=${pd}`, `checkpoint.avgLength=${checkpointLength}`],
        node: { p2p: { meshDegree: D }, ...(bb === null ? {} : { buildBudgetMs: bb }) },
        logLevel: 'warn',
      });
      const layout = await net.init();
      live.net = net;
      throughRelays(net, layout);
      const relays = new Relays(lab, layout);
      live.relays = relays;
      await relays.ready();
      net.startHost(0);
      for (let t = 0; !(net.snapshot(0)?.rootchain?.head ?? 0); t++) {
        if (t > 120) throw new Error(`root chain did not start\n${net.output()}`);
        await sleep(500);
      }
      for (let k = 1; k <= V; k++) net.startHost(k);
      const urls = layout.nodes.map((n) => `http://${n.host}:${n.ports.rpc}`);
      for (let t = 0; ; t++) {
        const s = net.nodeStatuses();
        if (s.length === V && s.every((n) => n.status && n.status.peers >= V - 1 && n.status.bttc.head >= 3)) break;
        if (t > 240 || net.exited().length) throw new Error(`network of ${V} did not come up\n${net.output()}`);
        await sleep(500);
      }
      console.log(`${V} validators, ${comboName({ pd, bb, D })}: up after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      const accounts = readKeysFile(join(net.opts.dir, 'loadtest-keys.json'));
      // One watch for the whole network: a checkpoint's votes and ack may land after its step ends.
      const cw = new CheckpointWatch(urls);
      const stepsHere: Step[] = [];
      for (const L of latencies) {
        await relays.set(L);
        cw.latencyMs = L;
        await sleep(settle * 1000);
        const before = await Promise.all(urls.map(scrape));
        const lt = new LoadTest({ rpc: urls[0]!, watch: urls.slice(1), mode: 'transfer', rate: rateFor(V), durationSec: seconds, accounts, drainSec: 10, sprint: cfg.sprint });
        const r = await lt.run();
        const after = await Promise.all(urls.map(scrape));
        const blocks = r.blocks.count;
        const per1000 = (re: RegExp) => (blocks > 0 ? round(((metricSum(after, re) - metricSum(before, re)) / blocks) * 1000) : null);
        const direct = await Promise.all(layout.nodes.map((_, j) => directConnections(lab, j + 1)));
        const step: Step = {
          validators: V,
          producerDelay: pd,
          buildBudgetMs: bb,
          meshDegree: D,
          oneWayLatencyMs: L,
          rttMs: 2 * L,
          blocks,
          intervalNetworkP50: r.blockIntervalNetwork?.p50 ?? null,
          intervalNetworkP99: r.blockIntervalNetwork?.p99 ?? null,
          intervalNetworkMax: r.blockIntervalNetwork?.max ?? null,
          intervalSeenWithinSprintP99: r.blockIntervalWithinSprint?.p99 ?? null,
          intervalSeenP99: r.blockInterval.p99,
          // Reorgs: summed over the V nodes, so per node per 1000 blocks divide by V.
          reorgsPer1000Blocks: per1000(/^bttc_chain_reorgs_total (\S+)$/gm) === null ? null : round(per1000(/^bttc_chain_reorgs_total (\S+)$/gm)! / V),
          backupSealsPer1000Blocks: per1000(/^bttc_producer_sealed_total\{turn="backup"\} (\S+)$/gm),
          checkpoints: { n: 0, toTwoThirdsMsMedian: null, toAckMsMedian: null, raw: [] },
          deliveryCommit: histDelta(hist(before, 'bttc_consensus_commit_seconds'), hist(after, 'bttc_consensus_commit_seconds'), 0.99),
          rate: rateFor(V),
          tps: round(r.tps),
          included: r.included,
          errors: Object.values(r.errors).reduce((a, b) => a + b, 0),
          directConnections: direct,
          loadAverage: loadavg().map((x) => round(x, 2)),
        };
        steps.push(step);
        stepsHere.push(step);
        console.log(
          `V=${V} pd=${pd} bb=${bb ?? 'default'} D=${D} L=${L} ms: interval p50 ${step.intervalNetworkP50?.toFixed(3)} p99 ${step.intervalNetworkP99?.toFixed(3)} (seen at v0 within sprints ${step.intervalSeenWithinSprintP99?.toFixed(3)}) s, blocks ${blocks}, reorgs/1000 ${step.reorgsPer1000Blocks}, backup/1000 ${step.backupSealsPer1000Blocks}, delivery commit mean ${step.deliveryCommit.meanMs} ms, ${step.tps} tx/s, direct conns ${direct.join('/')}, load ${step.loadAverage[0]}`,
        );
      }
      // Let the last step's checkpoint finish, then give each step the checkpoints proposed during it.
      await sleep(Math.min(60, 4 * checkpointLength) * 1000);
      const timings = await cw.stop();
      for (const step of stepsHere) {
        const t = timings.filter((x) => x.latencyMs === step.oneWayLatencyMs);
        const ms = (k: 'approvedMs' | 'ackedMs') => median(t.flatMap((x) => (x[k] === null ? [] : [x[k]])));
        step.checkpoints = { n: t.length, toTwoThirdsMsMedian: ms('approvedMs'), toAckMsMedian: ms('ackedMs'), raw: t };
        console.log(`V=${V} pd=${pd} L=${step.oneWayLatencyMs} ms: checkpoints ${t.length}, to 2/3+1 median ${step.checkpoints.toTwoThirdsMsMedian} ms, to ack ${step.checkpoints.toAckMsMedian} ms`);
      }
      const rs = await relays.stats();
      console.log(`relays carried ${rs.reduce((a, s) => a + s.bytes, 0)} bytes over ${rs.reduce((a, s) => a + s.connections, 0)} connections`);
    } finally {
      await teardown();
    }
  }
}

/** Smallest latency whose network p99 exceeds 2.2 s (within sprints for producerDelay > period), per V and setting combination. */
const breaks = validatorCounts.flatMap((V) =>
  combos.map(({ pd, bb, D }) => {
    const rows = steps.filter((s) => s.validators === V && s.producerDelay === pd && s.buildBudgetMs === bb && s.meshDegree === D);
    const p99 = (s: Step) => (pd > cfg.period ? s.intervalSeenWithinSprintP99 : s.intervalNetworkP99);
    const first = rows.find((s) => (p99(s) ?? Infinity) > 2.2);
    return {
      validators: V,
      producerDelay: pd,
      buildBudgetMs: bb,
      meshDegree: D,
      measure: pd > cfg.period ? 'p99 within sprints, seen at validator 0' : 'network p99 of all intervals',
      breaksAtOneWayMs: first?.oneWayLatencyMs ?? null,
      lastMeasuredMs: rows.at(-1)?.oneWayLatencyMs ?? null,
    };
  }),
);
// The target is judged on the node's defaults (the sweeps show what a setting would move).
const target = steps.find((s) => s.validators === 7 && s.producerDelay === cfg.producerDelay && s.buildBudgetMs === null && s.meshDegree === 4 && s.oneWayLatencyMs === 50);
// --results-name NAME writes bench/results/NAME.json (a follow-up run beside the main matrix).
report(arg('--results-name', 'wan'), {
  ratios: Object.fromEntries(
    steps.map((s) => [
      `V=${s.validators} producerDelay=${s.producerDelay} s${s.buildBudgetMs === null ? '' : ` buildBudget=${s.buildBudgetMs} ms`}${s.meshDegree === 4 ? '' : ` meshD=${s.meshDegree}`} one-way ${s.oneWayLatencyMs} ms: network interval p99 / 2.2 s`,
      (s.intervalNetworkP99 ?? NaN) / 2.2,
    ]),
  ),
  run: {
    validatorCounts,
    latencies,
    producerDelays,
    buildBudgets,
    meshDegrees,
    secondsPerStep: seconds,
    settleSeconds: settle,
    rate: Object.fromEntries(validatorCounts.map((v) => [v, rateFor(v)])),
    fullRate,
    checkpointLength,
    wallSeconds: round((Date.now() - started) / 1000, 0),
    jitter: '±10 % of the one-way latency',
  },
  target: {
    what: 'network block interval p99 ≤ 2.2 s at 50 ms one-way with 7 validators (producerDelay 2 s)',
    p99: target?.intervalNetworkP99 ?? null,
    met: target ? (target.intervalNetworkP99 ?? Infinity) <= 2.2 : null,
  },
  breaks,
  steps,
  params: {
    period: cfg.period,
    sprint: cfg.sprint,
    gasLimit: cfg.gasLimit,
    sealMarginMs: 100,
    defaultBuildBudgetMs: Math.min(1000, cfg.period * 500),
    gossip: 'floodPublish on, mesh D 4 by default (Dlo min(3, D), Dhi max(8, 2D))',
  },
  notes: [
    'each step: relays set, settle, then loadtest (transfer mode) for secondsPerStep + a 10 s drain against validator 0 with every validator watched; the network is not restarted between latencies',
    'one-way latency is added by a userspace relay per node (src/testnet/latency-relay.ts) that every p2p connection passes once; directConnections counts TCP connections between node namespaces that bypass the relays (0 expected)',
    "network interval: between consecutive blocks' first newHeads arrival at any validator (an observer in the root namespace, not behind the relays)",
    'with producerDelay 6 s (mainnet) every sprint start (1 in 16 blocks) waits 6 s by design, so the p99 of all intervals is ~6 s; its "within sprints" p99 (as validator 0 sees blocks, after its import) is the comparable number',
    'checkpoint times run from the first status poll (250 ms) showing the checkpoint committed in Delivery to 2/3+1 side-tx votes (approved) and to the ack; checkpoint.avgLength is shortened so several fit in one step',
    'reorgs per 1000 blocks are per node (summed over nodes / validators); backup seals are blocks any node sealed out of turn',
    'one 2-core machine runs every node, relay and the load generator: see loadAverage per step',
  ],
});
