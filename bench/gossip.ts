/**
 * Gossip between two nodes on loopback, libp2p in the network worker vs libp2p on the main thread,
 * side by side in one run:
 *  1. throughput: awaited publishes of 200-byte messages A → B, messages/s received;
 *  2. main-thread event-loop lag p99 (perf_hooks monitorEventLoopDelay) while the same fixed
 *     message rate flows in both modes (50% and 90% of the slower mode's throughput), and while
 *     block-sized messages (512 KiB, 6/s) flow.
 * Both nodes live in this process; in "worker" mode each runs its libp2p node in its own worker,
 * in "main" mode both run on this thread. The receiving handler (accept) runs on the main thread
 * in both modes, as consensus would.
 *
 * Run: node bench/gossip.ts [--quick]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { createNetwork, createNetworkKey, type NetworkClient } from '../src/p2p/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { QUICK, report, type TaskRow } from './lib/harness.ts';

type Mode = 'worker' | 'main';
const MSG_BYTES = 200;
const THROUGHPUT_MS = QUICK ? 1500 : 6000;
const LOAD_MS = QUICK ? 2000 : 8000;

async function pair(mode: Mode): Promise<{ a: NetworkClient; b: NetworkClient; received: () => number; close(): Promise<void> }> {
  const mk = async (staticPeers: string[] = []) => {
    const n = createNetwork(
      { chainId: 'bench', privateKey: await createNetworkKey(), listen: ['/ip4/127.0.0.1/tcp/0'], staticPeers, inWorker: mode === 'worker', logLevel: 'silent', gossip: { heartbeatIntervalMs: 200 } },
      { metrics: null, logger: silentLogger() },
    );
    await n.start();
    return n;
  };
  const a = await mk();
  const b = await mk(a.listenAddrs());
  let received = 0;
  const count = () => {
    received++;
    return 'accept' as const;
  };
  b.subscribe('bttc-tx', count, { maxQueue: 100_000, concurrency: 1024 });
  b.subscribe('bttc-block', count, { maxQueue: 1000, concurrency: 16 });
  a.subscribe('bttc-tx', () => 'accept');
  a.subscribe('bttc-block', () => 'accept');
  const deadline = Date.now() + 15_000;
  while (!b.connectedPeers().includes(a.peerId)) {
    if (Date.now() > deadline) throw new Error('bench: nodes did not connect');
    await new Promise((r) => setTimeout(r, 50));
  }
  // Warm up until a message gets through (mesh formed, streams open).
  let seq = 0;
  while (received === 0) {
    await a.publish('bttc-tx', payload(seq++, 0xff));
    await new Promise((r) => setTimeout(r, 50));
    if (Date.now() > deadline) throw new Error('bench: no message got through');
  }
  return {
    a,
    b,
    received: () => received,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

let run = 0;
function payload(seq: number, tag: number, size = MSG_BYTES): Uint8Array {
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  v.setUint32(0, seq);
  v.setUint32(4, run);
  p[8] = tag;
  return p;
}

function lagMonitor() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return {
    stop: () => {
      h.disable();
      // count 0 would mean the loop never reached a timer phase: the real lag is the whole phase.
      return { p99Ms: h.percentile(99) / 1e6, p50Ms: h.percentile(50) / 1e6, maxMs: h.max / 1e6, samples: h.count };
    },
  };
}

async function waitDrain(received: () => number, target: number, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (received() < target && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function throughput(mode: Mode) {
  run++;
  const p = await pair(mode);
  const base = p.received();
  const lag = lagMonitor();
  let sent = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < THROUGHPUT_MS) await p.a.publish('bttc-tx', payload(sent++, 1));
  const elapsed = performance.now() - t0;
  const lagStats = lag.stop();
  await waitDrain(() => p.received() - base, sent);
  const got = p.received() - base;
  await p.close();
  return { mode, sent, received: got, seconds: elapsed / 1000, publishPerSec: sent / (elapsed / 1000), receivedPerSec: got / (elapsed / 1000), lag: lagStats };
}

async function load(mode: Mode, rate: number, kind: 'bttc-tx' | 'bttc-block' = 'bttc-tx', size = MSG_BYTES) {
  run++;
  const p = await pair(mode);
  const base = p.received();
  const perTick = Math.max(1, Math.round(rate / 100));
  let sent = 0;
  const pending = new Set<Promise<unknown>>();
  const lag = lagMonitor();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Keep to the schedule: catch up on ticks the event loop delayed.
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      for (let i = 0; i < perTick * 4 && sent < due; i++) {
        const pr = p.a.publish(kind, payload(sent++, 2, size));
        pending.add(pr);
        void pr.finally(() => pending.delete(pr));
      }
      if (performance.now() - t0 >= LOAD_MS) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const elapsed = performance.now() - t0;
  await Promise.allSettled(pending);
  const lagStats = lag.stop();
  await waitDrain(() => p.received() - base, sent);
  const got = p.received() - base;
  await p.close();
  return { mode, kind, size, rate, sent, received: got, achievedPerSec: sent / (elapsed / 1000), lag: lagStats };
}

const loadBefore = loadavg();
const tp: Record<Mode, Awaited<ReturnType<typeof throughput>>> = { worker: await throughput('worker'), main: await throughput('main') };
const slower = Math.min(tp.worker.receivedPerSec, tp.main.receivedPerSec);
// Two equal loads for both modes: comfortable (50% of the slower mode's capacity) and near it (90%).
const levels = [0.5, 0.9].map((f) => Math.max(50, Math.floor(slower * f)));
const loads: { rate: number; worker: Awaited<ReturnType<typeof load>>; main: Awaited<ReturnType<typeof load>> }[] = [];
for (const r of levels) loads.push({ rate: r, worker: await load('worker', r), main: await load('main', r) });
// Block-sized messages: where libp2p's per-byte work (noise, yamux, protobuf) blocks a thread for milliseconds.
const BLOCK_BYTES = 512 * 1024;
const BLOCK_RATE = 6;
const blocks = { worker: await load('worker', BLOCK_RATE, 'bttc-block', BLOCK_BYTES), main: await load('main', BLOCK_RATE, 'bttc-block', BLOCK_BYTES) };

const rows: TaskRow[] = [
  ...(['worker', 'main'] as const).map((m) => ({
    name: `throughput, libp2p ${m === 'worker' ? 'in worker' : 'on main thread'}`,
    meanMs: 1000 / tp[m].receivedPerSec,
    opsPerSec: tp[m].receivedPerSec,
    samples: tp[m].received,
    lagP99Ms: tp[m].lag.p99Ms,
  })),
  ...loads.flatMap((l) =>
    (['worker', 'main'] as const).map((m) => ({
      name: `${l.rate} msg/s load, libp2p ${m === 'worker' ? 'in worker' : 'on main thread'}`,
      meanMs: 1000 / l[m].achievedPerSec,
      opsPerSec: l[m].achievedPerSec,
      samples: l[m].received,
      lagP99Ms: l[m].lag.p99Ms,
      lagP50Ms: l[m].lag.p50Ms,
      lagMaxMs: l[m].lag.maxMs,
    })),
  ),
  ...(['worker', 'main'] as const).map((m) => ({
    name: `${BLOCK_RATE}/s ${BLOCK_BYTES / 1024} KiB blocks, libp2p ${m === 'worker' ? 'in worker' : 'on main thread'}`,
    meanMs: 1000 / blocks[m].achievedPerSec,
    opsPerSec: blocks[m].achievedPerSec,
    samples: blocks[m].received,
    lagP99Ms: blocks[m].lag.p99Ms,
    lagP50Ms: blocks[m].lag.p50Ms,
    lagMaxMs: blocks[m].lag.maxMs,
  })),
];

report('gossip', {
  rows,
  ratios: {
    ...Object.fromEntries(
      loads.map((l, i) => [`event-loop lag p99 at ${l.rate} msg/s (${[50, 90][i]}% of the slower mode): main-thread libp2p / worker libp2p`, l.main.lag.p99Ms / l.worker.lag.p99Ms]),
    ),
    [`event-loop lag p99 with ${BLOCK_RATE}/s ${BLOCK_BYTES / 1024} KiB blocks: main-thread libp2p / worker libp2p`]: blocks.main.lag.p99Ms / blocks.worker.lag.p99Ms,
    'event-loop lag p99 at max throughput: main / worker': tp.main.lag.p99Ms / tp.worker.lag.p99Ms,
    'throughput (awaited 200-byte publishes): worker / main': tp.worker.receivedPerSec / tp.main.receivedPerSec,
  },
  // Other processes' load while this ran (1/5/15-min averages): on a shared 2-core machine it moves every lag figure.
  loadAverage: { before: loadBefore, after: loadavg() },
  throughput: tp,
  load: loads,
  blocks,
  notes: [
    `${MSG_BYTES}-byte messages, two nodes in one process on 127.0.0.1, gossipsub with async validation (handler on the main thread)`,
    `load phases: ${levels.join(' and ')} msg/s (50% and 90% of the slower mode's throughput) for ${LOAD_MS / 1000} s in each mode`,
    'lag = main-thread event-loop delay (monitorEventLoopDelay, 1 ms resolution); the machine is shared with other work, so read ratios',
  ],
});
process.exit(0);
