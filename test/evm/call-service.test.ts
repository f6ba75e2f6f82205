/**
 * The call service against a real executor worker: same answers as the executor's own call and
 * estimate, the gas cap, the wall-time limit (the EVM stops itself; a wedged worker is replaced),
 * node-fetch metrics, and the cost of a simple call on both paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { createExecutor, CallService, CallRevertedError, CallTimeoutError, type CallServiceOptions, type ExecutorApi, type GenesisSpec, type StateNodeHost } from '../../src/evm/index.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { goDuration } from '../../src/evm/interface.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { createMetricsRegistry, type Registry } from '../../src/observability/metrics.ts';
import { bytesToHex, concatBytes, hexToBytes, uintToBytes } from '../../src/util/bytes.ts';
import { compileFixture } from './fixtures/compile.ts';
import { tempDir, testAccounts } from './helpers.ts';

const CHAIN_ID = 1029;
const accounts = testAccounts(4, 17);
const author = testAccounts(1, 97)[0]!.address;
const token = compileFixture();
const iface = new Interface(token.abi as never);
export const TOKEN = hexToBytes('0x7070707070707070707070707070707070707070');
export const LOOP = hexToBytes('0x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b');
/** JUMPDEST PUSH1 0 JUMP: loops until its gas runs out. */
export const LOOP_CODE = hexToBytes('0x5b600056');
const SUPPLY = 1_000_000n;

function balanceSlot(holder: Uint8Array): Uint8Array {
  return keccak256(concatBytes(uintToBytes(BigInt(bytesToHex(holder)), 32), uintToBytes(1n, 32)));
}

const spec: GenesisSpec = {
  gasLimit: 30_000_000n,
  time: 100n,
  alloc: [
    ...accounts.map((a) => [a.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]),
    [
      TOKEN,
      {
        code: hexToBytes(token.deployedBytecode),
        storage: [
          [uintToBytes(0n, 32), uintToBytes(SUPPLY, 32)],
          [balanceSlot(accounts[0]!.address), uintToBytes(SUPPLY, 32)],
        ],
      },
    ],
    [LOOP, { code: LOOP_CODE }],
  ],
};

const balanceOf = (who: Uint8Array) => hexToBytes(iface.encodeFunctionData('balanceOf', [bytesToHex(who)]));
const transfer = (to: Uint8Array, v: bigint) => hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(to), v]));

interface Setup {
  ex: ExecutorApi & StateNodeHost;
  calls: CallService;
  metrics: Registry;
  ref: { stateRoot: Uint8Array; number: bigint; time: bigint; gasLimit: bigint };
  close(): Promise<void>;
}

async function setup(opts: Partial<CallServiceOptions> = {}, mode: 'worker' | 'inline' = 'worker'): Promise<Setup> {
  const d = tempDir('calls');
  const ex = await createExecutor({ mode, chainId: CHAIN_ID, dataDir: d.path });
  const g = await ex.initGenesis(spec);
  // One block on top, so the state read is a flushed block's, not just genesis.
  const b1 = await ex.buildBlock({
    parent: { hash: hashHeader(g), number: 0n, stateRoot: g.stateRoot },
    header: { number: 1n, time: 102n, gasLimit: 30_000_000n },
    author,
    txs: [signLegacyTx({ nonce: 0, gasPrice: 1n, gasLimit: 100_000n, to: TOKEN, data: transfer(accounts[1]!.address, 7n) }, CHAIN_ID, accounts[0]!.key)],
    senders: [accounts[0]!.address],
    budgetMs: 10_000,
  });
  assert.deepEqual(b1.included, [0]);
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const calls = await CallService.start({ chainId: CHAIN_ID, ...opts }, { host: ex, metrics });
  return {
    ex,
    calls,
    metrics,
    ref: { stateRoot: b1.header.stateRoot, number: 1n, time: 102n, gasLimit: 30_000_000n },
    async close() {
      await calls.close();
      await ex.close();
      d.cleanup();
    },
  };
}

async function metric(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return Number(v?.value ?? 0);
}

