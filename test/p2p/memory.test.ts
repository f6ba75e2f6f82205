/** The in-memory Network other modules test against must behave like the real one where they rely on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryHub } from '../../src/p2p/memory.ts';
import { RequestError, type GossipMessage } from '../../src/p2p/interface.ts';
import { sleep } from '../helpers/until.ts';

test('memory network: delivery, dedup, self-exclusion, rejects, isolation, requests', async () => {
  const hub = new MemoryHub();
  const [a, b, c] = [hub.node('a'), hub.node('b'), hub.node('c')];
  const got: Record<string, GossipMessage[]> = { a: [], b: [], c: [] };
  for (const [n, name] of [
    [a, 'a'],
    [b, 'b'],
    [c, 'c'],
  ] as const)
    n.subscribe('delivery-vote', (m) => (got[name]!.push(m), m.data[0] === 0xff ? 'reject' : 'accept'));
  const connects: string[] = [];
  a.on('peer:connect', (e) => connects.push(e.peerId));
  await a.start();
  await b.start();
  await c.start();
  assert.deepEqual(connects.sort(), ['b', 'c']);
  assert.equal((await a.publish('delivery-vote', new Uint8Array([1]))).recipients, 2);
  // Same bytes from b before a's copy arrived: b already has it, c takes whichever comes first, once.
  await b.publish('delivery-vote', new Uint8Array([1]));
  await sleep(10);
  assert.deepEqual([got.a!.length, got.b!.length, got.c!.length], [0, 0, 1]);
  assert.equal(got.c![0]!.from, 'a');

  await a.publish('delivery-vote', new Uint8Array([0xff]));
  await sleep(10);
  assert.ok((await b.peers()).find((p) => p.peerId === 'a')!.score < 0);

  hub.isolate('c');
  assert.deepEqual(a.connectedPeers(), ['b']);
  await a.publish('delivery-vote', new Uint8Array([2]));
  await sleep(10);
  assert.equal(got.c!.length, 2, 'isolated node gets nothing');
  hub.reconnect('c');

  b.handleRequest('status', async (peer, body) => [new TextEncoder().encode(`hi ${peer}`), body]);
  const items = await a.request('b', 'status', new Uint8Array([7]));
  assert.equal(new TextDecoder().decode(items[0]), 'hi a');
  await assert.rejects(a.request('c', 'status', new Uint8Array(0)), (e: unknown) => e instanceof RequestError && e.code === 'protocol');
});
