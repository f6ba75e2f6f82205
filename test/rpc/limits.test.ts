/**
 * What the RPC server refuses or bounds, over real http and ws: namespaces switched off answer
 * -32601 as geth does; CORS only for listed origins (none by default), websocket origins likewise;
 * hostile params (100,000-deep arrays, 4 MB strings) get -32602 with a short echo; a batch of 1,000
 * full blocks stops at batchResponseMaxSize with -32003 and leaves the heap where it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import type { ChainStoreApi } from '../../src/chain/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import type { HeaderFields } from '../../src/evm/interface.ts';
import { registerEth } from '../../src/rpc/eth.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer, type RpcServerOptions } from '../../src/rpc/server.ts';
import { clientVersion } from '../../src/rpc/version.ts';
import { signTx } from '../bttc/helpers.ts';
import { testAccounts } from '../evm/helpers.ts';

type Json = { id?: unknown; result?: unknown; error?: { code: number; message: string } };

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function withServer(opts: Omit<RpcServerOptions, 'port'>, registry: MethodRegistry, fn: (u: { url: string; wsUrl: string }) => Promise<void>, metrics?: Registry): Promise<void> {
  const server = new RpcServer({ port: 0, ...opts }, { registry, metrics });
  const u = await server.start();
  try {
    await fn(u);
  } finally {
    await server.close();
  }
}

function wsOpen(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function wsCall(ws: WebSocket, body: unknown): Promise<Json> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Json));
    ws.send(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

test('namespaces: a method of a disabled namespace answers -32601 like an unknown one, whenever it was registered', async () => {
  const registry = new MethodRegistry({ namespaces: ['eth', 'web3'] });
  registry.register('eth_chainId', () => '0x1');
  registry.register('web3_clientVersion', () => clientVersion());
  await withServer({}, registry, async ({ url }) => {
    // registered after the server started: still gated
    registry.register('debug_traceTransaction', () => ({ secret: true }));
    registry.register('txpool_status', () => ({}));
    const call = async (method: string) => JSON.parse((await post(url, { jsonrpc: '2.0', id: 1, method, params: [] })).text) as Json;
    assert.equal((await call('eth_chainId')).result, '0x1');
    assert.deepEqual((await call('debug_traceTransaction')).error, { code: -32601, message: 'the method debug_traceTransaction does not exist/is not available' });
    assert.deepEqual((await call('txpool_status')).error, { code: -32601, message: 'the method txpool_status does not exist/is not available' });
    assert.deepEqual((await call('debug_nope')).error, { code: -32601, message: 'the method debug_nope does not exist/is not available' });
    assert.deepEqual((await call('rpc_modules')).result, { eth: '1.0', web3: '1.0' }, 'rpc_modules lists what is served');
    assert.match(String((await call('web3_clientVersion')).result), /^bttc-node\/v\d+\.\d+\.\d+[^/]*\/[a-z0-9]+-[a-z0-9]+\/node-v24\.\d+\.\d+$/);
  });
  assert.equal(
    clientVersion({ platform: 'linux', arch: 'x64', version: 'v24.21.0' }),
    `bttc-node/v${(await import('../../package.json', { with: { type: 'json' } })).default.version}/linux-x64/node-v24.21.0`,
  );
  const all = new MethodRegistry();
  all.register('debug_x', () => 1);
  assert.equal(await all.call('debug_x', [], {}), 1, 'no namespace list: everything registered is served');
});

test('CORS: no header by default; a listed origin is echoed with Vary: Origin; preflight answers the same', async () => {
  const registry = new MethodRegistry();
  registry.register('eth_chainId', () => '0x1');
  const body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' };
  await withServer({}, registry, async ({ url, wsUrl }) => {
    const r = await post(url, body, { origin: 'https://evil.example' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no CORS unless configured');
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    // websocket: browsers send Origin; without a list only localhost pages may connect (geth's default)
    await assert.rejects(wsOpen(wsUrl, 'https://evil.example'), /refused: 403/);
    (await wsOpen(wsUrl, 'http://localhost:3000')).close();
    (await wsOpen(wsUrl)).close();
  });
  await withServer({ cors: ['https://app.example', 'http://localhost:5173'] }, registry, async ({ url, wsUrl }) => {
    const ok = await post(url, body, { origin: 'https://app.example' });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(ok.headers.get('vary'), 'Origin');
    const other = await post(url, body, { origin: 'https://evil.example' });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('vary'), 'Origin');
    const pre = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-client' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type, x-client');
    const badPre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(badPre.headers.get('access-control-allow-origin'), null);
    (await wsOpen(wsUrl, 'https://app.example')).close();
    await assert.rejects(wsOpen(wsUrl, 'https://evil.example'), /refused: 403/);
  });
  // The old single-string form, and "*" explicitly.
  for (const cors of ['*', ['*']] as const) {
    await withServer({ cors }, registry, async ({ url, wsUrl }) => {
      const r = await post(url, body, { origin: 'https://anything.example' });
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      (await wsOpen(wsUrl, 'https://anything.example')).close();
    });
  }
  await withServer({ cors: 'https://one.example' }, registry, async ({ url }) => {
    assert.equal((await post(url, body, { origin: 'https://one.example' })).headers.get('access-control-allow-origin'), 'https://one.example');
    assert.equal((await post(url, body, { origin: 'https://two.example' })).headers.get('access-control-allow-origin'), null);
  });
});

// A chain of 1,000 full blocks without storing any: every block has the same 300 transactions.
const header0: HeaderFields = {
  parentHash: new Uint8Array(32),
  uncleHash: new Uint8Array(32),
  coinbase: new Uint8Array(20),
  stateRoot: new Uint8Array(32),
  txRoot: new Uint8Array(32),
  receiptRoot: new Uint8Array(32),
  bloom: new Uint8Array(256),
  difficulty: 1n,
  number: 0n,
  gasLimit: 20_000_000n,
  gasUsed: 0n,
  time: 1000n,
  extra: new Uint8Array(97),
  mixDigest: new Uint8Array(32),
  nonce: new Uint8Array(8),
};

function fakeChain(blocks: number, txsPerBlock: number): ChainStoreApi {
  const key = testAccounts(1, 9)[0]!;
  const txs = Array.from({ length: txsPerBlock }, (_, i) => signTx({ nonce: BigInt(i), gasPrice: 1_000_000_000n, value: 1n, data: new Uint8Array(64).fill(7), chainId: 1029n }, key.key));
  const senders = txs.map(() => key.address);
  const headers = new Map<string, HeaderFields>();
  const byNumber: Uint8Array[] = [];
  for (let n = 0; n < blocks; n++) {
    const h = { ...header0, number: BigInt(n), time: 1000n + BigInt(n) };
    const hash = hashHeader(h);
    headers.set(Buffer.from(hash).toString('hex'), h);
    byNumber.push(hash);
  }
  const last = byNumber[blocks - 1]!;
  const chain = {
    head: () => ({ hash: last, number: BigInt(blocks - 1), header: headers.get(Buffer.from(last).toString('hex'))!, td: BigInt(blocks) }),
    getCanonicalHash: async (n: bigint) => byNumber[Number(n)],
    getHeader: async (hash: Uint8Array) => headers.get(Buffer.from(hash).toString('hex')),
    getBody: async () => ({ txs, senders }),
    getTd: async (hash: Uint8Array) => headers.get(Buffer.from(hash).toString('hex'))!.number + 1n,
  };
  return chain as unknown as ChainStoreApi;
}

function ethRegistry(chain: ChainStoreApi): MethodRegistry {
  const registry = new MethodRegistry();
  const never = async () => {
    throw new Error('not in this test');
  };
  registerEth(registry, {
    chainId: 1029n,
    chain,
    executor: { call: never, estimateGas: never, getAccount: async () => undefined, getCode: never, getStorage: never },
    txSink: { sendRawTransaction: never },
    gasPrice: () => 1n,
  });
  return registry;
}

test('hostile params: 100,000-deep arrays and 4 MB strings get -32602 with a short echo, over http and ws', async () => {
  const registry = ethRegistry(fakeChain(4, 1));
  await withServer({ maxBodyBytes: 6 * 1024 * 1024 }, registry, async ({ url, wsUrl }) => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const huge = 'f'.repeat(4 * 1024 * 1024);
    const cases = [
      `{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":[${deep},false]}`,
      `{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x${'00'.repeat(20)}",{"blockNumber":${deep}}]}`,
      `{"jsonrpc":"2.0","id":1,"method":"eth_nothing","params":${deep}}`,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [huge, false] }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: ['0x' + huge, 'latest'] }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: ['0x' + '00'.repeat(20), huge] }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ address: huge }] }),
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: { tag: huge } }),
    ];
    const ws = await wsOpen(wsUrl);
    try {
      for (const body of cases) {
        for (const res of [JSON.parse((await post(url, body)).text) as Json, await wsCall(ws, body)]) {
          assert.equal(res.error?.code, -32602, `${body.slice(0, 80)} → ${JSON.stringify(res).slice(0, 300)}`);
          assert.ok(res.error.message.length <= 400, `echo cut short: ${res.error.message.length} chars`);
          assert.equal(res.id, 1);
        }
      }
      // A 4 MB id is refused, not echoed.
      const id = await post(url, JSON.stringify({ jsonrpc: '2.0', id: huge, method: 'eth_chainId' }));
      assert.ok(id.text.length < 500);
      assert.equal((JSON.parse(id.text) as Json).error?.code, -32600);
      // The server still answers.
      assert.equal((JSON.parse((await post(url, { jsonrpc: '2.0', id: 2, method: 'eth_chainId' })).text) as Json).result, '0x405');
    } finally {
      ws.close();
    }
  });
});

test('batch response bound: 1,000 full blocks stop at batchResponseMaxSize with -32003 and the heap returns to its baseline', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const registry = ethRegistry(fakeChain(1000, 300));
  const bound = 8_000_000;
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  await withServer(
    { batchResponseMaxSize: bound },
    registry,
    async ({ url }) => {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: ['0x' + i.toString(16), true] }));
      const one = (await post(url, [batch[0]])).text.length;
      assert.ok(one > 100_000, `a full block is large (${one} bytes)`);
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let round = 0; round < 3; round++) {
        const r = await post(url, batch);
        assert.equal(r.status, 200);
        assert.ok(r.text.length < bound + 2 * one + 1000 * 120, `response ${r.text.length} bytes stays near the bound ${bound}`);
        const out = JSON.parse(r.text) as Json[];
        assert.equal(out.length, 1000, 'every call answered');
        assert.deepEqual(
          out.map((x) => x.id),
          batch.map((b) => b.id),
          'in request order',
        );
        const served = out.filter((x) => x.result !== undefined).length;
        assert.ok(served >= Math.floor(bound / one) && served < 100, `${served} blocks served before the bound`);
        const refused = out.filter((x) => x.error);
        assert.equal(refused.length, 1000 - served);
        assert.deepEqual(refused[0]!.error, { code: -32003, message: 'response too large' });
        assert.ok(
          out.slice(served).every((x) => x.error?.code === -32003),
          'everything after the bound is refused',
        );
      }
      gc();
      const after = process.memoryUsage().heapUsed;
      assert.ok(after - before < 30 * 1024 * 1024, `heap back near its baseline: ${((after - before) / 1e6).toFixed(1)} MB above`);
      // Within the bound a batch is served whole.
      const small = JSON.parse((await post(url, batch.slice(0, 10))).text) as Json[];
      assert.ok(small.every((x) => x.result));
      assert.match(await metrics.metrics(), /bttc_rpc_batch_truncated_total 3/);
    },
    metrics,
  );
});
