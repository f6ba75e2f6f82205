/**
 * Range sync over real streams: a late node fetches blocks from peers that lie, stall, or are
 * behind, verifies what it gets, penalises the liar and finishes from honest peers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RangeSync } from '../../src/p2p/sync/rangeSync.ts';
import { serveSync } from '../../src/p2p/sync/server.ts';
import { encodeRangeRequest, encodeStatus, decodeStatus } from '../../src/p2p/codec/sync.ts';
import { RequestError } from '../../src/p2p/interface.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { Registry } from 'prom-client';
import { metricValue, scoreOf, startNode, P2P_WAIT_MS, type TestNode } from './helpers.ts';
import { until } from '../helpers/until.ts';

/** A toy chain: item = number u64 ‖ parent hash (32) ‖ body; hash = sha256(item). */
const LENGTH = 300;
const hash = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const chain: Uint8Array[] = [];
const hashes: Uint8Array[] = [new Uint8Array(32)]; // hashes[n] = hash of block n; block 0 is implicit
for (let n = 1; n <= LENGTH; n++) {
  const item = new Uint8Array(8 + 32 + 64);
  new DataView(item.buffer).setBigUint64(0, BigInt(n));
  item.set(hashes[n - 1]!, 8);
  item.fill(n & 0xff, 40);
  chain.push(item);
  hashes.push(hash(item));
}
const range = (start: bigint, count: number, upTo = LENGTH) => chain.slice(Number(start) - 1, Math.min(Number(start) - 1 + count, upTo));

let syncer: TestNode, liar: TestNode, staller: TestNode, behind: TestNode, honest: TestNode;

before(async () => {
  [liar, staller, behind, honest] = await Promise.all([startNode(), startNode(), startNode(), startNode()]);
  serveSync(liar.net, {
    // Serves the right numbers with one parent hash corrupted in every answer.
    bttcBlocksByRange: async (start, count) =>
      range(start, count).map((b, i) => {
        if (i !== 3) return b;
        const bad = b.slice();
        bad[10]! ^= 0xff;
        return bad;
      }),
  });
  serveSync(staller.net, { bttcBlocksByRange: () => new Promise(() => {}) });
  serveSync(behind.net, { bttcBlocksByRange: async (start, count) => range(start, count, 100) });
  serveSync(honest.net, {
    bttcBlocksByRange: async (start, count) => range(start, count),
    deliveryByRange: async (start, count) => range(start, count).map((b) => b.subarray(0, 8)),
    status: async () => ({ genesisHash: new Uint8Array(32).fill(7), bttcHead: BigInt(LENGTH), bttcHeadHash: hashes[LENGTH]!, deliveryHeight: 42n }),
  });
  syncer = await startNode({ staticPeers: [staller, liar, behind, honest].map((n) => n.net.listenAddrs()[0]!), reqresp: { requestTimeoutMs: 800 } });
  await until('syncer connected to all four', P2P_WAIT_MS, () => syncer.net.connectedPeers().length === 4, 50);
});

after(async () => {
  await Promise.all([syncer, liar, staller, behind, honest].map((n) => n.net.close()));
});

