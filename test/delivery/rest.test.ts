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
// biome-ignore lint/suspicious/noExplicitAny: response bodies of every path's shape, read field by field in the tests
async function get(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, init);
  assert.equal(res.headers.get('content-type'), 'application/json', path);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 21));
  const genesis = genesisOf(keys);
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
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
  it("checkpoints: per root chain in the path (Delivery), the staking chain at Heimdall's paths, count, buffer", async () => {
    const latest = await get('/checkpoints/latest/eth');
    assert.equal(latest.status, 200);
    assert.equal(latest.body.height, String(nodes[0]!.app.height));
    assert.equal(latest.body.result.id, 1);
    assert.equal(latest.body.result.start_block, 0);
    assert.equal(latest.body.result.end_block, 31);
    assert.equal(latest.body.result.bor_chain_id, String(config.bttc.chainId));
    assert.deepEqual((await get('/checkpoints/eth/1')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/latest')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/count')).body.result, { result: 1 });
    assert.deepEqual((await get('/checkpoints/count/eth')).body.result, { result: 1 });
    assert.deepEqual((await get('/checkpoints/1')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/1?root-chain=ethereum')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/1?root-chain=2')).body.result, latest.body.result);
    assert.deepEqual((await get('/checkpoints/ethereum/1')).body.result, latest.body.result, 'a configured name in place of eth');
    // Nothing approved since the ack: Delivery answers the empty buffer with its keeper error.
    const buffer = await get('/checkpoints/buffer/eth');
    assert.equal(buffer.status, 500);
    assert.deepEqual(JSON.parse(buffer.body.error), { codespace: '1', code: 1511, message: 'Checkpoint buffer not found' });
  });

  it('spans and validators', async () => {
    const s0 = await get('/bor/span/0');
    assert.equal(s0.status, 200);
    assert.equal(s0.body.result.span_id, 0);
    assert.equal(s0.body.result.bor_chain_id, String(config.bttc.chainId));
    const latest = await get('/bor/latest-span');
    assert.equal(latest.body.result.span_id, nodes[0]!.app.lastSpanId);
    assert.ok(latest.body.result.span_id >= 1);
    const set = await get('/staking/validator-set');
    assert.equal(set.body.result.validators.length, 4);
    assert.deepEqual((await get('/staking/totalpower')).body.result, { result: 4 });
    const v = await get('/staking/validator/3');
    assert.equal(v.body.result.ID, 3);
    assert.equal(v.body.result.signer, set.body.result.validators.find((x: { ID: number }) => x.ID === 3).signer);
    assert.equal((await get(`/staking/signer/${v.body.result.signer}`)).body.result.ID, 3);
    assert.equal((await get('/staking/current-proposer')).body.result.signer, nodes[0]!.app.checkpointProposer());
  });

  it('clerk event records: from-id with to-time and limit, pages, by id', async () => {
    // A to-time Delivery has passed (its last block is later).
    const now = Math.ceil(nodes[0]!.app.time / 1000) - 1;
    const all = await get(`/clerk/event-record/list?from-id=1&to-time=${now}&limit=10`);
    assert.deepEqual(
      all.body.result.map((r: { id: number; data: string }) => [r.id, r.data]),
      [
        [1, '0xdeadbeef'],
        [2, '0xbeef'],
      ],
    );
    const one = await get(`/clerk/event-record/list?from-id=2&to-time=${now}&limit=1`);
    assert.deepEqual(
      one.body.result.map((r: { id: number }) => r.id),
      [2],
    );
    const recordTime = Date.parse(all.body.result[0].record_time) / 1000;
    const none = await get(`/clerk/event-record/list?from-id=1&to-time=${recordTime}`);
    assert.deepEqual(none.body.result, []);
    // Without from-id and to-time: every record, page by page; a limit above 50 is cut to 50.
    assert.deepEqual(
      (await get('/clerk/event-record/list?limit=5000')).body.result.map((r: { id: number }) => r.id),
      [1, 2],
    );
    assert.deepEqual((await get(`/clerk/event-record/list?from-id=0&to-time=${now}`)).body.result, []);
    const two = await get('/clerk/event-record/2');
    assert.equal(two.body.result.id, 2);
    assert.equal(two.body.result.root_chain_type, 'eth');
  });

  it('errors: the status and {"error"} body Delivery\'s handlers give', async () => {
    const cases: [string, number, RegExp][] = [
      ['/checkpoints/7', 400, /could not fetch checkpoint by index 7 eth; Invalid checkpoint Index/],
      ['/checkpoints/abc', 400, /^'abc' is not a valid uint64$/],
      ['/checkpoints/latest?root-chain=bsc', 400, /root-chain "bsc" is not a configured root chain/],
      ['/checkpoints/latest/tron', 400, /root chain "tron" is not a configured root chain/],
      ['/bor/span/99', 500, /could not get span; span not found for id/],
      ['/bor/span/-1', 400, /^'-1' is not a valid uint64$/],
      ['/staking/validator/42', 400, /No validator found/],
      ['/staking/validator/x', 400, /^'x' is not a valid uint64$/],
      ['/clerk/event-record/list?from-id=1&to-time=soon', 400, /^'soon' is not a valid int64$/],
      ['/clerk/event-record/list?from-id=1&to-time=99999999999', 500, /latest block time is before toTime/],
      ['/clerk/event-record/77', 400, /No record found/],
      ['/bor/latest-span?height=x', 400, /strconv.ParseInt: parsing "x": invalid syntax/],
      ['/bor/latest-span?height=-1', 400, /height must be equal or greater than zero/],
      ['/bor/latest-span?height=1', 400, /serves the committed height/],
    ];
    for (const [path, status, re] of cases) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.match(r.body.error, re, path);
    }
    // Unknown paths and other methods: Go's mux answers, not a handler.
    for (const path of ['/nope', '/bor/span/1/']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(await res.text(), '404 page not found\n');
    }
    for (const method of ['POST', 'HEAD']) {
      const res = await fetch(base + '/checkpoints/latest', { method });
      assert.equal(res.status, 405, method);
      assert.equal(await res.text(), '');
    }
    const text = await metrics.metrics();
    assert.match(text, /bttc_delivery_rest_requests_total\{route="checkpoints\/latest",status="200"\}/);
  });
});
