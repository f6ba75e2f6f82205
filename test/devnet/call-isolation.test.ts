/**
 * Done means: eth_call never delays block import, with real processes. A 1-validator devnet is
 * flooded for ~20 s with JSON-RPC batches of 8 eth_calls that loop until their deadline, three
 * batches in flight, a new one as soon as one answers. Each looping call answers geth's -32000
 * "execution aborted (timeout = 5s)" within rpc.evmTimeoutMs (the devnet writes its node configs
 * itself and leaves geth's 5 s) plus slack; meanwhile node 0's newHeads subscription sees the 2 s
 * cadence hold (no gap above 4 s, ≥ 8 blocks in 20 s), and eth_getBalance answers quickly.
 *
 * The plain loop JUMPDEST PUSH1 0 JUMP spends the 50M gas cap before the deadline ("out of gas",
 * ~3 s here), so it is checked once, alone; the flood loops on the BLAKE2F precompile (LOOP_CALL).
 *
 * A cheap eth_call (the identity precompile) is probed during the flood too: the call worker
 * (rpc.callWorkers, 1 in the devnet) runs its calls interleaved in time slices, so it is answered
 * while the looping calls run, not after them.
 *
 * The second test runs the same checks against a fake node that serves eth_call on its import
 * thread (test/helpers/blocking-call-node.ts): they must fail there, or they would prove nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sleep, until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of the other devnet tests' ranges (12000–20000, 21000–39200, 41000+): 39300–40020.
const BASE = 39300 + (process.pid % 180) * 4;
const PORTS = { rpc: BASE, rest: BASE + 1, p2p: BASE + 2, root: BASE + 3 };

/** rpc.evmTimeoutMs as the devnet's node configs leave it (geth's RPCEVMTimeout). */
const EVM_TIMEOUT_MS = 5000;
/** A shared 2-core machine: what a looping call's answer may take past its deadline. */
const TIMEOUT_SLACK_MS = 2500;
const FLOOD_MS = 20_000;
const BATCH = 8;
const IN_FLIGHT = 3;
const MAX_HEAD_GAP_MS = 4000;
const MIN_BLOCKS = 8;
/** eth_getBalance (an executor state read, no call worker) during the flood. */
const MAX_BALANCE_MS = 1500;
/** A cheap eth_call (the identity precompile) during the flood. */
const MAX_CHEAP_CALL_MS = 1500;

/**
 * Init code that never ends by itself: JUMPDEST PUSH1 0 JUMP. No `to`: it runs as a contract
 * creation. At 12 gas a turn it spends the 50M gas cap (rpc.gasCap) in about 3 s here, so it
 * answers "out of gas" rather than the timeout: it is checked once, alone.
 */
const PLAIN_LOOP_CALL = { data: '0x5b600056' };
/**
 * The flood's loop, which outlasts the timeout by ~4× here: init code that writes a valid
 * 213-byte BLAKE2F input (100,000 rounds, final flag 0) and STATICCALLs the precompile (0x09) in a
 * loop, JUMPDEST … JUMP as above. BLAKE2F costs 1 gas a round and ~40 ms a call here, so the 50M
 * gas cap lasts ~20 s of a call worker's time; each turn is short, so the worker stops soon after
 * the deadline.
 *   PUSH4 100000 PUSH1 224 SHL PUSH1 0 MSTORE                  rounds in input bytes 0..3
 *   JUMPDEST PUSH1 64 PUSH2 256 PUSH1 213 PUSH1 0 PUSH1 9 GAS STATICCALL POP PUSH1 11 JUMP
 */
const LOOP_CALL = { data: '0x63000186a060e01b6000525b604061010060d5600060095afa50600b56' };
const IDENTITY_CALL = { to: '0x0000000000000000000000000000000000000004', data: '0xc0ffee' };
const TIMEOUT_MESSAGE = /^execution aborted \(timeout = (\d+(?:\.\d+)?)(ms|s)\)$/;

interface RpcAnswer {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

async function post(url: string, body: unknown, timeoutMs = 60_000): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(res.status, 200, `HTTP ${res.status}`);
  return res.json();
}

async function rpc<T>(url: string, method: string, params: unknown[] = [], timeoutMs?: number): Promise<T> {
  const r = (await post(url, { jsonrpc: '2.0', id: 1, method, params }, timeoutMs)) as RpcAnswer;
  if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.result as T;
}

