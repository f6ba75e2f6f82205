/** POST routes on Delivery's REST server over real HTTP: JSON body in, the handler's answer or a named error out. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpError } from '../../src/delivery/rest/http-error.ts';
import type { RestRoute, RestSource } from '../../src/delivery/rest/interface.ts';
import { RestRouter } from '../../src/delivery/rest/router.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { devConfig } from './helpers.ts';

const config = devConfig();
const seen: unknown[] = [];
const routes: RestRoute[] = [
  {
    path: '/things',
    method: 'POST',
    handle(req) {
      seen.push(req.body);
      const b = req.body as { name?: unknown };
      if (typeof b?.name !== 'string') throw new HttpError(400, 'name: expected a string');
      return { accepted: b.name };
    },
  },
  { path: '/things', handle: () => ({ count: seen.length }) },
  { path: '/only-get', handle: () => 'ok' },
];
// The server's view of Delivery: a committed height and its routes (the app is not what is tested here).
const source: RestSource = { height: 7, time: 0, config, stakingChainId: config.rootChains[0]!.id, rootChainIds: () => config.rootChains.map((c) => c.id), routes: () => routes };
let server: DeliveryRestServer;
let base = '';

before(async () => {
  server = new DeliveryRestServer({ maxBodyBytes: 100 }, { app: source });
  const addr = await server.listen();
  base = `http://127.0.0.1:${addr.port}`;
});
after(() => server.close());

const post = (path: string, body: string, type = 'application/json') => fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body });

describe('delivery REST POST', () => {
  it('hands the parsed JSON body to the POST route; GET on the same path still answers', async () => {
    const r = await post('/things', '{"name":"x"}');
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { height: '7', result: { accepted: 'x' } });
    assert.deepEqual(seen.at(-1), { name: 'x' });
    const g = await fetch(base + '/things');
    assert.deepEqual(await g.json(), { height: '7', result: { count: 1 } });
  });

  it('refuses bad bodies with a JSON error naming the cause, before the handler', async () => {
    const before = seen.length;
    const cases: [Response, number, RegExp][] = [
      [await post('/things', '{"name":'), 400, /request body is not JSON/],
      [await post('/things', ''), 400, /request body is empty/],
      [await post('/things', '{"name":"x"}', 'text/plain'), 415, /content-type must be application\/json/],
      [await post('/things', JSON.stringify({ name: 'y'.repeat(200) })), 413, /exceeds 100 bytes/],
    ];
    for (const [res, status, re] of cases) {
      assert.equal(res.status, status);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.match(((await res.json()) as { error: string }).error, re);
    }
    assert.equal(seen.length, before, 'no handler ran');
    const h = await post('/things', '{"name":3}');
    assert.equal(h.status, 400);
    assert.deepEqual(await h.json(), { error: 'name: expected a string' });
  });

  it('a path without a route for the method is 405; an unknown path 404', async () => {
    const r = await post('/only-get', '{}');
    assert.equal(r.status, 405);
    assert.equal(await r.text(), '');
    assert.equal((await post('/nope', '{}')).status, 404);
  });

  it('the router refuses two routes of one method and shape, not a GET and a POST', () => {
    assert.throws(
      () =>
        new RestRouter([
          { path: '/a/:x', method: 'POST', handle: () => 1 },
          { path: '/a/:y', method: 'POST', handle: () => 1 },
        ]),
      /POST \/a\/:y would shadow \/a\/:x/,
    );
    assert.doesNotThrow(
      () =>
        new RestRouter([
          { path: '/a/:x', method: 'POST', handle: () => 1 },
          { path: '/a/:y', handle: () => 1 },
        ]),
    );
  });
});
