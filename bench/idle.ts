/**
 * The idle 4-validator devnet: CPU cores its validators (and the root chain) use with no load, over
 * --seconds (default 60) after a --settle period (default 20 s) past start-up. Writes
 * bench/results/idle.json, with validator 0's cores per thread (main, bttc-network, executor, V8's GC
 * helpers...). --profile DIR runs the nodes with --cpu-prof into DIR (written as they stop).
 *
 *   node bench/idle.ts [--seconds 60] [--settle 20] [--validators 4] [--profile DIR]
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startBenchDevnet } from './lib/devnet.ts';
import { QUICK, report, round } from './lib/harness.ts';
import { threadCpuSeconds, treeCpuSeconds } from './lib/proc.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const seconds = Number(arg('--seconds') ?? (QUICK ? 10 : 60));
const settle = Number(arg('--settle') ?? 20);
const validators = Number(arg('--validators') ?? 4);
const base = Number(arg('--port-base') ?? 29000);
const profileDir = arg('--profile');
if (profileDir) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { sup, dir } = await startBenchDevnet('idle', validators, base);
try {
  await sleep(settle * 1000);
  const s = await sup.snapshot();
  const pids = [...s.nodes.map((n) => n.pid!), s.rootchain.pid!];
  const head0 = s.nodes[0]!.status!.bttc.head;
  const a = pids.map((p) => treeCpuSeconds(p) ?? NaN);
  const threads0 = threadCpuSeconds(pids[0]);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const b = pids.map((p) => treeCpuSeconds(p) ?? NaN);
  const threads1 = threadCpuSeconds(pids[0]);
  const secs = (performance.now() - t0) / 1000;
  const head1 = (await sup.snapshot()).nodes[0]!.status!.bttc.head;
  const cores = b.map((x, i) => round((x - a[i]!) / secs));
  const perValidator = cores.slice(0, validators);
  const total = round(perValidator.reduce((x, y) => x + y, 0));
  const byThread = Object.fromEntries(
    [...threads1]
      .map(([name, cpu]) => [name, round((cpu - (threads0.get(name) ?? 0)) / secs)] as const)
      .filter(([, c]) => c > 0)
      .sort((x, y) => y[1] - x[1]),
  );
  console.log(`validator 0 by thread: ${JSON.stringify(byThread)}`);
  console.log(
    `idle ${validators}-validator devnet over ${secs.toFixed(0)} s: ${total} cores over the validators (${perValidator.join(', ')}), root chain ${cores[validators]}, ${head1 - head0} blocks`,
  );
  if (!profileDir)
    report('idle', {
      validators,
      seconds: round(secs),
      idleCoresValidators: total,
      idleCoresPerValidator: perValidator,
      idleCoresRootChain: cores[validators],
      validator0CoresByThread: byThread,
      blocks: head1 - head0,
      loadAverage: loadavg(),
      notes: ['CPU from /proc (user + system, all threads) of each node process tree; one 2-core machine: see loadAverage for what else ran'],
    });
} finally {
  await sup.stop();
  rmSync(dir, { recursive: true, force: true });
}