test('calls and estimates give what the executor gives: values, reverts with their data, errors', async () => {
  const s = await setup();
  try {
    const reqs = [
      { to: TOKEN, data: balanceOf(accounts[1]!.address) },
      { to: TOKEN, data: balanceOf(accounts[0]!.address) },
      { from: accounts[1]!.address, to: TOKEN, data: transfer(accounts[2]!.address, 8n) }, // reverts: 7 < 8
      { from: accounts[0]!.address, to: TOKEN, data: transfer(accounts[2]!.address, 5n) },
      { to: LOOP, gasLimit: 200_000n }, // out of gas
      { from: accounts[0]!.address, to: accounts[3]!.address, value: 1n },
    ];
    for (const req of reqs) assert.deepEqual(await s.calls.call(req, s.ref), await s.ex.call(req, s.ref));
    assert.equal(BigInt(bytesToHex((await s.calls.call(reqs[0]!, s.ref)).returnValue)), 7n);
    for (const req of [reqs[3]!, reqs[5]!]) assert.equal(await s.calls.estimateGas(req, s.ref), await s.ex.estimateGas(req, s.ref));
    const revert = (e: unknown) => e instanceof CallRevertedError && iface.parseError(bytesToHex(e.data))!.args[0] === 'TestToken: insufficient balance';
    await assert.rejects(s.ex.estimateGas(reqs[2]!, s.ref), revert);
    await assert.rejects(s.calls.estimateGas(reqs[2]!, s.ref), revert);
    await assert.rejects(s.calls.estimateGas({ to: LOOP, gasLimit: 100_000n }, s.ref), /gas required exceeds allowance \(100000\): out of gas/);
    // An unknown state root is the executor's error too.
    const unknown = { ...s.ref, stateRoot: new Uint8Array(32).fill(9) };
    await assert.rejects(s.ex.call(reqs[0]!, unknown), /is not available/);
    await assert.rejects(s.calls.call(reqs[0]!, unknown), /is not available/);
    // The worker read its state over the channel and then from its own cache.
    assert.ok((await metric(s.metrics, 'bttc_call_node_fetch_round_trips_total')) > 0);
    assert.ok((await metric(s.metrics, 'bttc_call_node_cache_hits_total')) > 0);
  } finally {
    await s.close();
  }
});

test('the gas cap bounds what a call may use, whatever it asks for', async () => {
  const s = await setup({ gasCap: 1_000_000n });
  try {
    const r = await s.calls.call({ to: LOOP, gasLimit: 10_000_000n }, s.ref);
    assert.equal(r.success, false);
    assert.equal(r.error, 'out of gas');
    assert.equal(r.gasUsed, 1_000_000n);
    assert.equal((await s.calls.call({ to: LOOP }, s.ref)).gasUsed, 1_000_000n);
  } finally {
    await s.close();
  }
});

test("a looping call stops at evmTimeout with geth's error, queued calls share the deadline, and the worker carries on", async () => {
  const s = await setup({ evmTimeoutMs: 600, gasCap: 10_000_000_000n });
  try {
    const t0 = performance.now();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => s.calls.call({ to: LOOP, gasLimit: 10_000_000_000n }, s.ref)));
    const took = performance.now() - t0;
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof CallTimeoutError);
      assert.equal((r as PromiseRejectedResult).reason.message, 'execution aborted (timeout = 600ms)');
    }
    assert.ok(took < 600 + 400, `4 looping calls on one worker all answered within the deadline + slack (${took.toFixed(0)} ms)`);
    // The EVM stopped itself: no worker was replaced, and the next call is answered at once.
    const t1 = performance.now();
    assert.equal(BigInt(bytesToHex((await s.calls.call({ to: TOKEN, data: balanceOf(accounts[1]!.address) }, s.ref)).returnValue)), 7n);
    assert.ok(performance.now() - t1 < 300);
    assert.equal(await metric(s.metrics, 'bttc_call_worker_restarts_total', { reason: 'timeout' }), 0);
    assert.equal(await metric(s.metrics, 'bttc_call_timeouts_total', { kind: 'call' }), 4);
    // estimateGas of a loop: its binary search stops at the same deadline.
    await assert.rejects(s.calls.estimateGas({ to: LOOP, gasLimit: 10_000_000_000n }, s.ref), (e: unknown) => e instanceof CallTimeoutError);
    assert.equal(goDuration(5000), '5s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(90_000), '1m30s');
  } finally {
    await s.close();
  }
});

test('a worker that cannot be interrupted is terminated after the grace period and replaced', async () => {
  const s = await setup({ evmTimeoutMs: 300, graceMs: 200, workerUrl: new URL('./fixtures/stuck-call-worker.ts', import.meta.url) });
  try {
    const t0 = performance.now();
    await assert.rejects(s.calls.call({ to: TOKEN, data: hexToBytes('0xdeadbeef') }, s.ref), (e: unknown) => e instanceof CallTimeoutError && e.message === 'execution aborted (timeout = 300ms)');
    assert.ok(performance.now() - t0 < 300 + 200, 'the caller gets the timeout at the deadline, not after the grace period');
    // The worker is replaced once the grace period is over, and the replacement serves calls.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await metric(s.metrics, 'bttc_call_worker_restarts_total', { reason: 'timeout' }), 1);
    let r;
    for (let i = 0; i < 50 && !r; i++) r = await s.calls.call({ to: TOKEN, data: balanceOf(accounts[1]!.address) }, s.ref).catch(() => undefined); // queued calls time out while it starts
    assert.equal(BigInt(bytesToHex(r!.returnValue)), 7n);
    assert.equal(await metric(s.metrics, 'bttc_call_worker_restarts_total', { reason: 'timeout' }), 1);
  } finally {
    await s.close();
  }
});

