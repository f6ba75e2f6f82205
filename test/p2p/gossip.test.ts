/**
 * Four real nodes, each in its own network worker, on 127.0.0.1 in a ring A–B–C–D–A (static
 * peers): C is not connected to A, so what reaches C from A was validated and forwarded by B or D,
 * and arrives twice (dedup).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GOSSIP_KINDS, type GossipKind } from '../../src/p2p/index.ts';
import type { GossipMessage, ValidationResult } from '../../src/p2p/interface.ts';
import { metricValue, scoreOf, startNode, P2P_WAIT_MS, type TestNode } from './helpers.ts';
import { sleep, until } from '../helpers/until.ts';

const nodes: Record<'A' | 'B' | 'C' | 'D', TestNode> = {} as never;
/** Everything each node's handlers saw, by kind. */
const seen: Record<string, GossipMessage[]> = {};
/** Payloads (as text) that handlers treat as invalid. */
const INVALID = 'invalid-vote';
let gate: PromiseWithResolvers<void> | null = null;

function handlerFor(name: string, kind: GossipKind) {
  return async (m: GossipMessage): Promise<ValidationResult> => {
    (seen[`${name}:${kind}`] ??= []).push(m);
    if (new TextDecoder().decode(m.data) === INVALID) return 'reject';
    if (kind === 'bttc-tx' && name === 'B' && gate) await gate.promise;
    return 'accept';
  };
}

const got = (name: string, kind: GossipKind) => seen[`${name}:${kind}`] ?? [];
const text = (s: string) => new TextEncoder().encode(s);

before(async () => {
  nodes.A = await startNode();
  const a = nodes.A.net.listenAddrs()[0]!;
  nodes.B = await startNode({ staticPeers: [a], kindLimits: { 'bttc-tx': { maxPending: 4096, concurrency: 1 } } });
  nodes.C = await startNode({ staticPeers: [nodes.B.net.listenAddrs()[0]!] });
  nodes.D = await startNode({ staticPeers: [nodes.C.net.listenAddrs()[0]!, a] });
  for (const [name, n] of Object.entries(nodes))
    for (const kind of GOSSIP_KINDS) n.net.subscribe(kind, handlerFor(name, kind), name === 'B' && kind === 'bttc-tx' ? { maxQueue: 2, concurrency: 1 } : {});
  await until('ring connected', P2P_WAIT_MS, () => nodes.A.net.connectedPeers().length === 2 && nodes.C.net.connectedPeers().length === 2 && nodes.B.net.connectedPeers().length === 2, 50);
  assert.ok(!nodes.C.net.connectedPeers().includes(nodes.A.net.peerId), 'C must not be connected to A');
  // Mesh: every node must have its neighbours grafted on every topic before publishing.
  await sleep(1500);
});

after(async () => {
  await Promise.all(Object.values(nodes).map((n) => n.net.close()));
});

test('every topic: published on A, received by B, C and D once each, payload intact', async () => {
  for (const kind of GOSSIP_KINDS) {
    const payload = text(`${kind}-payload-${'x'.repeat(180)}`);
    const r = await nodes.A.net.publish(kind, payload);
    assert.ok(r.recipients >= 1, `${kind}: sent to ${r.recipients} peers`);
  }
  for (const name of ['B', 'C', 'D'] as const) {
    for (const kind of GOSSIP_KINDS) {
      await until(`${name} gets ${kind}`, P2P_WAIT_MS, () => got(name, kind).length >= 1, 50);
      const m = got(name, kind)[0]!;
      assert.equal(new TextDecoder().decode(m.data), `${kind}-payload-${'x'.repeat(180)}`);
      assert.equal(m.kind, kind);
      assert.match(m.msgId, /^[0-9a-f]{16}$/);
    }
  }
  // C heard each from both B and D: the second copy must have been dropped as a duplicate.
  await sleep(500);
  for (const kind of GOSSIP_KINDS) assert.equal(got('C', kind).length, 1, `C saw ${kind} ${got('C', kind).length} times`);
  assert.equal(got('A', 'bttc-block').length, 0, 'a node does not receive its own message back');
  // Same message id on every node: the id is a function of topic + data only.
  const ids = new Set(['B', 'C', 'D'].map((n) => got(n, 'bttc-block')[0]!.msgId));
  assert.equal(ids.size, 1);
  const fromC = got('C', 'bttc-block')[0]!.from;
  assert.ok([nodes.B.net.peerId, nodes.D.net.peerId].includes(fromC), 'C got it from a forwarding neighbour');
});

