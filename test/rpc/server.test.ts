import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer, metricsRoute, jsonRoute } from '../../src/rpc/server.ts';
import { RpcError, invalidParams } from '../../src/rpc/errors.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';

test('a registry others extend, served over http and ws, with mounted REST and /metrics routes and limits', async () => {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const registry = new MethodRegistry({ metrics });
  registry.register('bor_echo', (params) => {
    if (typeof params[0] !== 'string') throw invalidParams('invalid argument 0: expected a string');
    return params[0];
  });
  registry.register('bor_boom', () => {
    throw new Error('kaput');
  });
  registry.register('bor_custom', () => {
    throw new RpcError(-32099, 'custom failure', { detail: 1 });
  });
  assert.throws(() => registry.register('bor_echo', () => 1), /already registered/);
  assert.deepEqual(registry.names(), ['bor_boom', 'bor_custom', 'bor_echo']);

  const server = new RpcServer({ port: 0, maxBodyBytes: 10_000, maxBatch: 3, cors: '*' }, { registry, metrics });
  server.route('GET', '/metrics', metricsRoute(metrics));
  server.route(
    'GET',
    '/status',
    jsonRoute((_req, url) => ({ ok: true, q: url.searchParams.get('q'), big: 2n ** 70n })),
  );
  const { url, wsUrl, host } = await server.start();
  assert.equal(host, '127.0.0.1', 'loopback by default');
  const post = async (body: string) => {
    const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> & { error?: { code: number; message: string; data?: unknown } } };
  };
  try {
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_echo', params: ['hi'] }))).json.result, 'hi');
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_echo', params: [1] }))).json.error!.code, -32602);
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_echo', params: { a: 1 } }))).json.error!.code, -32602);
    const boom = (await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_boom' }))).json;
    assert.deepEqual(boom.error, { code: -32603, message: 'kaput' });
    assert.deepEqual((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_custom' }))).json.error, { code: -32099, message: 'custom failure', data: { detail: 1 } });
    const big = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bor_echo', params: ['x'.repeat(20_000)] }));
    assert.equal(big.status, 413);
    assert.equal(big.json.error!.code, -32005);
    const batch = await post(JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'bor_echo', params: ['a'] }))));
    assert.equal(batch.json.error!.code, -32005);

    const status = await fetch(`${url}/status?q=7`);
    assert.equal(status.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await status.json(), { ok: true, q: '7', big: (2n ** 70n).toString() });
    const get = await fetch(url);
    assert.equal(get.status, 405);
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /bttc_rpc_requests_total\{method="bor_echo"\} 2/);
    assert.match(text, /bttc_rpc_errors_total\{method="bor_boom",code="-32603"\} 1/);

    const ws = new WebSocket(wsUrl);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'bor_echo', params: ['over ws'] },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
      ]),
    );
    const out = JSON.parse(await reply) as { id: string; result?: string; error?: { code: number } }[];
    assert.equal(out[0]!.result, 'over ws');
    assert.equal(out[1]!.error!.code, -32601);
    const parseReply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send('{oops');
    assert.equal((JSON.parse(await parseReply) as { error: { code: number } }).error.code, -32700);
    ws.close();
    // Per-method children are cached: counts and latencies still land on the right label.
    const after = await (await fetch(`${url}/metrics`)).text();
    assert.match(after, /bttc_rpc_requests_total\{method="bor_echo"\} 3/);
    assert.match(after, /bttc_rpc_request_seconds_count\{method="bor_echo"\} 3/);
    assert.match(after, /bttc_rpc_requests_total\{method="unknown"\} 1/);
    assert.match(after, /bttc_rpc_errors_total\{method="unknown",code="-32601"\} 1/);
  } finally {
    await server.close();
  }
});
