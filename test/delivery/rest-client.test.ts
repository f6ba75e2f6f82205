/**
 * The Delivery REST client Bttc reads through (src/delivery-rest-client): against our real
 * DeliveryRestServer it gives Bttc exactly what the in-process path gives (every span, the state
 * syncs) and picks up a span committed after it opened; against a scripted server it applies the
 * checks BTTC's Bttc client applies (bor_chain_id as a string, ids contiguous from last + 1,
 * record_time before to-time), pages by 50 as Bor does, and retries a failed request then names it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { nextSpanSeedRoute } from '../../src/delivery/modules/span/rest.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { DeliveryRestClient, DeliveryRestError } from '../../src/delivery-rest-client/client.ts';
import { RestSpanSource } from '../../src/delivery-rest-client/spans.ts';
import { RestStateSyncSource } from '../../src/delivery-rest-client/state-syncs.ts';
import { SpanCache, stateSyncSource } from '../../src/node/adapters.ts';
import { parseNodeFile } from '../../src/node/config.ts';
import { until } from '../helpers/until.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, spanSeed, type NodeHandle } from './helpers.ts';

const config = devConfig();
const CHAIN_ID = config.bttc.chainId;

describe('Delivery REST client against our Delivery REST server', () => {
  let nodes: NodeHandle[] = [];
  let server: DeliveryRestServer;
  let base = '';
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const root = new FakeRoot();
  const step = async () => {
    clock.t += 2000;
    await deliverEvents(nodes, root);
    await decideHeight(nodes, config.delivery.chainId);
  };

  before(async () => {
    const keys = Array.from({ length: 4 }, (_, i) => key(i, 33));
    nodes = await Promise.all(keys.map((k) => openNode(k, genesisOf(keys), { clock, submitters: new Map([[ROOT_CHAIN_ID, new FakeSubmitter(root)]]) })));
    for (const n of nodes) n.bttc.latest = 40;
    for (let i = 0; i < 60; i++) root.stateSynced('0x' + (i % 2 ? '12' : '34').repeat(20), '0x' + i.toString(16).padStart(4, '0'));
    for (let i = 0; i < 30 && nodes[0]!.app.lastSpanId < 1; i++) await step();
    for (let i = 0; i < 4; i++) await step();
    server = new DeliveryRestServer({}, { app: nodes[0]!.app, routes: [nextSpanSeedRoute(nodes[0]!.app.queries.span, spanSeed)] });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });

  after(async () => {
    await server?.close();
    for (const n of nodes) await closeNode(n);
  });

  it('spans: the same records as the in-process cache, and one committed later arrives by polling', async () => {
    const app = nodes[0]!.app;
    const client = new DeliveryRestClient({ baseUrl: base });
    const spans = await RestSpanSource.open(client, { chainId: CHAIN_ID, pollMs: 50 });
    try {
      const inProcess = await SpanCache.load(app);
      assert.ok(app.lastSpanId >= 1);
      assert.equal(spans.lastId, app.lastSpanId);
      for (let id = 0; id <= app.lastSpanId; id++) assert.deepEqual(spans.spanById(id), inProcess.spanById(id), `span ${id}`);
      // Bttc enters span 1: Delivery commits span 2, the REST source picks it up.
      for (const n of nodes) n.bttc.latest = 70;
      for (let i = 0; i < 10 && app.lastSpanId < 2; i++) await step();
      assert.equal(app.lastSpanId, 2);
      await until('span 2 over REST', 10_000, () => spans.spanById(2), 20);
      assert.deepEqual(spans.spanById(2), inProcess.spanById(2));
    } finally {
      await spans.close();
      client.close();
    }
  });

  it('state syncs: the same records as the in-process source, across pages of 50', async () => {
    const app = nodes[0]!.app;
    const metrics = new Registry();
    const client = new DeliveryRestClient({ baseUrl: base }, { metrics });
    const src = new RestStateSyncSource(client, { chainId: CHAIN_ID });
    const passed = BigInt(Math.ceil(app.time / 1000) - 1);
    const rest = await src.recordsFrom(1n, passed);
    assert.equal(rest.length, 60, 'all 60 records, in two pages');
    assert.deepEqual(rest, await stateSyncSource(app, CHAIN_ID).recordsFrom(1n, passed));
    assert.deepEqual(
      (await src.recordsFrom(59n, passed)).map((r) => r.id),
      [59n, 60n],
    );
    assert.deepEqual(await src.recordsFrom(61n, passed), []);
    assert.match(await metrics.metrics(), /bttc_delivery_rest_client_requests_total\{path="clerk\/event-record\/list",outcome="200"\} 4/, 'two pages, then one request each');
    // A to-time Delivery has not passed yet: Delivery refuses (500), the client retries, then names it.
    const impatient = new RestStateSyncSource(new DeliveryRestClient({ baseUrl: base, attempts: 2, retryDelayMs: 10 }), { chainId: CHAIN_ID });
    await assert.rejects(
      impatient.recordsFrom(1n, passed + 3600n),
      (err: DeliveryRestError) => err instanceof DeliveryRestError && err.status === 500 && /latest block time is before toTime/.test(err.message),
    );
  });
});

/** A Delivery REST stand-in answering from a script, counting requests by path and query. */
class ScriptedDelivery {
  readonly requests: string[] = [];
  answer: (path: string, q: URLSearchParams) => { status: number; body: string } = () => ({ status: 404, body: '404 page not found\n' });
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      this.requests.push(u.pathname + u.search);
      const a = this.answer(u.pathname, u.searchParams);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const SIGNER = '0x' + 'ab'.repeat(20);
const validator = (id: number, accum: string) =>
  `{"ID":${id},"startEpoch":0,"endEpoch":0,"nonce":1,"power":1,"pubKey":"0x${'00'.repeat(65)}","signer":"${SIGNER}","last_updated":"","jailed":false,"accum":${accum}}`;
const spanBody = (id: number, chainId: string, accum = '0') =>
  `{"height":"9","result":{"span_id":${id},"start_block":${id === 0 ? 0 : 256 + (id - 1) * 6400},"end_block":${255 + id * 6400},"validator_set":{"validators":[${validator(1, accum)}],"proposer":${validator(1, accum)}},"selected_producers":[${validator(1, accum)}],"bor_chain_id":"${chainId}"}}`;
const record = (id: number, time: string, chainId = '199') =>
  `{"id":${id},"contract":"0x${'12'.repeat(20)}","data":"0x01","tx_hash":"","log_index":3,"bor_chain_id":"${chainId}","record_time":"${time}","root_chain_type":"tron"}`;

describe("Delivery REST client: the checks BTTC's Bttc client makes", () => {
  const d = new ScriptedDelivery();
  before(() => d.start());
  after(() => d.stop());

  it('a span whose bor_chain_id is not ours (as a string) is refused; int64 accum survives', async () => {
    d.answer = (path) => {
      const id = Number(path.split('/').pop());
      if (path === '/bor/latest-span') return { status: 200, body: spanBody(1, '1029') };
      return { status: 200, body: spanBody(id, '199', '-9223372036854775808') };
    };
    const metrics = new Registry();
    const spans = await RestSpanSource.open(new DeliveryRestClient({ baseUrl: d.url }, { metrics }), { chainId: 199, pollMs: 60_000 });
    try {
      assert.ok(spans.spanById(0), 'span 0 (chain id "199") is taken');
      assert.equal(spans.spanById(0)!.producers[0]!.id, 1n);
      assert.equal(spans.spanById(1), undefined, 'span 1 says chain "1029": refused, so Bttc stops before committing it');
      assert.match(await metrics.metrics(), /bttc_delivery_rest_client_rejected_total\{reason="span-chain-id"\} 1/);
    } finally {
      await spans.close();
    }
  });

  it('records: taken while contiguous from last + 1, of our chain, before to-time; pages of 50', async () => {
    const to = 1_700_000_100n;
    const before = '2023-11-14T22:14:00.5Z'; // 1700000040.5 s
    const src = (chainId = 199) => new RestStateSyncSource(new DeliveryRestClient({ baseUrl: d.url }), { chainId });
    const list = (recs: string[]) => ({ status: 200, body: `{"height":"0","result":[${recs.join(',')}]}` });

    d.answer = () => list([record(5, before), record(6, before), record(8, before)]);
    assert.deepEqual(
      (await src().recordsFrom(5n, to)).map((r) => r.id),
      [5n, 6n],
      'a gap (7 missing) ends the list',
    );

    d.answer = () => list([record(5, before), record(6, before, '1029')]);
    assert.deepEqual(
      (await src().recordsFrom(5n, to)).map((r) => r.id),
      [5n],
      'another chain id ends the list',
    );

    d.answer = () => list([record(5, before), record(6, '2023-11-14T22:15:00Z')]); // 1700000100 = to
    assert.deepEqual(
      (await src().recordsFrom(5n, to)).map((r) => r.id),
      [5n],
      'record_time must be strictly before to-time',
    );

    d.answer = () => list([record(6, before), record(5, before)]);
    const two = await src().recordsFrom(5n, to);
    assert.deepEqual(
      two.map((r) => r.id),
      [5n, 6n],
      'sorted by id, as Bor sorts',
    );
    assert.equal(two[0]!.time, 1_700_000_040n);
    assert.deepEqual([...two[0]!.txHash], new Array(32).fill(0), 'an empty tx_hash is the zero hash');
    assert.equal(two[0]!.chainId, '199');

    // Bor asks again from from-id + 50 while a page is full.
    d.requests.length = 0;
    d.answer = (_p, q) => {
      const from = Number(q.get('from-id'));
      const n = from === 1 ? 50 : 7;
      return list(Array.from({ length: n }, (_, i) => record(from + i, before)));
    };
    assert.equal((await src().recordsFrom(1n, to)).length, 57);
    assert.deepEqual(d.requests, [`/clerk/event-record/list?from-id=1&to-time=${to}&limit=50`, `/clerk/event-record/list?from-id=51&to-time=${to}&limit=50`]);
  });

  it('a failed request is retried, then named with its URL and status', async () => {
    let calls = 0;
    d.answer = () => (++calls < 2 ? { status: 500, body: '{"error":"busy"}' } : { status: 200, body: '{"height":"0","result":[]}' });
    const client = new DeliveryRestClient({ baseUrl: d.url, attempts: 3, retryDelayMs: 10 });
    assert.deepEqual(await new RestStateSyncSource(client, { chainId: 199 }).recordsFrom(1n, 10n), []);
    assert.equal(calls, 2, 'the second try answered');
    d.answer = () => ({ status: 503, body: 'down' });
    await assert.rejects(client.getWithRetry('bor/span/3'), (err: DeliveryRestError) => err.status === 503 && err.message.includes(`${d.url}/bor/span/3`) && err.message.includes('HTTP 503'));
    d.answer = () => ({ status: 200, body: '{"result":{}}' });
    await assert.rejects(client.get('bor/latest-span'), /not a Delivery answer: .*height/);
    const dead = new DeliveryRestClient({ baseUrl: 'http://127.0.0.1:1', attempts: 1 });
    await assert.rejects(dead.get('bor/latest-span'), (err: DeliveryRestError) => err.status === 0 && err.message.startsWith('GET http://127.0.0.1:1/bor/latest-span'));
  });
});

describe('node.delivery.restUrl', () => {
  const file = (delivery?: unknown) => ({ preset: 'devnet', node: { dataDir: './d', genesis: './g.json', ...(delivery === undefined ? {} : { delivery }) } });
  it("defaults to null (this node's own Delivery, in process); takes an http(s) URL; refuses anything else, naming the field", () => {
    assert.equal(parseNodeFile(file(), 'n.json').node.delivery.restUrl, null);
    assert.equal(parseNodeFile(file({ restUrl: 'http://127.0.0.1:1317' }), 'n.json').node.delivery.restUrl, 'http://127.0.0.1:1317');
    assert.equal(parseNodeFile(file({ restUrl: null }), 'n.json').node.delivery.restUrl, null);
    assert.throws(() => parseNodeFile(file({ restUrl: 'ftp://x' }), 'n.json'), /node\.delivery\.restUrl/);
    assert.throws(() => parseNodeFile(file({ restURL: 'http://x' }), 'n.json'), /node\.delivery\.restURL/);
  });
});
