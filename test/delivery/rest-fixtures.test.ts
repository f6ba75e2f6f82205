/**
 * Every Delivery REST path, byte for byte, as BTTC's Delivery would answer it. A devnet-shaped
 * Delivery (4 validators, the devnet preset) is driven to a known state: two state syncs, a third
 * later, one checkpoint acked on the root chain and the next one approved and waiting in the buffer,
 * spans 1 and 2 committed. Each path's answer (status, content type, body including key order) must
 * equal its fixture in fixtures/rest/; independently of those bytes, every answer must fit the Go
 * type BTTC's Delivery marshals for that path (fixtures/rest/delivery-types.ts).
 *
 * After a change that moves the state on purpose (another span timing, another checkpoint), rewrite
 * the fixtures with UPDATE_REST_FIXTURES=1 and review the diff: the shapes are still checked.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { nextSpanSeedRoute } from '../../src/delivery/modules/span/rest.ts';
import { chainManagerParams } from '../../src/delivery/rest/chainmanager.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { goJson } from '../../src/protocol/delivery-rest/go-json.ts';
import * as T from './fixtures/rest/delivery-types.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, spanSeed, type NodeHandle } from './helpers.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'rest');
const UPDATE = process.env.UPDATE_REST_FIXTURES === '1';
/** Between the first two records (genesis + 6 s) and the third (+ 16 s): Bttc's to-time. */
const TO_TIME = GENESIS_TIME / 1000 + 10;
/** After every record, before Delivery's last block (+ 24 s). */
const LATE = GENESIS_TIME / 1000 + 20;

interface Case {
  file: string;
  path: string;
  status: number;
  /** The Go type of `result` (200), or 'error' / 'query-error' (`{"error": …}`, the latter an ABCI log). */
  type: T.Type | 'error' | 'query-error';
}

const SIGNER_2 = key(1, 21).address;

