/** Local signals: peers, gossip scores (integers for REST), client versions from identify and the drift from ours. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localSignals } from '../../src/telemetry/local.ts';

test('local signals count client versions and the peers whose version differs from ours', async () => {
  const own = 'bttc-node/v0.1.0/linux-x64/node-v24.21.0';
  const s = await localSignals({
    peers: async () => [
      { peerId: 'a', score: 1.23456, agentVersion: own },
      { peerId: 'b', score: -0.5, agentVersion: 'bttc-node/v0.0.9/linux-x64/node-v24.21.0' },
      { peerId: 'c', score: 0 },
      { peerId: 'd', score: 2, agentVersion: own },
    ],
    ownVersion: own,
    bttcHead: () => ({ number: 42, time: 1_000 }),
    deliveryHeight: () => 7,
    now: () => 1_030_400,
  });
  assert.match(s.scope, /not consensus data/);
  assert.equal(s.peers, 4);
  assert.deepEqual(
    s.gossipScores.map((g) => g.scoreMilli),
    [1235, -500, 0, 2000],
  );
  assert.deepEqual(s.clientVersions, [
    { agentVersion: 'bttc-node/v0.0.9/linux-x64/node-v24.21.0', peers: 1 },
    { agentVersion: own, peers: 2 },
  ]);
  assert.equal(s.versionDrift, 1, 'peer b runs another version; c has not been identified yet');
  assert.deepEqual([s.bttcHead, s.bttcHeadAgeSeconds, s.deliveryHeight], [42, 30, 7]);
});

test('a failing peer list is reported as no peers, not as an error page', async () => {
  const s = await localSignals({ peers: () => Promise.reject(new Error('worker gone')), ownVersion: 'x', bttcHead: () => ({ number: 0, time: 0 }), deliveryHeight: () => 0, now: () => 0 });
  assert.deepEqual([s.peers, s.clientVersions, s.versionDrift], [0, [], 0]);
});
