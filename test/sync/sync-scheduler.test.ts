/**
 * The sync tick's rule with fakes for the transport and the layers: a peer one block ahead is left to
 * gossip, two ahead is fetched, and one ahead is fetched once our head stood still for a whole tick.
 * The Bttc range sync is the real one; only what it would fetch is recorded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.ts';
import { BttcRangeSync } from '../../src/sync/bttc-range-sync.ts';
import { DeliveryRangeSync } from '../../src/sync/delivery-range-sync.ts';
import { SyncScheduler } from '../../src/sync/sync-scheduler.ts';
import type { DeliverySync, PeerStatus, RangeFetcher } from '../../src/sync/interface.ts';
import type { FetchRangeOptions, FetchRangeResult } from '../../src/p2p/sync/rangeSync.ts';

const GENESIS = new Uint8Array(32).fill(7);
const OTHER_GENESIS = new Uint8Array(32).fill(9);

function peer(name: string, bttcHead: bigint, opts: { deliveryHeight?: bigint; genesis?: Uint8Array } = {}): PeerStatus {
  return { peer: name, status: { genesisHash: opts.genesis ?? GENESIS, bttcHead, bttcHeadHash: new Uint8Array(32), deliveryHeight: opts.deliveryHeight ?? 0n } };
}

function setup(ourHead: bigint, peers: PeerStatus[], movingEvery = 1) {
  const head = { number: ourHead };
  const fetches: FetchRangeOptions[] = [];
  let statusRounds = 0;
  const rangeSync: RangeFetcher = {
    peerStatuses: async () => {
      statusRounds++;
      return peers;
    },
    fetchRange: async (o): Promise<FetchRangeResult> => {
      fetches.push(o);
      return { fetched: 0, servedBy: [], failures: [], penalised: [] };
    },
  };
  const chain = { head: () => head, genesisHash: () => GENESIS };
  const delivery: DeliverySync = { run: async () => false, syncedBlocks: 0 };
  const logger = silentLogger();
  const bttc = new BttcRangeSync({ chain, layer: { importBlock: async () => assert.fail('nothing is fetched in these tests') }, rangeSync, logger });
  const scheduler = new SyncScheduler({ intervalMs: 60_000, movingEvery }, { peers: { connectedPeers: () => peers.map((p) => p.peer) }, rangeSync, chain, bttc, delivery, logger });
  return { head, fetches, scheduler, statusRounds: () => statusRounds };
}

test('a tick leaves a peer one block ahead to gossip', async () => {
  const { fetches, scheduler } = setup(100n, [peer('a', 101n)]);
  await scheduler.tick();
  assert.equal(fetches.length, 0);
});

test('a tick syncs from a peer two blocks ahead, starting a few blocks back', async () => {
  const { fetches, scheduler } = setup(100n, [peer('a', 101n), peer('b', 102n)]);
  await scheduler.tick();
  assert.equal(fetches.length, 1);
  assert.equal(fetches[0]!.method, 'bttc-blocks-by-range');
  assert.equal(fetches[0]!.from, 93n);
  assert.equal(fetches[0]!.to, 102n);
  assert.deepEqual(fetches[0]!.peers, ['b']);
});

test('a tick syncs at one block ahead once our head has not moved since the previous tick', async () => {
  const { head, fetches, scheduler } = setup(100n, [peer('a', 101n)]);
  await scheduler.tick();
  assert.equal(fetches.length, 0, 'first tick: the head has not been seen before');
  await scheduler.tick();
  assert.equal(fetches.length, 1, 'second tick: stalled at 100');
  assert.deepEqual(fetches[0]!.peers, ['a']);
  head.number = 101n;
  await scheduler.tick();
  assert.equal(fetches.length, 1, 'the head moved: the peer is level with us');
});

test('a moving head keeps the two-ahead rule', async () => {
  const peers = [peer('a', 101n)];
  const { head, fetches, scheduler } = setup(100n, peers);
  await scheduler.tick();
  head.number = 101n;
  peers[0] = peer('a', 102n);
  await scheduler.tick();
  assert.equal(fetches.length, 0);
});

test('peers on another network are never synced from', async () => {
  const { fetches, scheduler } = setup(100n, [peer('x', 500n, { genesis: OTHER_GENESIS })]);
  await scheduler.tick();
  await scheduler.tick();
  await scheduler.sync();
  assert.equal(fetches.length, 0);
});

test('an explicit sync (start, unknown parent) takes a peer one block ahead', async () => {
  const { fetches, scheduler } = setup(100n, [peer('a', 101n)]);
  await scheduler.sync(['a']);
  assert.equal(fetches.length, 1);
});

test('one round at a time: a request during a round joins it', async () => {
  const { fetches, scheduler } = setup(100n, [peer('a', 110n)]);
  const [p1, p2] = [scheduler.sync(), scheduler.sync()];
  assert.equal(p1, p2);
  await p1;
  assert.equal(fetches.length, 1);
});

test('a Delivery gap wider than the lag pauses consensus, is fetched, and consensus restarts', async () => {
  const calls: string[] = [];
  let height = 10;
  const peers = [peer('a', 0n, { deliveryHeight: 20n })];
  const rangeSync: RangeFetcher = {
    peerStatuses: async () => peers,
    fetchRange: async (o) => {
      calls.push(`fetch ${o.from}..${o.to}`);
      const items = Array.from({ length: Number(o.to - o.from) + 1 }, () => new Uint8Array(1));
      const v = await o.verify(o.from, items, 'a');
      assert.deepEqual(v, { ok: true });
      return { fetched: items.length, servedBy: ['a'], failures: [], penalised: [] };
    },
  };
  const app = {
    get height() {
      return height;
    },
    whenCommitsSettled: async () => void calls.push('settled'),
    applySynced: async () => {
      height++;
      return null;
    },
  };
  const consensus = { stop: async () => void calls.push('stop'), restart: async () => void calls.push(`restart at ${height + 1}`) };
  const d = new DeliveryRangeSync({ lag: 4 }, { app, consensus, rangeSync, peers: { connectedPeers: () => ['a'] }, genesisHash: () => GENESIS, logger: silentLogger() });
  assert.equal(await d.run(peers), true);
  assert.deepEqual(calls, ['stop', 'settled', 'fetch 11..20', 'settled', 'restart at 21']);
  assert.equal(d.syncedBlocks, 10);
  // Within the lag: consensus' own catch-up is left to it.
  peers[0] = peer('a', 0n, { deliveryHeight: 24n });
  calls.length = 0;
  assert.equal(await d.run(peers), false);
  assert.deepEqual(calls, []);
});

test('while the head moves, only every movingEvery-th tick asks peers; a stall asks at once', async () => {
  const peers = [peer('a', 100n)];
  const { head, fetches, scheduler, statusRounds } = setup(100n, peers, 4);
  await scheduler.tick();
  assert.equal(statusRounds(), 1, 'the first tick always asks');
  for (let i = 1; i <= 3; i++) {
    head.number = 100n + BigInt(i);
    peers[0] = peer('a', head.number + 2n);
    await scheduler.tick();
  }
  assert.equal(statusRounds(), 1, 'three ticks with a moving head ask nobody');
  assert.equal(fetches.length, 0);
  head.number = 104n;
  peers[0] = peer('a', 106n);
  await scheduler.tick();
  assert.equal(statusRounds(), 2, 'the fourth moving tick asks');
  assert.equal(fetches.length, 1, 'and fetches from the peer two ahead');
  await scheduler.tick();
  assert.equal(statusRounds(), 3, 'a stalled head asks on the very next tick');
});
