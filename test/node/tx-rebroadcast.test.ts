import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { TxRebroadcaster } from '../../src/node/txRebroadcast.ts';

/** A pool whose executable list the test sets, best first. */
function pool(hashes: string[] = []) {
  const p = { hashes, pending: () => p.hashes.map((h) => ({ hashHex: h, raw: new TextEncoder().encode(h) })) };
  return p;
}
const text = (raws: Uint8Array[]) => raws.map((r) => new TextDecoder().decode(r));

test('a transaction is re-announced only after a full round in the pool without inclusion', async () => {
  const p = pool(['a', 'b']);
  const published: string[][] = [];
  const metrics = new Registry();
  const r = new TxRebroadcaster({ intervalMs: 1000, maxPerRound: 10 }, { pool: p, publish: (raws) => published.push(text(raws)), metrics });
  assert.equal(r.round(), 0, 'first sight: just arrived, gossip carried it');
  p.hashes = ['a', 'b', 'c'];
  assert.equal(r.round(), 2);
  assert.deepEqual(published, [['a', 'b']]);
  p.hashes = ['c']; // a and b were included
  assert.equal(r.round(), 1);
  assert.deepEqual(published[1], ['c']);
  p.hashes = [];
  assert.equal(r.round(), 0);
  p.hashes = ['c']; // back after a round away (a reorg): counts as new again
  assert.equal(r.round(), 0);
  assert.equal(published.length, 2, 'nothing published on empty rounds');
  assert.match(await metrics.getSingleMetricAsString('bttc_txpool_rebroadcast_total'), /bttc_txpool_rebroadcast_total 3/);
});

test('a round announces at most maxPerRound, best first, and looks at no more than maxScan', () => {
  const p = pool(Array.from({ length: 50 }, (_, i) => `t${i}`));
  const published: string[][] = [];
  const r = new TxRebroadcaster({ intervalMs: 1000, maxPerRound: 5, maxScan: 20 }, { pool: p, publish: (raws) => published.push(text(raws)) });
  r.round();
  assert.equal(r.round(), 5);
  assert.deepEqual(published[0], ['t0', 't1', 't2', 't3', 't4']);
  // Only the best 20 were remembered: t20.. are first seen when they reach the top.
  p.hashes = p.hashes.slice(18);
  assert.equal(r.round(), 2);
  assert.deepEqual(published[1], ['t18', 't19']);
});

test('start runs rounds on the interval until stopped; bad options are refused', async () => {
  const p = pool(['x']);
  let rounds = 0;
  const r = new TxRebroadcaster({ intervalMs: 20, maxPerRound: 1 }, { pool: p, publish: () => rounds++ });
  r.start();
  await new Promise((res) => setTimeout(res, 150));
  r.stop();
  const after = rounds;
  assert.ok(after >= 2, `re-announced ${after} times in 150 ms at a 20 ms interval`);
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(rounds, after, 'no rounds after stop');
  assert.throws(() => new TxRebroadcaster({ intervalMs: 0, maxPerRound: 1 }, { pool: p, publish: () => {} }), /must be positive/);
});
