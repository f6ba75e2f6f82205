/**
 * The idle 4-validator devnet: CPU cores its validators (and the root chain) use with no load, over
 * --seconds (default 60) after a --settle period (default 20 s) past start-up. Writes
 * bench/results/idle.json, with validator 0's cores per thread (main, bttc-network, executor, V8's GC
 * helpers...). --profile DIR runs the nodes with --cpu-prof into DIR (written as they stop).
 * --empty-block-ms 0,5000 measures one devnet per Delivery empty-block interval (node setting
 * deliveryEmptyBlockMs), one after another; the first one's figures are the top-level ones.
 * --out NAME writes bench/results/NAME.json instead of idle.json (A/B runs that must not replace it).
 * validator0UserSysByThread splits validator 0's cores per thread into user and system (kernel) time.
 * --strace DIR attaches `strace -ff` to validator 0 for the measured window (one trace file per
 * thread in DIR) and writes DIR/summary.json: syscalls per thread name, per second and per Delivery
 * height, and the files written, synced and polled (by fd target). strace slows the traced process,
 * so such a run writes no results file.
 *
 *   node bench/idle.ts [--seconds 60] [--settle 20] [--validators 4] [--empty-block-ms 0,5000] [--profile DIR] [--strace DIR] [--out NAME]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startBenchDevnet } from './lib/devnet.ts';
import { QUICK, report, round } from './lib/harness.ts';
import { threadCpuSplit, threadNames, treeCpuSeconds, type UserSys } from './lib/proc.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const seconds = Number(arg('--seconds') ?? (QUICK ? 10 : 60));
const settle = Number(arg('--settle') ?? 20);
const validators = Number(arg('--validators') ?? 4);
const base = Number(arg('--port-base') ?? 29000);
const profileDir = arg('--profile');
const straceDir = arg('--strace');
/** Delivery empty-block intervals to compare, one devnet each (0: the node default). */
const emptyBlockMs = (arg('--empty-block-ms') ?? '0').split(',').map(Number);
if (profileDir) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface IdleRun {
  deliveryEmptyBlockMs: number;
  seconds: number;
  idleCoresValidators: number;
  idleCoresPerValidator: number[];
  idleCoresRootChain: number | undefined;
  validator0CoresByThread: Record<string, number>;
  /** Validator 0's cores per thread split into user and system (kernel) time. */
  validator0UserSysByThread: Record<string, UserSys>;
  blocks: number;
  deliveryHeights: number;
}

