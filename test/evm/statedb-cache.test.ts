/**
 * StateDb's node cache and write path (src/evm/stateDb.ts): the cache stays within both its node and
 * its byte bound while every node stays readable from disk; a node already on disk is not buffered
 * again; `loadMany` fills the cache in one call; a flush of BatchTrie results (`putResult`) writes
 * them all without a reachability walk, while a flush with plain puts still drops what the roots do
 * not reach.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { StateDb } from '../../src/evm/stateDb.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const hexKey = (i: number) => bytesToHex(keccak256(Uint8Array.of(i >> 8, i & 0xff))).slice(2);
const value = (i: number) => new Uint8Array(100).fill(i & 0xff);
const hx = (b: Uint8Array | undefined) => (b === undefined ? undefined : bytesToHex(b));

test('node cache: bounded by nodes and by bytes, nodes stay readable, known nodes are not rewritten', async () => {
  const d = makeTempDir('statedb-cache');
  try {
    const db = await StateDb.open(d.path, { cacheNodes: 300, cacheBytes: 10_000 });
    for (let i = 0; i < 1000; i++) await db.put(hexKey(i), value(i));
    await db.flush();
    const { nodes, bytes } = db.cacheSize();
    assert.ok(bytes <= 10_000, `cache bytes ${bytes} within 10,000`);
    assert.ok(nodes <= 100, `cache nodes ${nodes}: the byte bound (100 nodes of 100 bytes) is the tighter one`);
    for (let i = 0; i < 1000; i += 37) assert.equal(hx(await db.get(hexKey(i))), hx(value(i)));
    // a node that is cached (so on disk) is not buffered again
    const known = hexKey(999);
    assert.ok(db.cached(known));
    await db.put(known, value(999));
    assert.equal(db.pendingCount(), 0);
    assert.equal(db.stats.knownWrites, 1);
    // loadMany: the evicted ones come back in one call; an absent key is skipped
    const cold = [hexKey(1), hexKey(2), 'ff'.repeat(32)];
    assert.equal(db.cached(cold[0]!), undefined);
    await db.loadMany(cold);
    assert.equal(hx(db.cached(cold[0]!)), hx(value(1)));
    assert.equal(hx(db.cached(cold[1]!)), hx(value(2)));
    assert.equal(db.cached(cold[2]!), undefined);
    const small = await StateDb.open(`${d.path}-count`, { cacheNodes: 50 });
    for (let i = 0; i < 200; i++) await small.put(hexKey(i), value(i));
    await small.flush();
    assert.ok(small.cacheSize().nodes <= 50, 'the node bound holds when bytes are not the limit');
    await small.close();
    await db.close();
  } finally {
    d.remove();
  }
});

test('flush: BatchTrie results are written whole; plain puts are filtered by reachability', async () => {
  const d = makeTempDir('statedb-flush');
  try {
    const db = await StateDb.open(d.path, { cacheNodes: 0 });
    // account leaves (rlp of nonce, balance, empty storage root, empty code hash), a branch over one
    // of them, and an orphan nobody references
    const account = (n: number) => RLP.encode([Uint8Array.of(n), Uint8Array.of(n), keccak256(RLP.encode(new Uint8Array(0))), keccak256(new Uint8Array(0))]);
    const leaf = RLP.encode([Uint8Array.of(0x20, 1), account(1)]);
    const leafHash = keccak256(leaf);
    const branch = RLP.encode([...Array.from({ length: 16 }, (_, i) => (i === 3 ? leafHash : new Uint8Array(0))), new Uint8Array(0)]);
    const root = keccak256(branch);
    const orphan = RLP.encode([Uint8Array.of(0x20, 2), account(2)]);
    const h = (b: Uint8Array) => bytesToHex(b).slice(2);

    db.putResult(h(leafHash), leaf);
    db.putResult(h(root), branch);
    // BatchTrie only hands over nodes of its result; one that is not shows the walk was skipped
    const extra = RLP.encode([Uint8Array.of(0x20, 9), account(9)]);
    db.putResult(h(keccak256(extra)), extra);
    await db.flush([], [root]);
    assert.equal(db.stats.flushedNodes, 3, 'all putResult nodes written, no walk');

    await db.put(h(keccak256(orphan)), orphan);
    const leaf2 = RLP.encode([Uint8Array.of(0x20, 3), account(3)]);
    const branch2 = RLP.encode([...Array.from({ length: 16 }, (_, i) => (i === 5 ? keccak256(leaf2) : new Uint8Array(0))), new Uint8Array(0)]);
    await db.put(h(keccak256(leaf2)), leaf2);
    await db.put(h(keccak256(branch2)), branch2);
    await db.flush([], [keccak256(branch2)]);
    assert.equal(db.stats.flushedNodes, 5, 'the two reachable plain puts written');
    assert.equal(db.stats.droppedNodes, 1, 'the orphan dropped');
    assert.equal(await db.get(h(keccak256(orphan))), undefined);
    assert.equal(hx(await db.get(h(leafHash))), hx(leaf));
    await db.close();
  } finally {
    d.remove();
  }
});
