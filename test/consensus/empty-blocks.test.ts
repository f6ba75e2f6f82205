/**
 * The empty-block interval (CometBFT's create_empty_blocks_interval) on the simulated network: an idle
 * network decides one height per interval, all in round 0 (the other validators' propose timeout
 * leaves the proposer that long); work is proposed at once; a silent proposer still costs only one
 * round; lossy networks stay safe and live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, reach } from './sim-helpers.ts';
import type { SimCluster } from '../../src/delivery/consensus/sim/cluster.ts';

const INTERVAL = 5000;
const COMMIT = 500;

/** Node 0's decisions: virtual time (from the cluster's commit events, in order) and round. */
function decisions(c: SimCluster, node = 0): { height: number; round: number; at: number }[] {
  return c.commitEvents.filter((e) => e.node === node).map((e) => ({ height: e.height, round: e.round, at: e.at }));
}

test('idle: one height per empty-block interval, every one in round 0; without the interval, one per commit pause', async () => {
  const idle = await cluster({ validators: 4, seed: 1, timeouts: { commit: COMMIT }, emptyBlockIntervalMs: INTERVAL });
  await idle.runFor(60_000);
  const d = decisions(idle);
  await idle.stop();
  idle.assertSafety();
  // Height 1 waits too; then each height: the commit pause + the interval + a few network hops.
  assert.ok(d.length >= 9 && d.length <= 11, `heights decided in 60 s with a 5 s interval: ${d.length}`);
  for (const x of d) assert.equal(x.round, 0, `height ${x.height} needed round ${x.round}: a propose timeout fired before the proposer's interval ended`);
  for (let i = 1; i < d.length; i++) {
    const gap = d[i]!.at - d[i - 1]!.at;
    assert.ok(gap >= COMMIT + INTERVAL && gap <= COMMIT + INTERVAL + 400, `gap before height ${d[i]!.height}: ${gap} ms`);
  }

  const busy = await cluster({ validators: 4, seed: 1, timeouts: { commit: COMMIT } });
  await busy.runFor(60_000);
  const n = decisions(busy).length;
  await busy.stop();
  assert.ok(n >= 60, `heights decided in 60 s with no interval: ${n}`);
});

test('a transaction is proposed at once, not at the end of the interval', async () => {
  const c = await cluster({ validators: 4, seed: 2, timeouts: { commit: COMMIT }, emptyBlockIntervalMs: INTERVAL });
  await reach(c, 3, 60_000, 'idle heights');
  // Mid-wait: 1.5 s into the next height's interval.
  await c.runFor(COMMIT + 1500);
  const before = c.nodes[0]!.app.lastHeight;
  const t = c.clock.now();
  for (const n of c.nodes) n.app.pendingTxs = 1;
  await c.runUntil(() => c.minHeight() > before, 10_000);
  const decided = c.commitEvents.find((e) => e.node === 0 && e.height === before + 1)!;
  await c.stop();
  c.assertSafety();
  // One poll (≤ 200 ms) and three network hops of ≤ 50 ms, far from the 3.5 s left of the interval.
  assert.ok(decided.at - t <= 400, `the height with the transaction was decided ${decided.at - t} ms after it arrived`);
  assert.equal(decided.round, 0);
});

test('a silent proposer costs one round after interval + propose timeout, and heights go on', async () => {
  // 4 validators, one silent (f = 1): its round-0 turns end in round 1.
  const c = await cluster({ validators: 4, seed: 3, timeouts: { commit: COMMIT }, emptyBlockIntervalMs: INTERVAL, byzantine: { 2: 'silent' } });
  await reach(c, 8, 200_000, 'with a silent validator');
  const d = decisions(c);
  await c.stop();
  assert.ok(
    d.some((x) => x.round === 1),
    `the silent validator's turns should end in round 1: ${d.map((x) => `${x.height}:r${x.round}`).join(' ')}`,
  );
  assert.ok(
    d.every((x) => x.round <= 1),
    `no height needs more than one extra round: ${d.map((x) => `${x.height}:r${x.round}`).join(' ')}`,
  );
});

test('lossy networks (1–200 ms, 10% drops) stay safe and live with the interval (4 and 7 validators, 3 seeds)', async () => {
  for (const n of [4, 7])
    for (const seed of [1, 2, 3]) {
      const c = await cluster({ validators: n, seed, timeouts: { commit: COMMIT }, emptyBlockIntervalMs: INTERVAL, network: { minDelayMs: 1, maxDelayMs: 200, dropRate: 0.1 } });
      await reach(c, 6, 200_000, `${n} validators, seed ${seed}`);
      await c.stop();
    }
});