async function measure(emptyBlockMs: number): Promise<IdleRun> {
  const { sup, dir } = await startBenchDevnet('idle', validators, base, 'warn', emptyBlockMs > 0 ? { deliveryEmptyBlockMs: emptyBlockMs } : {});
  try {
    await sleep(settle * 1000);
    const s = await sup.snapshot();
    const pids = [...s.nodes.map((n) => n.pid!), s.rootchain.pid!];
    const head0 = s.nodes[0]!.status!.bttc.head;
    const height0 = s.nodes[0]!.status!.delivery.height;
    const a = pids.map((p) => treeCpuSeconds(p) ?? NaN);
    const split0 = threadCpuSplit(pids[0]);
    const tracer = straceDir ? startStrace(pids[0]!, straceDir) : undefined;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const b = pids.map((p) => treeCpuSeconds(p) ?? NaN);
    const split1 = threadCpuSplit(pids[0]);
    const names = threadNames(pids[0]!);
    const fds = fdTargets(pids[0]!);
    if (tracer) await tracer.stop();
    const secs = (performance.now() - t0) / 1000;
    const s1 = (await sup.snapshot()).nodes[0]!.status!;
    const cores = b.map((x, i) => round((x - a[i]!) / secs));
    const perValidator = cores.slice(0, validators);
    const total = round(perValidator.reduce((x, y) => x + y, 0));
    // One /proc reading per end of the window: total cores per thread are its user + system.
    const cpuOf = (t: UserSys | undefined) => (t ? t.user + t.system : 0);
    const byThread = Object.fromEntries(
      [...split1]
        .map(([name, t]) => [name, round((cpuOf(t) - cpuOf(split0.get(name))) / secs)] as const)
        .filter(([, c]) => c > 0)
        .sort((x, y) => y[1] - x[1]),
    );
    const userSys = Object.fromEntries(
      [...split1]
        .map(([name, t]) => {
          const was = split0.get(name) ?? { user: 0, system: 0 };
          return [name, { user: round((t.user - was.user) / secs), system: round((t.system - was.system) / secs) }] as const;
        })
        .filter(([, t]) => t.user + t.system > 0)
        .sort((x, y) => y[1].user + y[1].system - (x[1].user + x[1].system)),
    );
    console.log(`deliveryEmptyBlockMs ${emptyBlockMs}: validator 0 by thread: ${JSON.stringify(byThread)}`);
    console.log(`deliveryEmptyBlockMs ${emptyBlockMs}: validator 0 user/system by thread: ${JSON.stringify(userSys)}`);
    console.log(
      `idle ${validators}-validator devnet over ${secs.toFixed(0)} s (deliveryEmptyBlockMs ${emptyBlockMs}): ${total} cores over the validators (${perValidator.join(', ')}), root chain ${cores[validators]}, ${s1.bttc.head - head0} Bttc blocks, ${s1.delivery.height - height0} Delivery heights`,
    );
    if (straceDir) summarizeStrace(straceDir, names, fds, secs, s1.delivery.height - height0, emptyBlockMs);
    return {
      deliveryEmptyBlockMs: emptyBlockMs,
      seconds: round(secs),
      idleCoresValidators: total,
      idleCoresPerValidator: perValidator,
      idleCoresRootChain: cores[validators],
      validator0CoresByThread: byThread,
      validator0UserSysByThread: userSys,
      blocks: s1.bttc.head - head0,
      deliveryHeights: s1.delivery.height - height0,
    };
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `strace -ff` on every thread of `pid`, one output file per thread under `dir`. */
function startStrace(pid: number, dir: string): { stop(): Promise<void> } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = spawn('strace', ['-ff', '-qq', '-o', join(dir, 'trace'), '-p', String(pid)], { stdio: 'ignore' });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** fd → what it points at (file path, socket:[inode], anon_inode:[eventfd]...) in `pid` now. */
function fdTargets(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        out.set(
          Number(fd),
          readlinkSync(`/proc/${pid}/fd/${fd}`)
            .replace(/^socket:\[\d+\]$/, 'socket')
            .replace(/\/tmp\/bttc-bench-[^/]+\//, ''),
        );
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return out;
}

/** Counts strace's per-thread files: syscalls by thread name, per second and per Delivery height. */
function summarizeStrace(dir: string, names: Map<number, string>, fds: Map<number, string>, secs: number, heights: number, emptyBlockMs: number): void {
  const byThread: Record<string, Record<string, number>> = {};
  const byTarget: Record<string, Record<string, number>> = {};
  const FD_CALLS = /^(write|writev|pwrite64|pwritev|fsync|fdatasync|read|readv|pread64|sendmsg|sendto|recvfrom|recvmsg|close|ftruncate)$/;
  for (const f of readdirSync(dir)) {
    const m = /^trace\.(\d+)$/.exec(f);
    if (!m) continue;
    const thread = names.get(Number(m[1])) ?? `tid ${m[1]}`;
    const calls = (byThread[thread] ??= {});
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const c = /^([a-z_0-9]+)\((\d+)?/.exec(line);
      if (!c) continue;
      const call = c[1]!;
      calls[call] = (calls[call] ?? 0) + 1;
      if (FD_CALLS.test(call) && c[2] !== undefined) {
        const target = `${thread}: ${call} ${fds.get(Number(c[2])) ?? `fd ${c[2]} (closed)`}`;
        const t = (byTarget[target] ??= { calls: 0 });
        t.calls = (t.calls ?? 0) + 1;
      }
    }
  }
  const perSecond = (n: number) => round(n / secs);
  const threads = Object.fromEntries(
    Object.entries(byThread)
      .map(([t, calls]) => {
        const total = Object.values(calls).reduce((x, y) => x + y, 0);
        const top = Object.entries(calls)
          .sort((x, y) => y[1] - x[1])
          .map(([c, n]) => [c, { perSecond: perSecond(n), perHeight: heights ? round(n / heights) : null }] as const);
        return [t, { perSecond: perSecond(total), calls: Object.fromEntries(top) }] as const;
      })
      .sort((x, y) => y[1].perSecond - x[1].perSecond),
  );
  const targets = Object.fromEntries(
    Object.entries(byTarget)
      .map(([t, v]) => [t, perSecond(v.calls ?? 0)] as const)
      .sort((x, y) => y[1] - x[1]),
  );
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ deliveryEmptyBlockMs: emptyBlockMs, seconds: round(secs), deliveryHeights: heights, threads, fdCallsPerSecond: targets }, null, 2)}\n`);
  for (const [t, v] of Object.entries(threads))
    console.log(
      `strace ${t}: ${v.perSecond}/s ${JSON.stringify(
        Object.fromEntries(
          Object.entries(v.calls)
            .slice(0, 8)
            .map(([c, x]) => [c, x.perSecond]),
        ),
      )}`,
    );
  console.log(`strace fd targets (calls/s): ${JSON.stringify(Object.fromEntries(Object.entries(targets).slice(0, 20)))}`);
}

const runs: IdleRun[] = [];
for (const ms of emptyBlockMs) runs.push(await measure(ms));
if (!profileDir && !straceDir)
  report(arg('--out') ?? 'idle', {
    validators,
    // The first configuration's figures at the top (the node default unless --empty-block-ms says otherwise).
    ...runs[0]!,
    runs,
    loadAverage: loadavg(),
    notes: [
      'CPU from /proc (user + system, all threads) of each node process tree; one 2-core machine: see loadAverage for what else ran',
      'runs: one devnet per deliveryEmptyBlockMs, one after another (0 = a Delivery height every commit pause, the node default)',
    ],
  });