const CASES: Case[] = [
  // bor
  { file: 'bor-span-0', path: '/bor/span/0', status: 200, type: T.Span },
  { file: 'bor-span-2', path: '/bor/span/2', status: 200, type: T.Span },
  { file: 'bor-latest-span', path: '/bor/latest-span', status: 200, type: T.Span },
  { file: 'bor-span-list', path: '/bor/span/list?page=1&limit=2', status: 200, type: T.SpanList },
  { file: 'bor-span-list-page-0', path: '/bor/span/list?page=0&limit=2', status: 200, type: T.SpanList },
  { file: 'bor-params', path: '/bor/params', status: 200, type: T.BorParams },
  { file: 'bor-next-span-seed', path: '/bor/next-span-seed', status: 200, type: T.Hash },
  { file: 'bor-span-unknown', path: '/bor/span/9', status: 500, type: 'query-error' },
  { file: 'bor-span-bad-id', path: '/bor/span/x', status: 400, type: 'error' },
  { file: 'bor-span-list-no-page', path: '/bor/span/list?limit=2', status: 400, type: 'error' },
  // clerk
  { file: 'clerk-event-record-1', path: '/clerk/event-record/1', status: 200, type: T.EventRecord },
  { file: 'clerk-event-record-list', path: `/clerk/event-record/list?from-id=1&to-time=${TO_TIME}&limit=50`, status: 200, type: T.EventRecordList },
  { file: 'clerk-event-record-list-from-2', path: `/clerk/event-record/list?from-id=2&to-time=${LATE}&limit=1`, status: 200, type: T.EventRecordList },
  { file: 'clerk-event-record-list-none', path: `/clerk/event-record/list?from-id=4&to-time=${TO_TIME}&limit=50`, status: 200, type: T.EventRecordList },
  { file: 'clerk-event-record-list-future', path: `/clerk/event-record/list?from-id=1&to-time=${TO_TIME + 86400}&limit=50`, status: 500, type: 'query-error' },
  { file: 'clerk-event-record-list-pages', path: '/clerk/event-record/list?page=1&limit=2', status: 200, type: T.EventRecordList },
  { file: 'clerk-event-record-list-by-time', path: `/clerk/event-record/list?from-time=${TO_TIME}&to-time=${LATE}`, status: 200, type: T.EventRecordList },
  { file: 'clerk-event-record-unknown', path: '/clerk/event-record/77', status: 400, type: 'query-error' },
  { file: 'clerk-event-record-list-bad-to-time', path: '/clerk/event-record/list?from-id=1&to-time=soon', status: 400, type: 'error' },
  // checkpoints, per root chain in the path (devnet: eth)
  { file: 'checkpoints-latest-eth', path: '/checkpoints/latest/eth', status: 200, type: T.CheckpointWithID },
  { file: 'checkpoints-eth-1', path: '/checkpoints/eth/1', status: 200, type: T.CheckpointWithID },
  { file: 'checkpoints-count-eth', path: '/checkpoints/count/eth', status: 200, type: T.UintResult },
  { file: 'checkpoints-buffer-eth', path: '/checkpoints/buffer/eth', status: 200, type: T.Checkpoint },
  { file: 'checkpoints-list-eth', path: '/checkpoints/list?root=eth&page=1&limit=10', status: 200, type: T.CheckpointList },
  { file: 'checkpoints-params', path: '/checkpoints/params', status: 200, type: T.CheckpointParams },
  { file: 'checkpoints-epoch', path: '/checkpoints/epoch', status: 200, type: T.UintResult },
  { file: 'checkpoints-last-no-ack', path: '/checkpoints/last-no-ack', status: 200, type: T.UintResult },
  { file: 'checkpoints-activation-height-eth', path: '/checkpoints/activation-height/eth', status: 200, type: T.UintResult },
  { file: 'checkpoints-eth-2', path: '/checkpoints/eth/2', status: 400, type: 'query-error' },
  { file: 'checkpoints-list-bad-root', path: '/checkpoints/list?root=moon&page=1&limit=10', status: 400, type: 'error' },
  // the staking chain at Heimdall's paths
  { file: 'checkpoints-latest', path: '/checkpoints/latest', status: 200, type: T.CheckpointWithID },
  { file: 'checkpoints-1', path: '/checkpoints/1', status: 200, type: T.CheckpointWithID },
  { file: 'checkpoints-count', path: '/checkpoints/count', status: 200, type: T.UintResult },
  { file: 'checkpoints-buffer', path: '/checkpoints/buffer', status: 200, type: T.Checkpoint },
  // staking
  { file: 'staking-validator-set', path: '/staking/validator-set', status: 200, type: T.ValidatorSet },
  { file: 'staking-validator-1', path: '/staking/validator/1', status: 200, type: T.Validator },
  { file: 'staking-signer', path: `/staking/signer/${SIGNER_2}`, status: 200, type: T.Validator },
  { file: 'staking-validator-status', path: `/staking/validator-status/${SIGNER_2}`, status: 200, type: T.BoolResult },
  { file: 'staking-totalpower', path: '/staking/totalpower', status: 200, type: T.UintResult },
  { file: 'staking-current-proposer', path: '/staking/current-proposer', status: 200, type: T.Validator },
  { file: 'staking-proposer-2', path: '/staking/proposer/2', status: 200, type: T.ValidatorList },
  { file: 'staking-validator-unknown', path: '/staking/validator/42', status: 400, type: 'query-error' },
  { file: 'staking-signer-unknown', path: `/staking/signer/0x${'ab'.repeat(20)}`, status: 400, type: 'query-error' },
  // chainmanager
  { file: 'chainmanager-params', path: '/chainmanager/params', status: 200, type: T.ChainManagerParams },
];

const config = devConfig();
let nodes: NodeHandle[] = [];
let server: DeliveryRestServer;
let base = '';

before(async () => {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 21));
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const root = new FakeRoot();
  const submitter = new FakeSubmitter(root);
  nodes = await Promise.all(keys.map((k) => openNode(k, genesisOf(keys), { clock, submitters: new Map([[ROOT_CHAIN_ID, submitter]]) })));
  const step = async () => {
    clock.t += 2000;
    await deliverEvents(nodes, root);
    await decideHeight(nodes, config.delivery.chainId);
    for (const n of nodes) await n.submission.whenSettled();
  };
  const app = nodes[0]!.app;
  for (const n of nodes) n.bttc.latest = 40;
  root.stateSynced('0x' + '12'.repeat(20), '0xdeadbeef');
  root.stateSynced('0x' + '34'.repeat(20), '0x');
  for (let i = 0; i < 40 && ((app.ackCount() ?? 0) < 1 || app.lastSpanId < 1); i++) await step();
  // The next checkpoint is approved but never lands: it stays in the buffer.
  submitter.land = false;
  for (const n of nodes) n.bttc.latest = 80;
  root.stateSynced('0x' + '12'.repeat(20), '0x01');
  for (let i = 0; i < 40 && (!app.checkpointBuffer() || app.lastSpanId < 2); i++) await step();
  assert.equal(app.ackCount(), 1, 'setup: one checkpoint acked');
  assert.ok(app.checkpointBuffer(), 'setup: the next checkpoint in the buffer');
  assert.equal(app.lastSpanId, 2, 'setup: spans 1 and 2');
  assert.equal((await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 10)).length, 3, 'setup: three records');
  server = new DeliveryRestServer({ rootChainNames: { ethereum: ROOT_CHAIN_ID } }, { app, routes: [nextSpanSeedRoute(app.queries.span, spanSeed)] });
  base = `http://127.0.0.1:${(await server.listen()).port}`;
});