/** newHeads over the node's websocket, each with the wall time it arrived. */
class HeadRecorder {
  readonly heads: { number: number; at: number }[] = [];
  private readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
  }
  static async open(wsUrl: string): Promise<HeadRecorder> {
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`websocket ${wsUrl} did not open`)), { once: true });
    });
    const rec = new HeadRecorder(ws);
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.addEventListener('message', (ev) => {
        const m = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { result: { number: string } } };
        if (m.id === 1) return m.error ? reject(new Error(`eth_subscribe: ${m.error.message}`)) : resolve();
        if (m.method === 'eth_subscription' && m.params) rec.heads.push({ number: Number(BigInt(m.params.result.number)), at: Date.now() });
      });
    });
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    await subscribed;
    return rec;
  }
  close(): void {
    this.ws.close();
  }
}

interface FloodResult {
  /** One per looping call: its batch's round trip and its answer. */
  loops: { ms: number; answer: RpcAnswer }[];
  batches: number;
  /** Cheap requests sent once a second during the flood. */
  probes: { method: string; ms: number; answer: RpcAnswer }[];
  start: number;
  end: number;
}

/**
 * For `durationMs`, `inFlight` lanes each post a batch of `batch` looping eth_calls and post the next
 * as soon as it is answered; beside them, once a second, eth_getBalance and an identity eth_call.
 */
async function flood(url: string, opts: { durationMs: number; batch: number; inFlight: number; balanceOf: string }): Promise<FloodResult> {
  const start = Date.now();
  const end = start + opts.durationMs;
  const out: FloodResult = { loops: [], batches: 0, probes: [], start, end };
  let nextId = 1;
  const lane = async () => {
    while (Date.now() < end) {
      const body = Array.from({ length: opts.batch }, () => ({ jsonrpc: '2.0', id: nextId++, method: 'eth_call', params: [LOOP_CALL, 'latest'] }));
      const t0 = Date.now();
      const answers = (await post(url, body)) as RpcAnswer[];
      const ms = Date.now() - t0;
      assert.ok(Array.isArray(answers) && answers.length === opts.batch, `a batch answer of ${opts.batch}: ${JSON.stringify(answers).slice(0, 300)}`);
      for (const answer of answers) out.loops.push({ ms, answer });
      out.batches++;
    }
  };
  const probe = async (method: string, params: unknown[]) => {
    const t0 = Date.now();
    const answer = (await post(url, { jsonrpc: '2.0', id: 0, method, params })) as RpcAnswer;
    out.probes.push({ method, ms: Date.now() - t0, answer });
  };
  /** Once a second (or as soon as the last answered, if that took longer), until a second before the end. */
  const prober = async (method: string, params: unknown[]) => {
    await sleep(1000); // the first batches are in
    while (Date.now() < end - 1000) {
      const tick = sleep(1000);
      await probe(method, params);
      await tick;
    }
  };
  await Promise.all([...Array.from({ length: opts.inFlight }, lane), prober('eth_getBalance', [opts.balanceOf, 'latest']), prober('eth_call', [IDENTITY_CALL, 'latest'])]);
  out.end = Date.now();
  return out;
}

/** Every looping call answered geth's timeout error, naming `timeoutMs`, within it plus slack. */
function checkLoopAnswers(r: FloodResult, timeoutMs: number): void {
  assert.ok(r.loops.length >= BATCH * IN_FLIGHT, `${r.loops.length} looping calls answered`);
  for (const { ms, answer } of r.loops) {
    assert.ok(answer.error, `a looping call answered an error, not ${JSON.stringify(answer)}`);
    assert.equal(answer.error.code, -32000, `geth's -32000: ${JSON.stringify(answer.error)}`);
    const m = TIMEOUT_MESSAGE.exec(answer.error.message);
    assert.ok(m, `"execution aborted (timeout = …)": ${answer.error.message}`);
    assert.equal(Number(m[1]) * (m[2] === 's' ? 1000 : 1), timeoutMs, `the timeout named: ${answer.error.message}`);
    assert.ok(ms <= timeoutMs + TIMEOUT_SLACK_MS, `a batch of looping calls answered in ${ms} ms (limit ${timeoutMs} + ${TIMEOUT_SLACK_MS} ms)`);
  }
}

