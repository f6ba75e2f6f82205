/**
 * `audit span` logic over a fake Delivery REST serving BTTC-shaped JSON: the mainnet case (every
 * eligible validator produces, no seed), a draw reproduced from the shared vector's seed (given, or
 * read from a seed chain's block k), a tampered producer list, and what it cannot audit.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeliveryRest } from '../../src/audit/delivery-rest.ts';
import { HttpEndpoint } from '../../src/audit/http.ts';
import { AuditError } from '../../src/audit/interface.ts';
import { JsonRpcEndpoint } from '../../src/audit/json-rpc.ts';
import { evmBlockHash } from '../../src/audit/root-chain.ts';
import { auditSpan } from '../../src/audit/span.ts';
import { vectors } from '../helpers/vectors.ts';
import { deadUrl, startFakeBttcRpc, startFakeRest } from './fakes.ts';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')) as { height: string; result: Record<string, unknown> };
const mainnet = fixture('bttc-span-mainnet.json');
const draw = fixture('bttc-span-draw.json');
const SEED = vectors.producerSelection.cases[0]!.seed;
const PARAMS = { height: '52713', result: { sprint_duration: 64, span_duration: 6400, producer_count: 11 } };
const noSleep = { sleep: async () => {} };

async function rest(routes: [string, [number, unknown]][]) {
  const srv = await startFakeRest(new Map(routes));
  after(() => srv.close());
  return { srv, client: new DeliveryRest(new HttpEndpoint(srv.url, { flag: '--delivery-rest', attempts: 2 }, noSleep)) };
}

describe('audit span', () => {
  it('mainnet case: 7 eligible for 11 slots, all produce with their own power; producer count from bor/params; no seed', async () => {
    const { srv, client } = await rest([
      ['/bor/span/0', [200, mainnet]],
      ['/bor/params', [200, PARAMS]],
    ]);
    const r = await auditSpan({ spanId: 0 }, { rest: client });
    assert.equal(r.match, true);
    assert.equal(r.seed, null);
    assert.equal(r.span, 0);
    assert.deepEqual(
      r.recomputed.map((p) => p.id),
      [6, 3, 7, 2, 1, 4, 5],
    );
    assert.ok(r.recomputed.every((p) => p.power === 1));
    assert.deepEqual(r.producers, r.recomputed);
    assert.deepEqual(srv.paths.sort(), ['/bor/params', '/bor/span/0']);
  });

  it('a draw: reproduces the shared vector from the seed, leaving out the unstaking validator', async () => {
    const { client } = await rest([['/bor/span/7', [200, draw]]]);
    const r = await auditSpan({ spanId: 7, seed: SEED, producerCount: 4 }, { rest: client });
    assert.equal(r.match, true, JSON.stringify(r));
    assert.equal(r.seed, SEED);
    // Vector: draws 2,4,4,1 → id 4 twice; sorted by signer (id 4 = 0x22…, 1 = 0x44…, 2 = 0x55…).
    assert.deepEqual(r.recomputed, [
      { id: 4, signer: '0x' + '22'.repeat(20), power: 2 },
      { id: 1, signer: '0x' + '44'.repeat(20), power: 1 },
      { id: 2, signer: '0x' + '55'.repeat(20), power: 1 },
    ]);
  });

  it("a draw: the seed read from the seed chain's block k (BTTC: Ethereum block k for span k)", async () => {
    const { client } = await rest([['/bor/span/7', [200, draw]]]);
    const eth = await startFakeBttcRpc({ chainId: 1 });
    after(() => eth.close());
    eth.tamper.set(7, { hash: SEED });
    const rpc = new JsonRpcEndpoint(new HttpEndpoint(eth.url, { flag: '--root-rpc' }, noSleep));
    const r = await auditSpan({ spanId: 7, producerCount: 4 }, { rest: client, seedSource: (id) => evmBlockHash(rpc, id) });
    assert.equal(r.match, true);
    assert.equal(r.seed, SEED);
    // Another block's hash draws differently: the claimed producers no longer match.
    const wrong = await auditSpan({ spanId: 7, producerCount: 4 }, { rest: client, seedSource: (id) => evmBlockHash(rpc, id + 1) });
    assert.equal(wrong.match, false);
  });

  it('a tampered producer list does not match', async () => {
    const tampered = structuredClone(mainnet);
    const sel = tampered.result.selected_producers as Record<string, unknown>[];
    sel[3]!.power = 5;
    const { client } = await rest([['/bor/span/0', [200, tampered]]]);
    const r = await auditSpan({ spanId: 0, producerCount: 11 }, { rest: client });
    assert.equal(r.match, false);
    assert.equal(r.producers[3]!.power, 5);
    assert.equal(r.recomputed[3]!.power, 1);
    const dropped = structuredClone(draw);
    (dropped.result.selected_producers as unknown[]).pop();
    const { client: c2 } = await rest([['/bor/span/7', [200, dropped]]]);
    assert.equal((await auditSpan({ spanId: 7, seed: SEED, producerCount: 4 }, { rest: c2 })).match, false);
  });

  it('says what it needs when it cannot audit', async () => {
    const { client, srv } = await rest([
      ['/bor/span/7', [200, draw]],
      ['/bor/span/9', [200, draw]],
      ['/bor/span/10', [500, { error: '{"codespace":"bor","code":1500,"message":"span not found for id"}' }]],
    ]);
    await assert.rejects(auditSpan({ spanId: 7 }, { rest: client }), (e: Error) => e instanceof AuditError && /bor\/params is not served.*--producer-count/.test(e.message));
    await assert.rejects(
      auditSpan({ spanId: 7, producerCount: 4 }, { rest: client }),
      (e: Error) => e instanceof AuditError && /5 eligible validators for 4 producer slots.*--seed 0x… or --root-rpc URL/.test(e.message),
    );
    await assert.rejects(auditSpan({ spanId: 8, producerCount: 4 }, { rest: client }), (e: Error) => e instanceof AuditError && e.message.includes(`--delivery-rest ${srv.url}/bor/span/8: no span 8`));
    await assert.rejects(auditSpan({ spanId: 9, producerCount: 4, seed: SEED }, { rest: client }), /answered span 7 for span 9/);
    // BTTC answers an unknown span with HTTP 500 "span not found for id": not retried, named.
    const asked = srv.paths.length;
    await assert.rejects(auditSpan({ spanId: 10, producerCount: 4 }, { rest: client }), (e: Error) => e instanceof AuditError && e.message === `--delivery-rest ${srv.url}/bor/span/10: no span 10`);
    assert.equal(srv.paths.length, asked + 1, 'asked once');
    await assert.rejects(auditSpan({ spanId: 7, producerCount: 4, seed: '0x1234' }, { rest: client }), /--seed: expected a 32-byte 0x-hex block hash/);
    const dead = await deadUrl();
    const down = new DeliveryRest(new HttpEndpoint(dead, { flag: '--delivery-rest', attempts: 2 }, noSleep));
    await assert.rejects(
      auditSpan({ spanId: 1, producerCount: 11 }, { rest: down }),
      (e: Error) => e instanceof AuditError && e.message === `--delivery-rest ${dead}/bor/span/1: cannot connect: ECONNREFUSED (2 attempts)`,
    );
  });
});
