/**
 * Whole-network simulations over the in-memory transport on a virtual clock: seeded delays (which
 * reorder), drops and partitions, for 4, 7 and 21 validators. Safety: never two values at one height
 * anywhere. Liveness: heights keep being decided, and resume within a bounded number of rounds once a
 * partition heals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, f, maxRound, reach } from './sim-helpers.ts';
import type { SimCluster } from '../../src/delivery/consensus/sim/cluster.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const LOSSY = { minDelayMs: 1, maxDelayMs: 200, dropRate: 0.1 };

for (const [n, seeds, heights] of [
  [4, [1, 2, 3], 10],
  [7, [1, 2, 3], 8],
  [21, [1], 4],
] as const) {
  test(`${n} validators, delays 1–200 ms, 10% drops: safe and live (seeds ${seeds.join(',')})`, async () => {
    for (const seed of seeds) {
      const c = await cluster({ validators: n, seed, network: LOSSY });
      await reach(c, heights, 60_000, `seed ${seed}`);
      assert.ok(c.network.stats.dropped > 0, 'the network did drop messages');
      await c.stop();
    }
  });
}

test('a run is a pure function of its seed (same commits at the same virtual times)', async () => {
  const trace = async (seed: number) => {
    const c = await cluster({ validators: 4, seed, network: LOSSY });
    await reach(c, 5, 60_000, 'determinism');
    await c.stop();
    return c.commitEvents.map((e) => `${e.node}:${e.height}:${e.round}:${bytesToHex(e.value).slice(0, 20)}@${c.clock.now()}`).join('|');
  };
  assert.equal(await trace(11), await trace(11));
  assert.notEqual(await trace(11), await trace(12));
});

/** Splits ids into groups of the given sizes. */
function groups(c: SimCluster, sizes: number[]): string[][] {
  const ids = c.nodes.map((x) => x.peerId);
  const out: string[][] = [];
  let o = 0;
  for (const s of sizes) {
    out.push(ids.slice(o, o + s));
    o += s;
  }
  return out;
}

for (const [n, seeds] of [
  [4, [1, 2]],
  [7, [1, 2]],
  [21, [1]],
] as const) {
  test(`${n} validators: a split with no 2/3 side decides nothing; after healing, commits resume within 3 rounds`, async () => {
    for (const seed of seeds) {
      const c = await cluster({ validators: n, seed, network: { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 } });
      await reach(c, 2, 60_000, 'before the split');
      await c.runFor(300); // let stragglers settle
      const half = Math.ceil(n / 2);
      c.network.partition(groups(c, [half, n - half]));
      await c.runFor(1000); // in-flight messages land
      const stuckAt = Math.max(...c.nodes.map((x) => x.app.lastHeight));
      await c.runFor(15_000);
      assert.equal(Math.max(...c.nodes.map((x) => x.app.lastHeight)), stuckAt, 'no side of the split can decide');
      const roundAtHeal = maxRound(c);
      c.network.heal();
      const healedAt = c.clock.now();
      await reach(c, stuckAt + 2, 30_000, `seed ${seed} after heal`);
      const first = c.commitEvents.find((e) => e.height === stuckAt + 1)!;
      assert.ok(first.round <= roundAtHeal + 3, `first commit after heal in round ${first.round}, rounds at heal ≤ ${roundAtHeal}`);
      assert.ok(c.clock.now() - healedAt < 30_000);
      await c.stop();
    }
  });
}

for (const n of [4, 7, 21]) {
  test(`${n} validators: an isolated minority of f does not stop the rest, and catches up after healing`, async () => {
    const c = await cluster({ validators: n, seed: 5, network: { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 } });
    await reach(c, 2, 60_000, 'start');
    const k = f(n);
    c.network.partition(groups(c, [k, n - k]));
    const majority = c.nodes.slice(k);
    const target = Math.max(...c.nodes.map((x) => x.app.lastHeight)) + 3;
    assert.ok(await c.runUntil(() => c.minHeight(majority) >= target, 30_000), 'the 2f+1 side keeps deciding');
    c.network.heal();
    await reach(c, target + 1, 30_000, 'minority catches up');
    await c.stop();
  });
}

test('chaos: 7 validators under shifting random partitions, drops and delays stay safe, then live after healing (3 seeds)', async () => {
  for (const seed of [21, 22, 23]) {
    const c = await cluster({ validators: 7, seed, network: { minDelayMs: 1, maxDelayMs: 300, dropRate: 0.15 } });
    const ids = c.nodes.map((x) => x.peerId);
    for (let phase = 0; phase < 12; phase++) {
      const roll = c.prng.next();
      if (roll < 0.3) c.network.heal();
      else {
        // Random assignment to 2 or 3 groups.
        const k = roll < 0.7 ? 2 : 3;
        const gs: string[][] = Array.from({ length: k }, () => []);
        for (const id of ids) gs[c.prng.int(0, k - 1)]!.push(id);
        c.network.partition(gs);
      }
      await c.runFor(c.prng.int(500, 3000));
      c.assertSafety();
    }
    c.network.heal();
    c.network.conditions = { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 };
    const h = Math.max(...c.nodes.map((x) => x.app.lastHeight));
    await reach(c, h + 2, 60_000, `chaos seed ${seed}`);
    await c.stop();
  }
});