/** New heads kept coming during [start, end]: no gap above MAX_HEAD_GAP_MS, and ≥ MIN_BLOCKS more. */
function checkCadence(heads: { number: number; at: number }[], start: number, end: number): void {
  const during = heads.filter((h) => h.at >= start && h.at <= end);
  const times = [start, ...during.map((h) => h.at), end];
  let worst = 0;
  for (let i = 1; i < times.length; i++) worst = Math.max(worst, times[i]! - times[i - 1]!);
  const before = heads.filter((h) => h.at < start).at(-1)?.number ?? during[0]?.number ?? 0;
  const advanced = (during.at(-1)?.number ?? before) - before;
  const summary = `${during.length} heads in ${end - start} ms, head +${advanced}, longest gap ${worst} ms`;
  assert.ok(worst <= MAX_HEAD_GAP_MS, `no gap between new heads above ${MAX_HEAD_GAP_MS} ms: ${summary}`);
  assert.ok(advanced >= MIN_BLOCKS, `the head advanced by ≥ ${MIN_BLOCKS}: ${summary}`);
  // newHeads in order, none skipped
  for (let i = 1; i < during.length; i++) assert.equal(during[i]!.number, during[i - 1]!.number + 1, `heads in order: ${during.map((h) => h.number)}`);
}

/** eth_getBalance (an executor state read, no call worker) answered quickly all through the flood. */
function checkBalances(r: FloodResult): void {
  const balances = r.probes.filter((p) => p.method === 'eth_getBalance');
  assert.ok(balances.length >= 10, `${balances.length} eth_getBalance probes`);
  for (const p of balances) {
    assert.match(String(p.answer.result), /^0x[0-9a-f]+$/, `eth_getBalance during the flood: ${JSON.stringify(p.answer)}`);
    assert.ok(p.ms <= MAX_BALANCE_MS, `eth_getBalance answered in ${p.ms} ms during the flood (limit ${MAX_BALANCE_MS})`);
  }
}

