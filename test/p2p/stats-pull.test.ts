/**
 * The network worker's counters reach the main thread's metrics when they are scraped, not on a
 * timer: an idle node posts nothing for them (no wake-up of the main thread every second), and a
 * scrape right after a message arrived already counts it. Two real nodes in worker threads on
 * 127.0.0.1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidationResult } from '../../src/p2p/interface.ts';
import { metricValue, startNode, P2P_WAIT_MS, type TestNode } from './helpers.ts';
import { sleep, until } from '../helpers/until.ts';

const nodes: TestNode[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.net.close()));
});

test('worker counters: none posted while nobody scrapes; a scrape pulls them, fresh', async () => {
  // statsIntervalMs undefined: the node default (the test helper pushes every 200 ms otherwise).
  const a = await startNode({ statsIntervalMs: undefined });
  nodes.push(a);
  const b = await startNode({ statsIntervalMs: undefined, staticPeers: [a.net.listenAddrs()[0]!] });
  nodes.push(b);
  const got: Uint8Array[] = [];
  b.net.subscribe('delivery-vote', async (m): Promise<ValidationResult> => {
    got.push(m.data);
    return 'accept';
  });
  a.net.subscribe('delivery-vote', async (): Promise<ValidationResult> => 'accept');
  await until('connected', P2P_WAIT_MS, () => a.net.connectedPeers().length === 1 && b.net.connectedPeers().length === 1, 50);
  // Idle for well over the old 1 s push period: no counters were posted to either main thread.
  await sleep(2500);
  assert.equal(a.net.lastStats(), null, 'A posted no counters while idle');
  assert.equal(b.net.lastStats(), null, 'B posted no counters while idle');
  // Mesh formed; publish until B has one (the first may precede the graft).
  await until(
    'B receives a vote',
    P2P_WAIT_MS,
    async () => {
      if (got.length === 0) await a.net.publish('delivery-vote', new TextEncoder().encode(`vote-${Date.now()}`));
      return got.length > 0;
    },
    200,
  );
  // A scrape pulls the worker's counters at once: no waiting for a push.
  const received = await metricValue(b.metrics, 'bttc_p2p_gossip_received_total', { kind: 'delivery-vote' });
  assert.ok(received >= 1, `B's received counter after one scrape: ${received}`);
  assert.equal(await metricValue(b.metrics, 'bttc_p2p_peers'), 1);
  assert.ok((await metricValue(a.metrics, 'bttc_p2p_gossip_published_total', { kind: 'delivery-vote' })) >= 1);
  assert.ok(b.net.lastStats() !== null, 'the pulled counters are kept');
  // Counters stay monotonic over repeated scrapes (increments from cumulative snapshots).
  const again = await metricValue(b.metrics, 'bttc_p2p_gossip_received_total', { kind: 'delivery-vote' });
  assert.ok(again >= received);
  // A closed network's metrics keep their last values; a scrape does not hang or throw.
  await b.net.close();
  nodes.splice(nodes.indexOf(b), 1);
  assert.equal(await metricValue(b.metrics, 'bttc_p2p_gossip_received_total', { kind: 'delivery-vote' }), again);
});
