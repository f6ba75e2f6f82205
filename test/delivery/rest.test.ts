/** The Delivery REST API over real HTTP on loopback, against a Delivery app with real state. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, type NodeHandle } from './helpers.ts';

const config = devConfig();
let nodes: NodeHandle[] = [];
let server: DeliveryRestServer;
let base = '';
const metrics = new Registry();

// `any`: response bodies are arbitrary JSON, each test checks the fields it needs.
async function get(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, init);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 21));
  const genesis = genesisOf(keys);
  const clock = { t: GENESIS_TIME, now() { return this.t; } };
  const root = new FakeRoot();
  const submitter = new FakeSubmitter(root);
  nodes = await Promise.all(keys.map((k) => openNode(k, genesis, { clock, submitters: new Map([[ROOT_CHAIN_ID, submitter]]) })));
  for (const n of nodes) n.bttc.latest = 40;
  root.stateSynced('0x' + '12'.repeat(20), '0xdeadbeef');
  root.stateSynced('0x' + '12'.repeat(20), '0xbeef');
  for (let i = 0; i < 30 && (nodes[0]!.app.ackCount() ?? 0) < 1; i++) {
    clock.t += 2000;
    await deliverEvents(nodes, root);
    await decideHeight(nodes, config.delivery.chainId);
    for (const n of nodes) await n.submission.whenSettled();
  }
  assert.equal(nodes[0]!.app.ackCount(), 1, 'setup: one checkpoint acked');
  server = new DeliveryRestServer({ rootChainNames: { ethereum: ROOT_CHAIN_ID } }, { app: nodes[0]!.app, metrics });
  const addr = await server.listen();
  assert.equal(addr.address, '127.0.0.1', 'loopback by default');
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await server?.close();
  for (const n of nodes) await closeNode(n);
});

describe('delivery REST', () => {
  it('checkpoints: latest, count, by number, by root-chain name, buffer', async () => {
    const latest = await get('/checkpoints/latest');
    assert.equal(latest.status, 200);
    assert.equal(latest.body.height, String(nodes[0]!.app.height));
    assert.equal(latest.body.result.start, 0);
    assert.equal(latest.body.result.end, 31);
    assert.equal(latest.body.result.headerBlockId, '10000');
    assert.deepEqual((await get('/checkpoints/count')).body.result, { result: 1 });
    assert.deepEqual((await get('/checkpoints/1')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/1?root-chain=ethereum')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/1?root-chain=2')).body.result, latest.body.result);
    assert.equal((await get('/checkpoints/buffer')).status, 200);
  });

  it('spans and validators', async () => {
    const s0 = await get('/bor/span/0');
    assert.equal(s0.status, 200);
    assert.equal(s0.body.result.id, 0);
    const latest = await get('/bor/latest-span');
    assert.equal(latest.body.result.id, nodes[0]!.app.lastSpanId);
    assert.ok(latest.body.result.id >= 1);
    const set = await get('/staking/validator-set');
    assert.equal(set.body.result.validators.length, 4);
    assert.equal(set.body.result.totalVotingPower, '4');
    const v = await get('/staking/validator/3');
    assert.equal(v.body.result.id, 3);
    assert.equal(v.body.result.signer, set.body.result.validators.find((x: { id: number }) => x.id === 3).signer);
    assert.equal((await get('/staking/proposer')).body.result.signer, nodes[0]!.app.checkpointProposer());
  });

  it('clerk event records: list with from-id, to-time, limit; by id', async () => {
    const all = await get('/clerk/event-record/list?from-id=1&limit=10');
    assert.deepEqual(all.body.result.map((r: { id: number; data: string }) => [r.id, r.data]), [[1, '0xdeadbeef'], [2, '0xbeef']]);
    const one = await get('/clerk/event-record/list?from-id=2&to-time=99999999999&limit=1');
    assert.deepEqual(one.body.result.map((r: { id: number }) => r.id), [2]);
    const none = await get(`/clerk/event-record/list?from-id=1&to-time=${all.body.result[0].recordTime}`);
    assert.deepEqual(none.body.result, []);
    assert.equal((await get('/clerk/event-record/2')).body.result.stateId, '2');
  });

  it('404 and 400 with JSON errors naming what is wrong', async () => {
    const cases: [string, number, RegExp][] = [
      ['/nope', 404, /no such path/],
      ['/checkpoints/7', 404, /checkpoint 7 not found/],
      ['/checkpoints/abc', 400, /checkpoint number must be a non-negative integer/],
      ['/checkpoints/latest?root-chain=bsc', 400, /root-chain "bsc" is not a configured root chain/],
      ['/bor/span/99', 404, /span 99 not found/],
      ['/bor/span/-1', 400, /span id/],
      ['/staking/validator/42', 404, /validator 42 not found/],
      ['/staking/validator/x', 400, /validator id/],
      ['/clerk/event-record/list', 400, /from-id is required/],
      ['/clerk/event-record/list?from-id=0', 400, /from-id must be at least 1/],
      ['/clerk/event-record/list?from-id=1&limit=5000', 400, /limit must be at most 1000/],
      ['/clerk/event-record/list?from-id=1&to-time=soon', 400, /to-time must be a non-negative integer/],
      ['/clerk/event-record/77', 404, /event record 77 not found/],
    ];
    for (const [path, status, re] of cases) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.match(r.body.error, re, path);
    }
    const post = await get('/checkpoints/latest', { method: 'POST' });
    assert.equal(post.status, 405);
    const text = await metrics.metrics();
    assert.match(text, /bttc_delivery_rest_requests_total\{route="checkpoints\/latest",status="200"\}/);
  });
});