test('an in-process executor serves call workers too', async () => {
  const s = await setup({}, 'inline');
  try {
    const req = { to: TOKEN, data: balanceOf(accounts[1]!.address) };
    assert.deepEqual(await s.calls.call(req, s.ref), await s.ex.call(req, s.ref));
  } finally {
    await s.close();
  }
});

test('block import does not wait for a call: a block is built while a call loops', async () => {
  const s = await setup({ evmTimeoutMs: 3000, gasCap: 10_000_000_000n });
  try {
    const looping = s.calls.call({ to: LOOP, gasLimit: 10_000_000_000n }, s.ref).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const g = await s.ex.buildBlock({
      parent: { hash: new Uint8Array(32), number: 1n, stateRoot: s.ref.stateRoot },
      header: { number: 2n, time: 104n, gasLimit: 30_000_000n },
      author,
      txs: [signLegacyTx({ nonce: 1, gasPrice: 1n, gasLimit: 100_000n, to: TOKEN, data: transfer(accounts[2]!.address, 1n) }, CHAIN_ID, accounts[0]!.key)],
      senders: [accounts[0]!.address],
      budgetMs: 10_000,
    });
    const took = performance.now() - t0;
    assert.deepEqual(g.included, [0]);
    assert.ok(took < 500, `built in ${took.toFixed(0)} ms while a call loops`);
    assert.ok((await looping) instanceof CallTimeoutError);
  } finally {
    await s.close();
  }
});

test('the cost of a simple call (balanceOf): executor queue vs call worker', async (t) => {
  const s = await setup();
  try {
    const req = { to: TOKEN, data: balanceOf(accounts[1]!.address) };
    const time = async (fn: () => Promise<unknown>, n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await fn();
      return ((performance.now() - t0) * 1000) / n;
    };
    const cold = await time(() => s.calls.call(req, { ...s.ref }), 1);
    await time(() => s.ex.call(req, s.ref), 50);
    const N = 300;
    const oldUs = await time(() => s.ex.call(req, s.ref), N);
    const newUs = await time(() => s.calls.call(req, s.ref), N);
    t.diagnostic(`balanceOf: executor worker ${oldUs.toFixed(0)} µs/call, call worker ${newUs.toFixed(0)} µs/call (first call on a cold cache ${cold.toFixed(0)} µs)`);
    assert.ok(newUs < 20_000);
  } finally {
    await s.close();
  }
});

test('the EthereumJS surfaces the call runner relies on are there (the packages are pinned; see ethereumjs-pin.test.ts)', async () => {
  const { getOpcodesForHF, paramsEVM, EVM, createEVM } = await import('@ethereumjs/evm');
  const { createBttcCommon } = await import('../../src/evm/common.ts');
  const common = createBttcCommon({ chainId: CHAIN_ID });
  common.updateParams(paramsEVM);
  const ops = getOpcodesForHF(common);
  for (const op of [0x56, 0x57, 0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa]) {
    assert.equal(typeof ops.handlers.get(op), 'function', `handler of 0x${op.toString(16)}`);
    assert.equal(typeof ops.opcodes.get(op)?.fee, 'number');
  }
  assert.equal(typeof (EVM.prototype as unknown as Record<string, unknown>).runCall, 'function');
  const evm = await createEVM({ common });
  assert.equal(typeof evm.journal.cleanJournal, 'function', 'Journal.cleanJournal (the runner clears the journal after an aborted call)');
  assert.equal(typeof evm.events.on, 'function');
});

test('a cheap call is answered at once while long calls loop in the same worker (time slices, not a FIFO)', async () => {
  const s = await setup({ evmTimeoutMs: 3000, gasCap: 10_000_000_000n });
  try {
    const loops = Array.from({ length: 8 }, () =>
      s.calls.call({ to: LOOP, gasLimit: 10_000_000_000n }, s.ref).then(
        () => 'answered',
        (e: unknown) => e,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const r = await s.calls.call({ to: TOKEN, data: balanceOf(accounts[1]!.address) }, s.ref);
    const took = performance.now() - t0;
    assert.equal(BigInt(bytesToHex(r.returnValue)), 7n);
    // One worker running a FIFO would answer it after the loops' 3 s deadline.
    assert.ok(took < 1500, `balanceOf during 8 looping calls answered in ${took.toFixed(0)} ms`);
    for (const l of await Promise.all(loops)) assert.ok(l instanceof CallTimeoutError, 'the loops still stop at their deadline');
    assert.equal(await metric(s.metrics, 'bttc_call_worker_restarts_total', { reason: 'timeout' }), 0);
  } finally {
    await s.close();
  }
});
