/**
 * debug_traceTransaction / debug_traceCall / debug_traceBlockByNumber over JSON-RPC, run by a call
 * worker: geth's struct logger (gas accounting, stack, memory, storage, options) and callTracer
 * (frame types, gas, reverts with reasons, onlyTopCall), the replay of earlier transactions of the
 * block, time limits and errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { parseGoDuration } from '../../src/rpc/debug.ts';
import { balanceSlot, LOOP, PROBE, probeIface, startCallChain, SUPPLY, TOKEN, tokenIface, type CallChain } from './call-devchain.ts';

let c: CallChain;

before(async () => {
  c = await startCallChain();
});

after(async () => {
  await c.close();
});

interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  error?: string;
  stack?: string[];
  memory?: string[];
  storage?: Record<string, string>;
  refund?: number;
}
interface StructResult {
  gas: number;
  failed: boolean;
  returnValue: string;
  structLogs: StructLog[];
}
interface Frame {
  type: string;
  from: string;
  to?: string;
  value?: string;
  gas: string;
  gasUsed: string;
  input: string;
  output?: string;
  error?: string;
  revertReason?: string;
  calls?: Frame[];
}

async function ok<T>(method: string, params: unknown[]): Promise<T> {
  const r = await c.rpc(method, params);
  assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
  return r.result as T;
}

const word = (v: bigint) => '0x' + v.toString(16).padStart(64, '0');
const transferData = (to: Uint8Array, v: bigint) => hexToBytes(tokenIface.encodeFunctionData('transfer', [bytesToHex(to), v]));

test('struct logger: every opcode with gas, cost, depth, stack, and the storage SLOAD/SSTORE saw; the options', async () => {
  const a = c.accounts;
  const hash = await c.send(a[0]!, { to: TOKEN, data: transferData(a[1]!.address, 5n), gasLimit: 200_000n });
  const receipt = await ok<{ gasUsed: string }>('eth_getTransactionReceipt', [hash]);
  const t = await ok<StructResult>('debug_traceTransaction', [hash]);
  assert.equal(t.gas, Number(BigInt(receipt.gasUsed)));
  assert.equal(t.failed, false);
  assert.equal(t.returnValue, word(1n));
  const logs = t.structLogs;
  assert.deepEqual(logs[0], { pc: 0, op: 'PUSH1', gas: logs[0]!.gas, gasCost: 3, depth: 1, stack: [] });
  // 200,000 minus the intrinsic gas (21,000 + 4/16 per zero/non-zero calldata byte).
  const data = transferData(a[1]!.address, 5n);
  const intrinsic = 21_000 + [...data].reduce((s, b) => s + (b === 0 ? 4 : 16), 0);
  assert.equal(logs[0]!.gas, 200_000 - intrinsic);
  // One frame, so each step's gas is the previous step's minus its cost.
  for (let i = 1; i < logs.length; i++) assert.equal(logs[i]!.gas, logs[i - 1]!.gas - logs[i - 1]!.gasCost, `step ${i} (${logs[i - 1]!.op})`);
  assert.equal(logs.at(-1)!.op, 'RETURN');
  assert.ok(logs.every((l) => l.depth === 1 && Array.isArray(l.stack) && l.memory === undefined));
  // SLOAD of the sender's balance shows the loaded value; SSTOREs show what they write.
  const slotA = bytesToHex(balanceSlot(a[0]!.address));
  const load = logs.find((l) => l.op === 'SLOAD' && l.storage?.[slotA] !== undefined)!;
  assert.equal(load.storage![slotA], word(SUPPLY));
  const stores = logs.filter((l) => l.op === 'SSTORE');
  assert.equal(stores.length, 2);
  assert.equal(stores[0]!.storage![slotA], word(SUPPLY - 5n));
  assert.equal(stores[1]!.storage![bytesToHex(balanceSlot(a[1]!.address))], word(5n));
  assert.ok(logs.filter((l) => l.op !== 'SLOAD' && l.op !== 'SSTORE').every((l) => l.storage === undefined));

  const opts = await ok<StructResult>('debug_traceTransaction', [hash, { disableStack: true, disableStorage: true, enableMemory: true }]);
  assert.equal(opts.structLogs.length, logs.length);
  assert.ok(opts.structLogs.every((l) => l.stack === undefined && l.storage === undefined));
  const withMem = opts.structLogs.filter((l) => l.memory);
  assert.ok(withMem.length > 0 && withMem.every((l) => l.memory!.every((w) => /^0x[0-9a-f]{64}$/.test(w))));
  assert.equal(opts.structLogs.find((l) => l.memory)!.memory![2], word(0x80n), 'the free-memory pointer solc writes first');
  assert.equal((await ok<StructResult>('debug_traceTransaction', [hash, { limit: 5 }])).structLogs.length, 5);
});

test('callTracer: nested frames with their types, gas and reverts; onlyTopCall; debug_traceCall', async () => {
  const a = c.accounts;
  const hash = await c.send(a[0]!, { to: PROBE, data: hexToBytes(probeIface.encodeFunctionData('failInner', [bytesToHex(TOKEN)])), gasLimit: 300_000n });
  const receipt = await ok<{ gasUsed: string }>('eth_getTransactionReceipt', [hash]);
  const top = await ok<Frame>('debug_traceTransaction', [hash, { tracer: 'callTracer' }]);
  assert.equal(top.type, 'CALL');
  assert.equal(top.from, bytesToHex(a[0]!.address));
  assert.equal(top.to, bytesToHex(PROBE));
  assert.equal(top.value, '0x0');
  assert.equal(top.gas, '0x' + (300_000).toString(16));
  assert.equal(top.gasUsed, receipt.gasUsed);
  assert.equal(top.output, word(0n), 'failInner returns false');
  assert.equal(top.error, undefined);
  assert.deepEqual(Object.keys(top), ['type', 'from', 'gas', 'gasUsed', 'to', 'input', 'output', 'calls', 'value']);
  assert.equal(top.calls!.length, 1);
  const inner = top.calls![0]!;
  assert.equal(inner.type, 'CALL');
  assert.equal(inner.from, bytesToHex(PROBE));
  assert.equal(inner.to, bytesToHex(TOKEN));
  assert.equal(inner.error, 'execution reverted');
  assert.equal(inner.revertReason, 'TestToken: insufficient balance');
  assert.equal(tokenIface.parseError(inner.output!)!.args[0], 'TestToken: insufficient balance');
  assert.ok(BigInt(inner.gasUsed) > 0n && BigInt(inner.gasUsed) < BigInt(inner.gas));

  const only = await ok<Frame>('debug_traceTransaction', [hash, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } }]);
  const { calls: _nested, ...topOnly } = top;
  assert.deepEqual(only, topOnly, 'the top frame as it is, without its calls');

  // A view call through STATICCALL: no value on the static frame.
  const read = await ok<Frame>('debug_traceCall', [
    { to: bytesToHex(PROBE), data: probeIface.encodeFunctionData('readBalance', [bytesToHex(TOKEN), bytesToHex(a[1]!.address)]) },
    'latest',
    { tracer: 'callTracer' },
  ]);
  assert.equal(read.calls![0]!.type, 'STATICCALL');
  assert.equal(read.calls![0]!.value, undefined);
  assert.equal(BigInt(read.calls![0]!.output!), 5n);
  assert.equal(read.output, read.calls![0]!.output);

  const boom = { from: bytesToHex(a[1]!.address), to: bytesToHex(PROBE), data: probeIface.encodeFunctionData('boom', []) };
  const b = await ok<Frame>('debug_traceCall', [boom, 'latest', { tracer: 'callTracer' }]);
  assert.equal(b.error, 'execution reverted');
  assert.equal(b.revertReason, 'Probe: boom');
  const s = await ok<StructResult>('debug_traceCall', [boom, 'latest']);
  assert.equal(s.failed, true);
  assert.equal(probeIface.parseError(s.returnValue)!.args[0], 'Probe: boom');
  assert.equal(s.structLogs.at(-1)!.op, 'REVERT');
});

test('a mined transaction is traced after re-running the ones before it in its block; whole blocks trace in order', async () => {
  const a = c.accounts;
  // a[2] holds no tokens until the first transaction of the block gives it some.
  const blockHash = await c.block([
    { from: a[0]!, to: TOKEN, data: transferData(a[2]!.address, 100n), gasLimit: 100_000n },
    { from: a[2]!, to: TOKEN, data: transferData(a[3]!.address, 60n), gasLimit: 100_000n },
  ]);
  const block = await ok<{ number: string; transactions: string[] }>('eth_getBlockByHash', [bytesToHex(blockHash), false]);
  const second = await ok<Frame>('debug_traceTransaction', [block.transactions[1], { tracer: 'callTracer' }]);
  assert.equal(second.error, undefined, 'the second transfer sees the first one’s tokens');
  assert.equal(second.output, word(1n));
  const all = await ok<{ txHash: string; result: Frame }[]>('debug_traceBlockByNumber', [block.number, { tracer: 'callTracer' }]);
  assert.deepEqual(
    all.map((x) => x.txHash),
    block.transactions,
  );
  assert.deepEqual(all[1]!.result, second);
  const receipts = await ok<{ gasUsed: string }[]>('eth_getBlockReceipts', [block.number]);
  assert.deepEqual(
    all.map((x) => x.result.gasUsed),
    receipts.map((r) => r.gasUsed),
  );
  const byHash = await ok<{ txHash: string; result: StructResult }[]>('debug_traceBlockByHash', [bytesToHex(blockHash)]);
  assert.equal(byHash.length, 2);
  assert.equal(byHash[0]!.result.failed, false);
});

test('time limits, unknown transactions and tracers, the genesis block', async () => {
  const t0 = performance.now();
  const r = await c.rpc('debug_traceCall', [{ to: bytesToHex(LOOP), gas: '0x2540be400' }, 'latest', { tracer: 'callTracer', timeout: '300ms' }]);
  assert.deepEqual(r.error, { code: -32000, message: 'execution aborted (timeout = 300ms)' });
  assert.ok(performance.now() - t0 < 300 + 700);
  assert.deepEqual((await c.rpc('debug_traceTransaction', ['0x' + '12'.repeat(32)])).error, { code: -32000, message: 'transaction not found' });
  assert.match((await c.rpc('debug_traceCall', [{ to: bytesToHex(PROBE) }, 'latest', { tracer: 'prestateTracer' }])).error!.message, /prestateTracer.*not available/);
  assert.equal((await c.rpc('debug_traceCall', [{ to: bytesToHex(PROBE) }, 'latest', { timeout: 'soon' }])).error!.code, -32602);
  assert.deepEqual((await c.rpc('debug_traceBlockByNumber', ['0x0'])).error, { code: -32000, message: 'genesis is not traceable' });
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('5'), null);
});