/** The identity precompile's eth_call answered its bytes, quickly, all through the flood. */
function checkCheapCalls(r: FloodResult): void {
  const calls = r.probes.filter((p) => p.method === 'eth_call');
  assert.ok(calls.length >= 3, `${calls.length} identity eth_call probes`);
  for (const p of calls) {
    assert.equal(p.answer.result, IDENTITY_CALL.data, `the identity precompile's eth_call during the flood (${p.ms} ms): ${JSON.stringify(p.answer)}`);
    assert.ok(p.ms <= MAX_CHEAP_CALL_MS, `the identity eth_call answered in ${p.ms} ms during the flood (limit ${MAX_CHEAP_CALL_MS})`);
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await f();
  return { value, ms: Date.now() - t0 };
}

function percentiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${s.at(-1)} ms`;
}

function report(t: { diagnostic(m: string): void }, r: FloodResult, heads: HeadRecorder): void {
  const probeMs = (m: string) => r.probes.filter((p) => p.method === m).map((p) => p.ms);
  t.diagnostic(`${r.batches} batches, ${r.loops.length} looping calls: ${percentiles(r.loops.map((l) => l.ms))}`);
  t.diagnostic(`eth_getBalance: ${percentiles(probeMs('eth_getBalance'))}; identity eth_call: ${percentiles(probeMs('eth_call'))}`);
  t.diagnostic(
    `identity eth_call answers: ${r.probes
      .filter((p) => p.method === 'eth_call')
      .map((p) => `${JSON.stringify(p.answer.result ?? p.answer.error?.message)} (${p.ms} ms)`)
      .join(', ')}`,
  );
  const during = heads.heads.filter((h) => h.at >= r.start && h.at <= r.end);
  t.diagnostic(`heads during the flood (number@ms): ${during.map((h) => `${h.number}@${h.at - r.start}`).join(' ')}`);
}

const FLOOD = { durationMs: FLOOD_MS, batch: BATCH, inFlight: IN_FLIGHT, balanceOf: '0x' + 'ab'.repeat(20) };

test('devnet: eth_calls looping until their timeout never hold up block import', { timeout: 150_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-call-isolation-'));
  const args = ['--validators', '1', ...devnetPortArgs(PORTS)];
  const devnet = new DevnetProcess(dir, args);
  let heads: HeadRecorder | null = null;
  try {
    const snap = await until('the validator up at height ≥ 3', 120_000, () => {
      const s = devnet.snapshot();
      return s?.nodes[0]?.status && s.nodes[0].status.bttc.head >= 3 ? s : null;
    });
    const url = snap.nodes[0]!.rpcUrl;
    heads = await HeadRecorder.open(url.replace(/^http/, 'ws'));
    await until('two new heads before the flood', 20_000, () => heads!.heads.length >= 2, 100);

    // Alone first: the flood's loop times out at evmTimeoutMs; the plain JUMPDEST PUSH1 0 JUMP loop is
    // geth's -32000 too, "out of gas" (the gas cap) or the timeout, whichever comes first.
    const one = await timed(() => post(url, { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [LOOP_CALL, 'latest'] }) as Promise<RpcAnswer>);
    assert.equal(one.value.error?.code, -32000, JSON.stringify(one.value));
    assert.match(one.value.error.message, TIMEOUT_MESSAGE);
    assert.ok(one.ms >= EVM_TIMEOUT_MS - 100 && one.ms <= EVM_TIMEOUT_MS + TIMEOUT_SLACK_MS, `a looping call alone answered in ${one.ms} ms`);
    const plain = await timed(() => post(url, { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [PLAIN_LOOP_CALL, 'latest'] }) as Promise<RpcAnswer>);
    assert.equal(plain.value.error?.code, -32000, JSON.stringify(plain.value));
    assert.ok(plain.value.error.message === 'out of gas' || TIMEOUT_MESSAGE.test(plain.value.error.message), plain.value.error.message);
    assert.ok(plain.ms <= EVM_TIMEOUT_MS + TIMEOUT_SLACK_MS, `the plain loop answered in ${plain.ms} ms`);
    t.diagnostic(`alone: the BLAKE2F loop answered in ${one.ms} ms, the plain loop "${plain.value.error.message}" in ${plain.ms} ms`);

    const timeoutsBefore = await callTimeouts(url);
    const r = await flood(url, FLOOD);
    report(t, r, heads);
    checkCadence(heads.heads, r.start, r.end);
    checkLoopAnswers(r, EVM_TIMEOUT_MS);
    checkBalances(r);
    // The node counted them as eth_call timeouts.
    assert.ok((await callTimeouts(url)) - timeoutsBefore >= r.loops.length, 'bttc_call_timeouts_total{kind="call"} counts every looping call');
    // The call workers are free again once the flood stops.
    assert.equal(await rpc(url, 'eth_call', [IDENTITY_CALL, 'latest'], 10_000), IDENTITY_CALL.data);

    await t.test('a cheap eth_call answers quickly during the flood', () => checkCheapCalls(r));
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    heads?.close();
    await devnet.stopAndCheck();
  }
});

test('the same checks fail against a fake node that runs eth_call on its import thread', { timeout: 60_000 }, async (t) => {
  const worker = new Worker(new URL('../helpers/blocking-call-node.ts', import.meta.url), { workerData: { blockMs: 2000, evmTimeoutMs: EVM_TIMEOUT_MS } });
  let heads: HeadRecorder | null = null;
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const url = `http://127.0.0.1:${port}`;
    heads = await HeadRecorder.open(`ws://127.0.0.1:${port}`);
    await until('two new heads before the flood', 10_000, () => heads!.heads.length >= 2, 100);
    const r = await flood(url, FLOOD);
    report(t, r, heads);
    assert.throws(() => checkCadence(heads!.heads, r.start, r.end), /no gap between new heads above/, 'the stalled heads are caught');
    assert.throws(() => checkBalances(r), /eth_getBalance (answered in \d+ ms during the flood|probes)/, 'the stalled state reads are caught');
    assert.throws(() => checkLoopAnswers(r, EVM_TIMEOUT_MS), /a batch of looping calls answered in \d+ ms/, 'the calls queued on one thread are caught');
  } finally {
    heads?.close();
    await worker.terminate();
  }
});

async function callTimeouts(url: string): Promise<number> {
  const page = await (await fetch(url + '/metrics')).text();
  let sum = 0;
  for (const line of page.split('\n')) if (line.startsWith('bttc_call_timeouts_total{kind="call"}')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
