/** Static peers: a validator that restarts (same key, same address) is redialled with backoff and gossip resumes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricValue, freePort, startNode, P2P_WAIT_MS } from './helpers.ts';
import { sleep, until } from '../helpers/until.ts';
import type { GossipMessage } from '../../src/p2p/interface.ts';

test('static peer reconnects after the peer restarts, and gossip flows again', async () => {
  const port = await freePort();
  const listen = [`/ip4/127.0.0.1/tcp/${port}`];
  let a = await startNode({ listen });
  const keyA = a.key;
  const idA = a.net.peerId;
  const b = await startNode({ staticPeers: [a.net.listenAddrs()[0]!], reconnect: { baseMs: 100, maxMs: 800 } });
  const got: GossipMessage[] = [];
  b.net.subscribe('bttc-block', (m) => {
    got.push(m);
    return 'accept';
  });
  const events: string[] = [];
  b.net.on('peer:connect', (e) => e.peerId === idA && events.push('connect'));
  b.net.on('peer:disconnect', (e) => e.peerId === idA && events.push('disconnect'));
  try {
    await until('B connects to A', P2P_WAIT_MS, () => b.net.connectedPeers().includes(idA), 50);

    await a.net.close();
    await until('B sees A go', P2P_WAIT_MS, () => !b.net.connectedPeers().includes(idA), 50);
    // A stays down long enough for several redials to fail.
    await sleep(1500);
    const redialsWhileDown = (await b.net.stats()).redials;
    assert.ok(redialsWhileDown >= 2, `B kept redialling while A was down (${redialsWhileDown})`);

    a = await startNode({ listen, privateKey: keyA });
    assert.equal(a.net.peerId, idA, 'same key, same peer id');
    await until('B reconnects to restarted A', 10_000, () => b.net.connectedPeers().includes(idA), 50);
    assert.deepEqual(events.slice(-2), ['disconnect', 'connect']);

    a.net.subscribe('bttc-block', () => 'accept');
    // Publish until the mesh has re-formed on the new connection.
    await until(
      'a block from restarted A reaches B',
      10_000,
      async () => {
        if (got.length === 0) await a.net.publish('bttc-block', new TextEncoder().encode(`block-after-restart-${Date.now()}`));
        return got.length > 0;
      },
      300,
    );
    assert.equal(got[0]!.from, idA);
    await until('redials counted in metrics', P2P_WAIT_MS, async () => (await metricValue(b.metrics, 'bttc_p2p_redials_total')) >= 2, 50);
    assert.equal(await metricValue(b.metrics, 'bttc_p2p_peers'), 1);
  } finally {
    await Promise.all([a.net.close(), b.net.close()]);
  }
});

test('a static peer address without /p2p/<id> is refused at start, naming the address', async () => {
  await assert.rejects(startNode({ staticPeers: ['/ip4/127.0.0.1/tcp/1'] }), /static peer \/ip4\/127\.0\.0\.1\/tcp\/1: the address must end in \/p2p\/<peer id>/);
});
