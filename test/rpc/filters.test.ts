/**
 * Polled filters over http: what each kind buffers, geth's 5-minute expiry without a poll (a
 * poll resets it), the bound on installed filters and on buffered changes (hash filters keep the
 * newest; a log filter that overflows is removed and says so), and that a removed filter stops
 * listening (no block or logs read for it any more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChainStoreApi, LocatedLog } from '../../src/chain/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import type { HeaderFields } from '../../src/evm/interface.ts';
import { blockResolver } from '../../src/rpc/blocks.ts';
import { ChainEvents } from '../../src/rpc/events.ts';
import { FILTER_TIMEOUT_MS, FilterSystem, registerFilters, type FilterOptions } from '../../src/rpc/filters.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import type { Registry } from 'prom-client';

const base: HeaderFields = {
  parentHash: new Uint8Array(32),
  uncleHash: new Uint8Array(32),
  coinbase: new Uint8Array(20),
  stateRoot: new Uint8Array(32),
  txRoot: new Uint8Array(32),
  receiptRoot: new Uint8Array(32),
  bloom: new Uint8Array(256),
  difficulty: 1n,
  number: 1n,
  gasLimit: 20_000_000n,
  gasUsed: 0n,
  time: 1000n,
  extra: new Uint8Array(97),
  mixDigest: new Uint8Array(32),
  nonce: new Uint8Array(8),
};

const A = new Uint8Array(20).fill(0xaa);
const B = new Uint8Array(20).fill(0xbb);
const T = new Uint8Array(32).fill(0x11);

function head(n: number): { hash: Uint8Array; header: HeaderFields } {
  const header = { ...base, number: BigInt(n) };
  return { hash: hashHeader(header), header };
}

function log(n: number, address: Uint8Array, i = 0): LocatedLog {
  return { address, topics: [T], data: new Uint8Array(0), blockHash: head(n).hash, blockNumber: BigInt(n), txHash: new Uint8Array(32).fill(n), txIndex: 0, logIndex: i, removed: false };
}

async function setup(
  opts: FilterOptions,
  fn: (t: {
    call: (method: string, params?: unknown[]) => Promise<{ result?: unknown; error?: { code: number; message: string } }>;
    events: ChainEvents;
    clock: { now: number };
    filters: FilterSystem;
    metrics: Registry;
  }) => Promise<void>,
): Promise<void> {
  const events = new ChainEvents();
  const clock = { now: 1_000_000 };
  const chain = {
    head: () => ({ ...head(9), number: 9n, td: 9n }),
    getCanonicalHash: async () => undefined,
    getHeader: async () => undefined,
    hasBlock: async () => false,
    getBlockLogs: async () => [],
    getLogs: async () => [log(3, A)],
  } as unknown as ChainStoreApi;
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const filters = new FilterSystem(opts, { events, chain, blocks: blockResolver({ chain }), now: () => clock.now, metrics });
  const registry = new MethodRegistry();
  registerFilters(registry, filters);
  const server = new RpcServer({ port: 0 }, { registry });
  const { url } = await server.start();
  let id = 0;
  const call = async (method: string, params: unknown[] = []) =>
    (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) })).json()) as {
      result?: unknown;
      error?: { code: number; message: string };
    };
  try {
    await fn({ call, events, clock, filters, metrics });
  } finally {
    filters.close();
    await server.close();
  }
}

test('block, pending and log filters buffer what arrived since the last poll', async () => {
  await setup({}, async ({ call, events }) => {
    const blocks = (await call('eth_newBlockFilter')).result as string;
    const pending = (await call('eth_newPendingTransactionFilter')).result as string;
    const logsA = (await call('eth_newFilter', [{ address: bytesToHex(A), topics: [bytesToHex(T)] }])).result as string;
    const from5 = (await call('eth_newFilter', [{ fromBlock: '0x5' }])).result as string;
    assert.match(blocks, /^0x[0-9a-f]+$/);
    assert.equal(new Set([blocks, pending, logsA, from5]).size, 4);

    events.newHead({ ...head(4), logs: [log(4, A), log(4, B, 1)] });
    events.pendingTxs([{ hash: new Uint8Array(32).fill(1), raw: new Uint8Array(1), sender: A }]);
    events.newHead({ ...head(5), logs: [log(5, A)] });
    events.removedLogs([log(4, A)]);

    assert.deepEqual((await call('eth_getFilterChanges', [blocks])).result, [bytesToHex(head(4).hash), bytesToHex(head(5).hash)]);
    assert.deepEqual((await call('eth_getFilterChanges', [blocks])).result, []);
    assert.deepEqual((await call('eth_getFilterChanges', [pending])).result, [bytesToHex(new Uint8Array(32).fill(1))]);
    const got = (await call('eth_getFilterChanges', [logsA])).result as { blockNumber: string; address: string; removed: boolean }[];
    assert.deepEqual(
      got.map((l) => [l.blockNumber, l.address, l.removed]),
      [
        ['0x4', bytesToHex(A), false],
        ['0x5', bytesToHex(A), false],
        ['0x4', bytesToHex(A), true],
      ],
      'address filter, then the removed log of the reorg',
    );
    const since5 = (await call('eth_getFilterChanges', [from5])).result as { blockNumber: string }[];
    assert.deepEqual(
      since5.map((l) => l.blockNumber),
      ['0x5'],
      'an explicit fromBlock bounds new logs',
    );
    // eth_getFilterLogs runs the criteria as eth_getLogs; only log filters have one.
    assert.equal(((await call('eth_getFilterLogs', [logsA])).result as unknown[]).length, 1);
    assert.deepEqual((await call('eth_getFilterLogs', [blocks])).error, { code: -32000, message: 'filter not found' });
    assert.equal((await call('eth_uninstallFilter', [blocks])).result, true);
    assert.deepEqual((await call('eth_getFilterChanges', [blocks])).error, { code: -32000, message: 'filter not found' });
    assert.equal((await call('eth_getFilterChanges', ['nope'])).error?.code, -32602);
    assert.equal((await call('eth_newFilter', [{ fromBlock: '0x9', toBlock: '0x2' }])).error?.code, -32602, 'a bad range is refused at install');
    assert.equal((await call('eth_newFilter', [{ address: '0x12' }])).error?.code, -32602);
  });
});

test('a filter not polled for 5 minutes expires; each poll resets its deadline; removed filters stop listening', async () => {
  assert.equal(FILTER_TIMEOUT_MS, 5 * 60 * 1000, "geth's filterTimeout");
  await setup({}, async ({ call, events, clock, filters }) => {
    const id = (await call('eth_newBlockFilter')).result as string;
    const other = (await call('eth_newFilter', [{}])).result as string;
    clock.now += FILTER_TIMEOUT_MS - 1000;
    assert.deepEqual((await call('eth_getFilterChanges', [id])).result, [], 'polled just in time');
    clock.now += FILTER_TIMEOUT_MS - 1000;
    assert.deepEqual((await call('eth_getFilterChanges', [id])).result, [], 'the poll reset the deadline');
    assert.deepEqual((await call('eth_getFilterChanges', [other])).error, { code: -32000, message: 'filter not found' }, 'never polled: expired');
    clock.now += FILTER_TIMEOUT_MS;
    assert.equal(filters.sweep(), 1);
    assert.equal(filters.size, 0);
    // Nobody listens any more: publishing a block reads nothing.
    let reads = 0;
    await events.publish({ getHeader: async () => (reads++, base), getBlockLogs: async () => (reads++, []) }, hashHeader(base));
    assert.equal(reads, 0);
  });
});

test('bounds: installed filters, and changes buffered per filter', async () => {
  await setup({ maxFilters: 3, maxChanges: 3 }, async ({ call, events, clock, metrics }) => {
    const blocks = (await call('eth_newBlockFilter')).result as string;
    const logs = (await call('eth_newFilter', [{}])).result as string;
    await call('eth_newPendingTransactionFilter');
    const over = await call('eth_newBlockFilter');
    assert.equal(over.error?.code, -32005);
    assert.match(over.error!.message, /too many filters.*limit 3/);

    for (let n = 1; n <= 5; n++) events.newHead({ ...head(n), logs: [log(n, A)] });
    assert.deepEqual(
      (await call('eth_getFilterChanges', [blocks])).result,
      [3, 4, 5].map((n) => bytesToHex(head(n).hash)),
      'a hash filter keeps the newest',
    );
    const lost = await call('eth_getFilterChanges', [logs]);
    assert.equal(lost.error?.code, -32005, 'a log filter that overflowed says so');
    assert.match(lost.error!.message, /more than 3 logs.*eth_getLogs/);
    assert.deepEqual((await call('eth_getFilterChanges', [logs])).error, { code: -32000, message: 'filter not found' }, 'and is gone');
    const text = await metrics.metrics();
    assert.match(text, /bttc_rpc_filters_removed_total\{cause="overflow"\} 1/);
    assert.match(text, /bttc_rpc_filters\{kind="blocks"\} 1/);

    // Expired filters make room for new ones.
    assert.equal(typeof (await call('eth_newBlockFilter')).result, 'string');
    clock.now += FILTER_TIMEOUT_MS + 1;
    for (let i = 0; i < 3; i++) assert.equal(typeof (await call('eth_newBlockFilter')).result, 'string');
  });
});
