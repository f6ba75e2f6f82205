/** Static peers: a validator that restarts (same key, same address) is redialled with backoff and gossip resumes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricValue, freePort, startNode, waitFor, sleep } from './helpers.ts';
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
    await waitFor('B connects to A', () => b.net.connectedPeers().includes(idA));

    await a.net.close();
    await waitFor('B sees A go', () => !b.net.connectedPeers().includes(idA));
    // A stays down long enough for several redials to fail.
    await sleep(1500);
    const redialsWhileDown = (await b.net.stats()).redials;
    assert.ok(redialsWhileDown >= 2, `B kept redialling while A was down (${redialsWhileDown})`);

    a = await startNode({ listen, privateKey: keyA });
    assert.equal(a.net.peerId, idA, 'same key, same peer id');
    await waitFor('B reconnects to restarted A', () => b.net.connectedPeers().includes(idA), 10_000);
    assert.deepEqual(events.slice(-2), ['disconnect', 'connect']);

    a.net.subscribe('bttc-block', () => 'accept');
    // Publish until the mesh has re-formed on the new connection.
    await waitFor('a block from restarted A reaches B', async () => {
      if (got.length === 0) await a.net.publish('bttc-block', new TextEncoder().encode(`block-after-restart-${Date.now()}`));
      return got.length > 0;
    }, 10_000, 300);
    assert.equal(got[0]!.from, idA);
    await waitFor('redials counted in metrics', async () => (await metricValue(b.metrics, 'bttc_p2p_redials_total')) >= 2);
    assert.equal(await metricValue(b.metrics, 'bttc_p2p_peers'), 1);
  } finally {
    await Promise.all([a.net.close(), b.net.close()]);
  }
});

test('a static peer address without /p2p/<id> is refused at start, naming the address', async () => {
  await assert.rejects(startNode({ staticPeers: ['/ip4/127.0.0.1/tcp/1'] }), /static peer \/ip4\/127\.0\.0\.1\/tcp\/1: the address must end in \/p2p\/<peer id>/);
});
