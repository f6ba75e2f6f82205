/**
 * A peer that connects hears our pool at once (after a short debounce), not after two rebroadcast
 * intervals: the restarted node's, or the transaction it took while it had no peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { TxRebroadcaster } from '../../src/node/txRebroadcast.ts';
import { sleep } from '../helpers/until.ts';
import { metricValue } from '../p2p/helpers.ts';

function peers(connected: string[] = []) {
  const e = new EventEmitter() as EventEmitter & { connected: string[]; connectedPeers(): string[] };
  e.connected = connected;
  e.connectedPeers = () => e.connected;
  return e;
}

const pool = (hashes: string[]) => ({ pending: () => hashes.map((h) => ({ hashHex: h, raw: new TextEncoder().encode(h) })) });

test('a new peer gets the best pending transactions once its debounce has passed; a burst of connections costs one announcement', async () => {
  const p = peers();
  const published: string[][] = [];
  const metrics = new Registry();
  const r = new TxRebroadcaster(
    { intervalMs: 60_000, maxPerRound: 2, connectDebounceMs: 50 },
    { pool: pool(['a', 'b', 'c']), publish: (raws) => published.push(raws.map((x) => new TextDecoder().decode(x))), peers: p, metrics },
  );
  r.start();
  try {
    assert.equal(published.length, 0, 'no peers at start: nothing to announce');
    p.emit('peer:connect', { peerId: 'p1' });
    p.emit('peer:connect', { peerId: 'p2' });
    assert.equal(published.length, 0, 'debounced');
    await sleep(150);
    assert.deepEqual(published, [['a', 'b']], 'the best maxPerRound, even though no round has passed');
    assert.equal(await metricValue(metrics, 'bttc_txpool_announced_on_connect_total'), 2);
    p.emit('peer:connect', { peerId: 'p3' });
    await sleep(150);
    assert.equal(published.length, 2, 'a later connection announces again');
  } finally {
    r.stop();
  }
  p.emit('peer:connect', { peerId: 'p4' });
  await sleep(150);
  assert.equal(published.length, 2, 'stopped: no longer listening');
  assert.equal(p.listenerCount('peer:connect'), 0);
});

test('peers connected before the rebroadcaster started hear the pool too', async () => {
  const published: number[] = [];
  const r = new TxRebroadcaster({ intervalMs: 60_000, maxPerRound: 10, connectDebounceMs: 20 }, { pool: pool(['a']), publish: (raws) => published.push(raws.length), peers: peers(['early']) });
  r.start();
  await sleep(100);
  r.stop();
  assert.deepEqual(published, [1]);
});