after(async () => {
  await server?.close();
  for (const n of nodes) await closeNode(n);
});

function fixturePath(c: Case): string {
  return join(FIXTURES, `${c.file}.json`);
}

/** Problems of one body against its case: the envelope, then the Go type. */
function shapeProblems(c: Case, body: string): string[] {
  const j = JSON.parse(body) as Record<string, unknown>;
  if (c.type === 'error' || c.type === 'query-error') {
    if (Object.keys(j).join(',') !== 'error' || typeof j.error !== 'string') return ['expected {"error": string}'];
    if (c.type === 'error') return [];
    const log = JSON.parse(j.error) as Record<string, unknown>;
    return Object.keys(log).join(',') === 'codespace,code,message' && typeof log.code === 'number' ? [] : [`ABCI log fields ${Object.keys(log).join(',')}`];
  }
  if (!/^\{"height":"\d+","result":/.test(body) || Object.keys(j).join(',') !== 'height,result') return ['expected the {"height":"N","result":…} envelope'];
  return T.check(j.result, c.type);
}

describe('Delivery REST, as BTTC Delivery answers', () => {
  it('every path answers its fixture byte for byte', async () => {
    const mismatches: string[] = [];
    for (const c of CASES) {
      const res = await fetch(base + c.path);
      const body = await res.text();
      assert.equal(res.status, c.status, `${c.path}: status (${body})`);
      assert.equal(res.headers.get('content-type'), 'application/json', c.path);
      if (UPDATE) writeFileSync(fixturePath(c), body);
      if (body !== readFileSync(fixturePath(c), 'utf8')) mismatches.push(`${c.path}\n  got      ${body}\n  fixture  ${readFileSync(fixturePath(c), 'utf8')}`);
    }
    assert.deepEqual(mismatches, []);
  });

  it('every fixture fits the Go type Delivery marshals for its path', () => {
    for (const c of CASES) assert.deepEqual(shapeProblems(c, readFileSync(fixturePath(c), 'utf8')), [], `${c.file}.json (${c.path})`);
  });

  it('the envelope height: the committed height, "0" where Delivery sets none, the asked one when named', async () => {
    const h = nodes[0]!.app.height;
    assert.ok((await (await fetch(base + '/bor/latest-span')).text()).startsWith(`{"height":"${h}",`));
    assert.ok((await (await fetch(base + '/clerk/event-record/1')).text()).startsWith('{"height":"0",'));
    assert.ok((await (await fetch(base + `/clerk/event-record/1?height=${h}`)).text()).startsWith(`{"height":"${h}",`));
  });

  it('chainmanager/params of the mainnet preset carries BTTC mainnet genesis chain params', () => {
    // app_state.chainmanager.params of BTTC's mainnet Delivery genesis (/work/shared/bttc-genesis).
    const g = (JSON.parse(readFileSync(join(FIXTURES, 'mainnet-genesis-chainmanager.json'), 'utf8')) as { params: { chain_params: Record<string, string> } & Record<string, string> }).params;
    const ours = JSON.parse(goJson(chainManagerParams(loadConfig('mainnet')))) as { chain_params: Record<string, string> } & Record<string, number>;
    // Genesis is amino JSON (uint64 as strings); REST is encoding/json (numbers, HeimdallAddress lower-cased).
    for (const k of ['mainchain_tx_confirmations', 'maticchain_tx_confirmations', 'tronchain_tx_confirmations']) assert.equal(ours[k], Number(g[k]), k);
    for (const [k, v] of Object.entries(g.chain_params)) {
      if (k === 'matic_token_address') continue; // the BTT token address is not in our config (zero address)
      assert.equal(ours.chain_params[k], k.startsWith('tron_') ? v : v.toLowerCase(), k);
    }
    assert.deepEqual(Object.keys(ours.chain_params), Object.keys(g.chain_params), 'Go field order');
    assert.deepEqual(T.check(ours, T.ChainManagerParams), []);
  });
});
