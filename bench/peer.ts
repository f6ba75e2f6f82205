/**
 * bttc-node against a real peer under the same load: anvil (revm; `--hardfork berlin --block-time 2
 * --gas-limit 20000000`) and a 1-validator devnet, each driven by the same `bttc-node loadtest` at the
 * same rate from the same 128 accounts, transfers then ERC-20 transfers, alternating between the two
 * so machine load drifts hit both alike. Per run: TPS, Mgas/s, block interval p50/p99, inclusion
 * latency p50/p99 and the node's CPU seconds per 1000 included transactions (/proc, the process and
 * its descendants, all threads). The headline is that CPU ratio. Then a 4-validator devnet: its idle
 * cores over --idle-seconds, and its CPU per 1000 transactions under the same loads, summed over the
 * validators. Options: --seconds S (60), --rate N (200), --idle-seconds S (60), --no-four,
 * --delivery-empty-block-ms MS (the devnets' Delivery empty-block interval; default 0, the node default),
 * --results-name NAME (peer), --warmup-seconds S (30).
 *
 * Every measured run is preceded by --warmup-seconds of the same load on the same target, not
 * measured: the node's JIT compiles its hot paths during its first minute under load (V8's compiler
 * threads alone were ≈ 0.17 ms per transfer in the first 30 s and ≈ 0.09 ms two runs later), and a
 * validator runs for days. Anvil gets the same warm-up. --warmup-seconds 0 measures from cold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startBenchDevnet } from './lib/devnet.ts';
import { QUICK, report, round } from './lib/harness.ts';
import { threadCpuSeconds, treeCpuSeconds, treeRssBytes } from './lib/proc.ts';
import type { DevnetSupervisor } from '../src/devnet/index.ts';
import { LoadTest, readKeysFile, type LoadAccount, type LoadMode, type LoadReport } from '../src/loadtest/index.ts';
import { JsonRpcClient } from '../src/loadtest/rpc.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const seconds = arg('--seconds', QUICK ? 20 : 60);
const rate = arg('--rate', QUICK ? 50 : 200);
const idleSeconds = arg('--idle-seconds', QUICK ? 10 : 60);
const warmupSeconds = arg('--warmup-seconds', QUICK ? 0 : 30);
const withFour = !process.argv.includes('--no-four');
// --delivery-empty-block-ms MS: the devnets' node setting deliveryEmptyBlockMs (default 0, the node default).
const emptyBlockMs = arg('--delivery-empty-block-ms', 0);
const basePort = arg('--port-base', 27000);
function argStr(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const modes = (argStr('--modes') ?? 'transfer,erc20').split(',') as LoadMode[];
// --profile DIR: the devnet nodes run with --cpu-prof into DIR (written when they stop); no anvil, no JSON.
const profileDir = argStr('--profile');
// --results-name NAME: write bench/results/NAME.json instead of peer.json (side runs must not replace the reference).
const resultsName = argStr('--results-name') ?? 'peer';
if (profileDir) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The native anvil binary of @foundry-rs/anvil (its bin.mjs wrapper would add a Node process to the tree). */
function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  try {
    const native = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/anvil`);
    if (existsSync(native)) return native;
  } catch {
    // no platform package: the wrapper
  }
  return new URL('../node_modules/.bin/anvil', import.meta.url).pathname;
}

async function waitRpc(url: string, timeoutMs: number): Promise<void> {
  const rpc = new JsonRpcClient(url, { timeoutMs: 2000 });
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await rpc.call('eth_blockNumber');
      return;
    } catch (err) {
      if (Date.now() > end) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      await sleep(200);
    }
  }
}

interface Target {
  name: string;
  rpc: string;
  watch: string[];
  /** Processes whose CPU counts as the node's. */
  pids: () => number[];
  sprint?: number;
}

async function startAnvil(port: number, accounts: LoadAccount[]): Promise<{ target: Target; child: ChildProcess }> {
  const child = spawn(anvilBinary(), ['--hardfork', 'berlin', '--block-time', '2', '--gas-limit', '20000000', '--port', String(port), '--accounts', '1', '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitRpc(url, 30_000);
  // The same accounts as the devnet's loadtest keys, funded as its genesis funds them.
  const rpc = new JsonRpcClient(url);
  await rpc.batch(accounts.map((a) => ({ method: 'anvil_setBalance', params: [a.address, '0x' + (10n ** 26n).toString(16)] })));
  return { child, target: { name: 'anvil', rpc: url, watch: [], pids: () => [child.pid!] } };
}

async function startDevnet(validators: number, base: number): Promise<{ target: Target; sup: DevnetSupervisor; dir: string; rootPid: () => number | null }> {
  const { sup, dir } = await startBenchDevnet(`peer-${validators}`, validators, base, 'warn', emptyBlockMs > 0 ? { deliveryEmptyBlockMs: emptyBlockMs } : {});
  let pids: number[] = [];
  let rootPid: number | null = null;
  const refresh = async () => {
    const s = await sup.snapshot();
    pids = s.nodes.map((n) => n.pid!).filter(Boolean);
    rootPid = s.rootchain.pid;
  };
  await refresh();
  const watch = Array.from({ length: validators - 1 }, (_, i) => sup.rpcUrl(i + 1));
  return { sup, dir, rootPid: () => rootPid, target: { name: `devnet-${validators}`, rpc: sup.rpcUrl(0), watch, pids: () => pids, sprint: 16 } };
}

const cpuOf = (pids: number[]) => pids.map((p) => treeCpuSeconds(p) ?? NaN);

interface RunResult {
  target: string;
  mode: LoadMode;
  rate: number;
  tps: number;
  mgasPerSec: number;
  included: number;
  errors: Record<string, number>;
  blockIntervalP50: number | null;
  blockIntervalP99: number | null;
  inclusionP50: number | null;
  inclusionP99: number | null;
  /** Node CPU seconds per 1000 included transactions, per process (validators) and summed. */
  cpuPer1000Tx: number;
  cpuPer1000TxPerProcess: number[];
  /** First process only (the RPC node): CPU seconds per 1000 transactions by thread name, from /proc. */
  cpuPer1000TxByThread: Record<string, number>;
  rssMBAfter: number[];
}

async function runLoad(t: Target, mode: LoadMode, accounts: LoadAccount[]): Promise<RunResult> {
  if (warmupSeconds > 0) {
    console.log(`${t.name} ${mode}: warm-up, ${rate} tx/s for ${warmupSeconds} s (not measured)`);
    await new LoadTest({ rpc: t.rpc, watch: t.watch, mode, rate, durationSec: warmupSeconds, accounts, drainSec: 10, ...(t.sprint ? { sprint: t.sprint } : {}) }).run();
  }
  const pids = t.pids();
  const before = cpuOf(pids);
  const threadsBefore = threadCpuSeconds(pids[0]);
  console.log(`${t.name} ${mode}: ${rate} tx/s for ${seconds} s`);
  const lt = new LoadTest({ rpc: t.rpc, watch: t.watch, mode, rate, durationSec: seconds, accounts, drainSec: 30, ...(t.sprint ? { sprint: t.sprint } : {}) });
  const r: LoadReport = await lt.run();
  const after = cpuOf(pids);
  const threadsAfter = threadCpuSeconds(pids[0]);
  const byThread = Object.fromEntries(
    [...threadsAfter]
      .map(([name, sec]) => [name, round(((sec - (threadsBefore.get(name) ?? 0)) / Math.max(r.included, 1)) * 1000)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );
  const per = after.map((a, i) => round(((a - before[i]!) / Math.max(r.included, 1)) * 1000));
  const res: RunResult = {
    target: t.name,
    mode,
    rate,
    tps: round(r.tps),
    mgasPerSec: round(r.mgasPerSec),
    included: r.included,
    errors: r.errors,
    // Anvil and a 1-validator node: the RPC node is the producer, so its newHeads time the cadence.
    blockIntervalP50: r.blockInterval.p50 ?? null,
    blockIntervalP99: r.blockInterval.p99 ?? null,
    inclusionP50: r.inclusionLatency.p50 ?? null,
    inclusionP99: r.inclusionLatency.p99 ?? null,
    cpuPer1000Tx: round(per.reduce((s, x) => s + x, 0)),
    cpuPer1000TxPerProcess: per,
    cpuPer1000TxByThread: byThread,
    rssMBAfter: pids.map((p) => round((treeRssBytes(p) ?? NaN) / 1e6)),
  };
  console.log(
    `  ${res.tps} tx/s, ${res.mgasPerSec} Mgas/s, interval p50/p99 ${res.blockIntervalP50?.toFixed(2)}/${res.blockIntervalP99?.toFixed(2)} s, inclusion p50/p99 ${res.inclusionP50?.toFixed(2)}/${res.inclusionP99?.toFixed(2)} s, CPU ${res.cpuPer1000Tx} s per 1000 tx (by thread ${JSON.stringify(res.cpuPer1000TxByThread)}), errors ${JSON.stringify(res.errors)}`,
  );
  return res;
}

async function idleCores(pids: number[], secs: number): Promise<number[]> {
  const a = cpuOf(pids);
  await sleep(secs * 1000);
  const b = cpuOf(pids);
  return b.map((x, i) => round((x - a[i]!) / secs));
}

const cleanups: (() => Promise<void> | void)[] = [];
try {
  const one = await startDevnet(1, basePort);
  cleanups.push(async () => {
    await one.sup.stop();
    rmSync(one.dir, { recursive: true, force: true });
  });
  const accounts = readKeysFile(join(one.dir, 'loadtest-keys.json'));
  if (profileDir) {
    for (const mode of modes) await runLoad(one.target, mode, accounts);
    for (const c of cleanups.splice(0).reverse()) await c(); // profiles are written as the nodes exit
    process.exit(0);
  }
  const anvil = await startAnvil(basePort + 500, accounts);
  cleanups.push(() => {
    anvil.child.kill('SIGTERM');
  });
  const idleOne = await idleCores(one.target.pids(), Math.min(idleSeconds, 30));
  const idleAnvil = await idleCores(anvil.target.pids(), Math.min(idleSeconds, 30));
  const runs: RunResult[] = [];
  for (const mode of modes) {
    runs.push(await runLoad(anvil.target, mode, accounts));
    runs.push(await runLoad(one.target, mode, accounts));
  }
  for (const c of cleanups.splice(0).reverse()) await c();

  let four: { idleCoresPerValidator: number[]; idleCoresValidators: number; idleCoresRootChain: number | null; runs: RunResult[] } | null = null;
  if (withFour) {
    const f = await startDevnet(4, basePort + 100);
    cleanups.push(async () => {
      await f.sup.stop();
      rmSync(f.dir, { recursive: true, force: true });
    });
    // Let start-up work (first checkpoints, span commits) pass before calling it idle.
    await sleep(20_000);
    const rootPid = f.rootPid();
    const idle = await idleCores([...f.target.pids(), ...(rootPid ? [rootPid] : [])], idleSeconds);
    const fourRuns: RunResult[] = [];
    for (const mode of modes) fourRuns.push(await runLoad(f.target, mode, accounts));
    four = { idleCoresPerValidator: idle.slice(0, 4), idleCoresValidators: round(idle.slice(0, 4).reduce((s, x) => s + x, 0)), idleCoresRootChain: rootPid ? idle[4]! : null, runs: fourRuns };
    console.log(`4-validator devnet idle: ${four.idleCoresValidators} cores over the validators (${four.idleCoresPerValidator.join(', ')}), root chain ${four.idleCoresRootChain}`);
  }

  const pick = (target: string, mode: LoadMode) => runs.find((r) => r.target === target && r.mode === mode)!;
  const ratios: Record<string, number> = {};
  for (const mode of modes) {
    const a = pick('anvil', mode);
    const n = pick('devnet-1', mode);
    ratios[`CPU per 1000 tx, 1 validator / anvil, ${mode}`] = n.cpuPer1000Tx / a.cpuPer1000Tx;
    ratios[`inclusion p50, 1 validator / anvil, ${mode}`] = (n.inclusionP50 ?? NaN) / (a.inclusionP50 ?? NaN);
    if (four) ratios[`CPU per 1000 tx, 4 validators summed / anvil, ${mode}`] = four.runs.find((r) => r.mode === mode)!.cpuPer1000Tx / a.cpuPer1000Tx;
  }
  report(resultsName, {
    rows: [...runs, ...(four?.runs ?? [])].map((r) => ({
      name: `${r.target} ${r.mode}`,
      meanMs: (r.inclusionP50 ?? NaN) * 1000,
      p99Ms: (r.inclusionP99 ?? NaN) * 1000,
      opsPerSec: r.tps,
      samples: r.included,
      cpuPer1000Tx: r.cpuPer1000Tx,
      intervalP99: r.blockIntervalP99,
    })),
    ratios,
    load: { rate, seconds, warmupSeconds, accounts: accounts.length },
    deliveryEmptyBlockMs: emptyBlockMs,
    runs,
    idleCores: {
      anvil: idleAnvil[0],
      oneValidator: idleOne[0],
      fourValidators: four ? { validators: four.idleCoresValidators, perValidator: four.idleCoresPerValidator, rootChain: four.idleCoresRootChain } : null,
    },
    fourValidators: four,
    loadAverage: loadavg(),
    notes: [
      'rows: meanMs/p99Ms are inclusion latency p50/p99 (send to first newHeads of the including block)',
      `each measured run follows ${warmupSeconds} s of the same load on the same target, not measured (JIT warm-up; anvil gets it too); cpuPer1000TxByThread: the RPC node's threads (V8Worker = V8's GC and compiler helper threads)`,
      'node CPU = user+system seconds of the node process tree (all threads) from /proc; the devnet root chain and the load generator are not counted (anvil has neither)',
      'anvil runs in memory; the devnet writes LevelDB on disk and (1 validator) also runs Delivery consensus, checkpoints and the root-chain watchers',
      'anvil and the 1-validator devnet run alternately (anvil transfer, devnet transfer, anvil erc20, devnet erc20) on one 2-core machine (how busy it was: the load average below): the ratios are what count',
      'the 4-validator devnet runs after both are stopped; its CPU is summed over the 4 validators (each re-executes every block)',
      `readings from ${readFileSync('/proc/loadavg', 'utf8').trim()} (load average at the end)`,
    ],
  });
} finally {
  for (const c of cleanups.reverse()) await c();
}
