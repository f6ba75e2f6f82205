/** Redial policy, with a fake dialer (the real redial over sockets is in peers.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerKeeper, peerIdOfAddr } from '../../src/p2p/core/peers.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { sleep } from '../helpers/until.ts';

const addr = (id: string) => `/ip4/127.0.0.1/tcp/1/p2p/${id}`;

function harness(opts: { staticPeers?: string[]; bootstrap?: string[]; minPeers?: number }) {
  const connected = new Set<string>();
  const dials: string[] = [];
  let reachable = new Set<string>();
  const keeper = new PeerKeeper(
    { staticPeers: (opts.staticPeers ?? []).map(addr), bootstrap: (opts.bootstrap ?? []).map(addr), minPeers: opts.minPeers ?? 1, baseMs: 20, maxMs: 80 },
    {
      dial: async (a) => {
        const id = peerIdOfAddr(a)!;
        dials.push(id);
        if (!reachable.has(id)) throw new Error('connection refused');
        connected.add(id);
        keeper.onConnect(id);
      },
      connectedCount: () => connected.size,
      isConnected: (id) => connected.has(id),
      logger: silentLogger(),
    },
  );
  return { keeper, connected, dials, setReachable: (ids: string[]) => (reachable = new Set(ids)), drop: (id: string) => (connected.delete(id), keeper.onDisconnect(id)) };
}

test('static peer: redialled with growing, capped backoff until it answers; again after every drop', async () => {
  const h = harness({ staticPeers: ['S'] });
  h.keeper.start();
  await sleep(400);
  const failed = h.dials.length;
  // 20, 40, 80, 80, 80… ms (×0.5–1 jitter): at most 14 attempts in 400 ms; at least 3 even when
  // a loaded machine delays timers. Without the backoff it would be hundreds.
  assert.ok(failed >= 3 && failed <= 14, `${failed} dials in 400 ms`);
  h.setReachable(['S']);
  await sleep(200);
  assert.ok(h.connected.has('S'));
  const afterConnect = h.dials.length;
  await sleep(150);
  assert.equal(h.dials.length, afterConnect, 'no dials while connected');
  h.drop('S');
  await sleep(150);
  assert.ok(h.connected.has('S'), 'redialled after the drop (backoff reset to the base)');
  h.keeper.stop();
});

test('bootstrap peer: dialled while below minPeers, left alone once enough peers are connected', async () => {
  const h = harness({ bootstrap: ['B1', 'B2'], staticPeers: ['S'], minPeers: 1 });
  h.setReachable(['S']);
  h.keeper.start();
  await sleep(200);
  assert.ok(h.connected.has('S'));
  const bootDials = h.dials.filter((d) => d !== 'S').length;
  assert.ok(bootDials <= 2, `bootstrap dialled at most once each (${bootDials}) once minPeers was reached`);
  h.setReachable(['B1']);
  h.drop('S');
  h.setReachable(['B1']);
  await sleep(300);
  assert.ok(h.connected.has('B1'), 'below minPeers again: bootstrap redialled');
  h.keeper.stop();
  const n = h.dials.length;
  await sleep(150);
  assert.equal(h.dials.length, n, 'stop() cancels pending redials');
});

test('peer id is taken from the address', () => {
  assert.equal(peerIdOfAddr('/ip4/1.2.3.4/tcp/5/p2p/12D3KooWabc'), '12D3KooWabc');
  assert.equal(peerIdOfAddr('/ip4/1.2.3.4/tcp/5'), null);
  assert.throws(
    () =>
      new PeerKeeper(
        { staticPeers: ['/ip4/1.2.3.4/tcp/5'], bootstrap: [], minPeers: 1, baseMs: 1, maxMs: 1 },
        { dial: async () => {}, connectedCount: () => 0, isConnected: () => false, logger: silentLogger() },
      ),
    /static peer \/ip4\/1\.2\.3\.4\/tcp\/5: the address must end in \/p2p\/<peer id>/,
  );
});