test('fetches a range past a staller, a liar and a peer that is behind; the liar is penalised', async () => {
  const metrics = new Registry();
  const sync = new RangeSync({ maxItemsPerRequest: 64, timeoutMs: 800 }, { network: syncer.net, logger: silentLogger(), metrics });
  const stored: Uint8Array[] = [];
  const verify = async (start: bigint, items: Uint8Array[]) => {
    let parent = Number(start) === 1 ? hashes[0]! : hash(stored[Number(start) - 2]!);
    for (const [i, it] of items.entries()) {
      const view = new DataView(it.buffer, it.byteOffset, it.byteLength);
      if (it.length !== 104 || view.getBigUint64(0) !== start + BigInt(i)) return { ok: false as const, reason: `item ${i}: wrong number or size` };
      if (!Buffer.from(it.subarray(8, 40)).equals(parent)) return { ok: false as const, reason: `block ${start + BigInt(i)}: parent hash mismatch` };
      parent = hash(it);
    }
    stored.push(...items.map((x) => x.slice()));
    return { ok: true as const };
  };
  const order = [staller, liar, behind, honest].map((n) => n.net.peerId);
  const r = await sync.fetchRange({ method: 'bttc-blocks-by-range', from: 1n, to: BigInt(LENGTH), verify, peers: order });

  assert.equal(r.fetched, LENGTH);
  assert.equal(stored.length, LENGTH);
  for (let i = 0; i < LENGTH; i++) assert.deepEqual(stored[i], chain[i], `block ${i + 1}`);
  assert.deepEqual(r.penalised, [liar.net.peerId], 'only the liar is penalised');
  assert.ok(r.servedBy.includes(behind.net.peerId) && r.servedBy.includes(honest.net.peerId));
  assert.ok(!r.servedBy.includes(liar.net.peerId));
  assert.ok(
    r.failures.some((f) => f.peer === staller.net.peerId && /no complete answer within|timeout/i.test(f.reason)),
    'the staller timed out',
  );
  assert.ok(r.failures.some((f) => f.peer === behind.net.peerId && f.reason === 'peer has none of the range'));
  assert.ok(r.failures.some((f) => f.peer === liar.net.peerId && /parent hash mismatch/.test(f.reason)));
  // The liar was asked once only (banned for the rest of this fetch).
  assert.equal(r.failures.filter((f) => f.peer === liar.net.peerId).length, 1);

  await until("liar's score at the syncer drops below zero", P2P_WAIT_MS, async () => ((await scoreOf(syncer.net, liar.net.peerId)) ?? 0) < 0, 50);
  assert.ok(((await scoreOf(syncer.net, honest.net.peerId)) ?? -1) >= 0, 'honest peer not penalised');
  assert.equal(await metricValue(metrics, 'bttc_p2p_sync_items_total', { method: 'bttc-blocks-by-range' }), LENGTH);
  assert.ok((await metricValue(metrics, 'bttc_p2p_sync_failures_total', { reason: 'invalid' })) === 1);
  await until(
    'timeouts counted by the worker',
    P2P_WAIT_MS,
    async () => (await metricValue(syncer.metrics, 'bttc_p2p_requests_total', { method: 'bttc-blocks-by-range', direction: 'out', result: 'timeout' })) >= 1,
    50,
  );
});

test('server limits: count clamped to maxItems, malformed request answered with an error', async () => {
  const items = await syncer.net.request(honest.net.peerId, 'bttc-blocks-by-range', encodeRangeRequest({ start: 1n, count: 100_000 }));
  assert.equal(items.length, 128);
  await assert.rejects(
    syncer.net.request(honest.net.peerId, 'bttc-blocks-by-range', new Uint8Array([1, 2, 3])),
    (e: unknown) => e instanceof RequestError && e.code === 'remote' && /bad request: range request/.test(e.message),
  );
  await assert.rejects(
    syncer.net.request(liar.net.peerId, 'status', new Uint8Array(0)),
    (e: unknown) => e instanceof RequestError && ['protocol', 'dial'].includes(e.code),
    'a peer that does not serve a method refuses the protocol',
  );
});

test('delivery blocks/commits by range and status from a peer', async () => {
  const sync = new RangeSync({ maxItemsPerRequest: 16 }, { network: syncer.net, logger: silentLogger(), metrics: null });
  const got: Uint8Array[] = [];
  const r = await sync.fetchRange({
    method: 'delivery-by-range',
    from: 5n,
    to: 40n,
    peers: [honest.net.peerId],
    verify: async (start, items) => {
      got.push(...items);
      return items.every((it, i) => new DataView(it.buffer, it.byteOffset).getBigUint64(0) === start + BigInt(i)) ? { ok: true } : { ok: false, reason: 'height' };
    },
  });
  assert.equal(r.fetched, 36);
  assert.equal(r.servedBy.length, 3, '36 items in requests of at most 16');
  const statuses = await sync.peerStatuses();
  assert.equal(statuses.length, 1, 'only the honest peer serves status');
  assert.equal(statuses[0]!.peer, honest.net.peerId);
  assert.equal(statuses[0]!.status.bttcHead, BigInt(LENGTH));
  assert.deepEqual(decodeStatus(encodeStatus(statuses[0]!.status)), { ok: true, value: statuses[0]!.status });
});
