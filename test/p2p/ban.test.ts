/**
 * A peer that keeps sending junk is cut off after a few dozen messages, not hundreds: rejects lower
 * its gossip score (P4) below the graylist threshold, the node disconnects it, counts and logs the
 * ban, and refuses it until the ban expires. The scoring weights make "a few dozen" true per topic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricValue, startNode, P2P_WAIT_MS } from './helpers.ts';
import { sleep, until } from '../helpers/until.ts';
import { BanList } from '../../src/p2p/core/bans.ts';
import { INVALID_MESSAGE_WEIGHT, SCORE_THRESHOLDS, topicScoreParams } from '../../src/p2p/core/scoring.ts';
import { GOSSIP_KINDS } from '../../src/p2p/topics.ts';

test('scoring: a few dozen invalid messages on any one topic take a peer below the graylist threshold', () => {
  for (const kind of GOSSIP_KINDS) {
    const w = topicScoreParams(kind).topicWeight!;
    // P4 = weight × count² × topicWeight; the positive terms are capped (topicScoreCap 50) and negligible.
    const n = Math.ceil(Math.sqrt((SCORE_THRESHOLDS.graylistThreshold - 50) / (INVALID_MESSAGE_WEIGHT * w)));
    assert.ok(n >= 5 && n <= 40, `${kind}: ${n} invalid messages to reach the graylist`);
  }
});

test('ban list: refuses until expiry, extends, counts live bans', () => {
  let now = 1000;
  const b = new BanList({ now: () => now });
  assert.equal(b.ban('p', 500, 'gossip-score'), true);
  assert.equal(b.ban('p', 100, 'gossip-score'), false, 'a shorter ban does not shorten it');
  assert.ok(b.isBanned('p'));
  assert.equal(b.size, 1);
  now += 499;
  assert.ok(b.isBanned('p'));
  now += 1;
  assert.ok(!b.isBanned('p'), 'expired');
  assert.equal(b.size, 0);
  assert.equal(b.ban('p', 10, 'gossip-score'), true, 'banned again after expiry');
});

test('a junk sender is disconnected after a few dozen messages and refused while banned', async () => {
  const a = await startNode({ banSeconds: 60 });
  const h = await startNode();
  let junkSeen = 0;
  a.net.subscribe('delivery-vote', (m) => {
    if (new TextDecoder().decode(m.data).startsWith('junk')) {
      junkSeen++;
      return 'reject';
    }
    return 'accept';
  });
  try {
    const addrA = a.net.listenAddrs()[0]!;
    await h.net.dial(addrA);
    await until('H connected to A', P2P_WAIT_MS, () => a.net.connectedPeers().includes(h.net.peerId), 50);
    // Until A's subscription has reached H, H's publishes go nowhere: send one good message until it arrives.
    let hello = 0;
    await until(
      'a first message from H reaches A',
      P2P_WAIT_MS,
      async () => {
        await h.net.publish('delivery-vote', new TextEncoder().encode(`hello-${hello++}`));
        return (await metricValue(a.metrics, 'bttc_p2p_gossip_validation_total', { kind: 'delivery-vote', result: 'accept' })) > 0;
      },
      100,
    );

    // A sustained junk stream: 300 distinct invalid votes, one every 15 ms.
    let sent = 0;
    for (; sent < 300 && h.net.connectedPeers().includes(a.net.peerId); sent++) {
      await h.net.publish('delivery-vote', new TextEncoder().encode(`junk-${sent}`)).catch(() => undefined);
      await sleep(15);
    }
    await until('A disconnects H', P2P_WAIT_MS, () => !a.net.connectedPeers().includes(h.net.peerId) && !h.net.connectedPeers().includes(a.net.peerId), 50);
    assert.ok(junkSeen >= 10 && junkSeen <= 60, `A validated ${junkSeen} junk messages before cutting H off (sent ${sent})`);
    await until('the ban counted', P2P_WAIT_MS, async () => (await metricValue(a.metrics, 'bttc_p2p_peers_banned_total', { reason: 'gossip-score' })) === 1, 50);
    assert.equal(await metricValue(a.metrics, 'bttc_p2p_banned_peers'), 1);

    // Refused while banned: H's dial fails or its connection does not survive.
    await h.net.dial(addrA).catch(() => undefined);
    await sleep(1000);
    assert.ok(!a.net.connectedPeers().includes(h.net.peerId), 'A refuses H during its ban');
    assert.ok(!h.net.connectedPeers().includes(a.net.peerId));
    const before = junkSeen;
    await h.net.publish('delivery-vote', new TextEncoder().encode('junk-after-ban')).catch(() => undefined);
    await sleep(300);
    assert.equal(junkSeen, before, 'nothing from H reaches A');
  } finally {
    await Promise.all([a.net.close(), h.net.close()]);
  }
});