test('dedup: the same payload published by two nodes is delivered once', async () => {
  const payload = text('same-proposal-from-two-nodes');
  await Promise.all([nodes.A.net.publish('delivery-proposal', payload), nodes.C.net.publish('delivery-proposal', payload)]);
  await until(
    'B and D get the proposal',
    P2P_WAIT_MS,
    () => [got('B', 'delivery-proposal'), got('D', 'delivery-proposal')].every((l) => l.some((m) => new TextDecoder().decode(m.data) === 'same-proposal-from-two-nodes')),
    50,
  );
  await sleep(600);
  for (const name of ['B', 'D']) assert.equal(got(name, 'delivery-proposal').filter((m) => new TextDecoder().decode(m.data) === 'same-proposal-from-two-nodes').length, 1, `${name} handled it once`);
});

test('malformed gossip: dropped in the worker, counted, sender penalised', async () => {
  const before = got('B', 'bttc-block').length;
  const scoreBefore = (await scoreOf(nodes.B.net, nodes.A.net.peerId))!;
  await nodes.A.net.publishRaw('bttc-block', new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  await until("A's score at B goes down", P2P_WAIT_MS, async () => (await scoreOf(nodes.B.net, nodes.A.net.peerId))! < Math.min(0, scoreBefore), 50);
  await until('malformed counted in B metrics', P2P_WAIT_MS, async () => (await metricValue(nodes.B.metrics, 'bttc_p2p_gossip_malformed_total', { kind: 'bttc-block' })) === 1, 50);
  assert.equal((await nodes.B.net.stats()).malformed['bttc-block'], 1);
  assert.equal(got('B', 'bttc-block').length, before, 'the handler never saw it');
  await sleep(300);
  assert.equal(got('C', 'bttc-block').length, 1, 'not forwarded to C');
});

test('invalid payload: the handler rejects it, it is not forwarded, the sender is penalised', async () => {
  const scoreBefore = (await scoreOf(nodes.D.net, nodes.A.net.peerId))!;
  await nodes.A.net.publish('delivery-vote', text(INVALID));
  await until('B and D reject it', P2P_WAIT_MS, () => got('B', 'delivery-vote').length === 2 && got('D', 'delivery-vote').length === 2, 50);
  await until("A's score at D goes down", P2P_WAIT_MS, async () => (await scoreOf(nodes.D.net, nodes.A.net.peerId))! < Math.min(0, scoreBefore), 50);
  await until('reject counted', P2P_WAIT_MS, async () => (await metricValue(nodes.D.metrics, 'bttc_p2p_gossip_validation_total', { kind: 'delivery-vote', result: 'reject' })) === 1, 50);
  await sleep(400);
  assert.equal(got('C', 'delivery-vote').length, 1, 'C never received the rejected vote');
});

test('backpressure: a full validation queue ignores new messages instead of growing', async () => {
  gate = Promise.withResolvers<void>();
  const before = got('B', 'bttc-tx').length;
  for (let i = 0; i < 20; i++) await nodes.A.net.publish('bttc-tx', text(`tx-${i}`));
  await until('B drops beyond its queue', P2P_WAIT_MS, async () => (await metricValue(nodes.B.metrics, 'bttc_p2p_gossip_queue_dropped_total', { kind: 'bttc-tx' })) >= 15, 50);
  const handled = got('B', 'bttc-tx').length - before;
  assert.ok(handled >= 1 && handled <= 3, `B started ${handled} validations with a queue of 2 behind 1 running`);
  gate.resolve();
  gate = null;
  await until(
    'queue drains',
    P2P_WAIT_MS,
    async () => (await metricValue(nodes.B.metrics, 'bttc_p2p_gossip_queue_length', { kind: 'bttc-tx' })) === 0 || got('B', 'bttc-tx').length - before === handled,
    50,
  );
  const ignored = await metricValue(nodes.B.metrics, 'bttc_p2p_gossip_validation_total', { kind: 'bttc-tx', result: 'ignore' });
  assert.ok(ignored >= 15, `ignored ${ignored}`);
  // Ignoring is not the sender's fault: A's score at B is unchanged by it (still only the earlier malformed block).
  const score = (await scoreOf(nodes.B.net, nodes.A.net.peerId))!;
  assert.ok(score > -200, `score ${score}`);
});
