/**
 * The idle 4-validator devnet: CPU cores its validators (and the root chain) use with no load, over
 * --seconds (default 60) after a --settle period (default 20 s) past start-up. Writes
 * bench/results/idle.json, with validator 0's cores per thread (main, bttc-network, executor, V8's GC
 * helpers...). --profile DIR runs the nodes with --cpu-prof into DIR (written as they stop).
 * --empty-block-ms 0,5000 measures one devnet per Delivery empty-block interval (node setting
 * deliveryEmptyBlockMs), one after another; the first one's figures are the top-level ones.
 * --out NAME writes bench/results/NAME.json instead of idle.json (A/B runs that must not replace it).
 *
 *   node bench/idle.ts [--seconds 60] [--settle 20] [--validators 4] [--empty-block-ms 0,5000] [--profile DIR] [--out NAME]
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
    const threads0 = threadCpuSeconds(pids[0]);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const b = pids.map((p) => treeCpuSeconds(p) ?? NaN);
    const threads1 = threadCpuSeconds(pids[0]);
    const secs = (performance.now() - t0) / 1000;
    const s1 = (await sup.snapshot()).nodes[0]!.status!;
    const cores = b.map((x, i) => round((x - a[i]!) / secs));
    const perValidator = cores.slice(0, validators);
    const total = round(perValidator.reduce((x, y) => x + y, 0));
    const byThread = Object.fromEntries(
      [...threads1]
        .map(([name, cpu]) => [name, round((cpu - (threads0.get(name) ?? 0)) / secs)] as const)
        .filter(([, c]) => c > 0)
        .sort((x, y) => y[1] - x[1]),
    );
    console.log(`deliveryEmptyBlockMs ${emptyBlockMs}: validator 0 by thread: ${JSON.stringify(byThread)}`);
    console.log(
      `idle ${validators}-validator devnet over ${secs.toFixed(0)} s (deliveryEmptyBlockMs ${emptyBlockMs}): ${total} cores over the validators (${perValidator.join(', ')}), root chain ${cores[validators]}, ${s1.bttc.head - head0} Bttc blocks, ${s1.delivery.height - height0} Delivery heights`,
    );
    return {
      deliveryEmptyBlockMs: emptyBlockMs,
      seconds: round(secs),
      idleCoresValidators: total,
      idleCoresPerValidator: perValidator,
      idleCoresRootChain: cores[validators],
      validator0CoresByThread: byThread,
      blocks: s1.bttc.head - head0,
      deliveryHeights: s1.delivery.height - height0,
    };
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: IdleRun[] = [];
for (const ms of emptyBlockMs) runs.push(await measure(ms));
if (!profileDir)
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
