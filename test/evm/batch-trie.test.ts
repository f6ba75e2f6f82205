/**
 * BatchTrie (src/evm/batchTrie.ts) against @ethereumjs/mpt: random tries, then random batches of
 * inserts, overwrites and deletes (including deletes of absent keys, and of everything) applied by
 * both; the roots must be equal, and every node BatchTrie stored must be one the MPT stores for the
 * same trie, so the MPT reads every key back from BatchTrie's nodes alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMPT } from '@ethereumjs/mpt';
import { MapDB } from '@ethereumjs/util';
import { BatchTrie, type TrieUpdate } from '../../src/evm/batchTrie.ts';
import { EMPTY_TRIE_ROOT } from '../../src/evm/block.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

function mapStore(m: Map<string, Uint8Array>) {
  return {
    async get(k: string) {
      return m.get(k);
    },
    async put(k: string, v: Uint8Array) {
      m.set(k, v);
    },
  };
}

// keys from a small space so that updates hit the same keys, values of 1..60 bytes (short ones make
// embedded nodes appear in the MPT)
// — and keys sharing their first 31 bytes, whose leaves sit at the bottom with a 1-nibble path, so
// short values make nodes of under 32 bytes that are embedded in their parent instead of stored
const PREFIX = keccak256(Uint8Array.of(0xee)).subarray(0, 31);
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 400 }).map((i) => keccak256(Uint8Array.of(i >> 8, i & 0xff))),
  fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.from([...PREFIX, b])),
);
const valueArb = fc.option(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 60 })), { freq: 4 });
const batchArb = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 120 });

test('BatchTrie gives the MPT root and nodes for random batches on random tries', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 4 }), async (batches) => {
      const mptDb = new MapDB<string, Uint8Array>();
      // keys are already 32-byte hashes here: the MPT must not hash them again
      const mpt = await createMPT({ db: mptDb, valueEncoding: 'view' as never });
      const ours = new Map<string, Uint8Array>();
      const batch = new BatchTrie(mapStore(ours));
      let root = EMPTY_TRIE_ROOT;
      const live = new Map<string, Uint8Array>();
      for (const updates of batches) {
        for (const [k, v] of updates) {
          if (v === null) {
            await mpt.del(k);
            live.delete(bytesToHex(k));
          } else {
            await mpt.put(k, v);
            live.set(bytesToHex(k), v);
          }
        }
        root = await batch.update(root, updates as TrieUpdate[]);
        assert.equal(bytesToHex(root), bytesToHex(mpt.root()), 'root');
        // the MPT reads every live key (and no deleted one) from BatchTrie's nodes alone
        const reader = await createMPT({ db: new MapDB<string, Uint8Array>(new Map(ours)) as never, valueEncoding: 'view' as never, root });
        for (const [k, v] of live) assert.deepEqual(await reader.get(Uint8Array.from(Buffer.from(k.slice(2), 'hex'))), v, `key ${k}`);
      }
      for (const k of ours.keys()) assert.ok(mptDb._database.has(k), `node ${k} is one the MPT stores`);
    }),
    { numRuns: Number(process.env.BATCH_TRIE_RUNS ?? 60) },
  );
});

test('BatchTrie: deleting every key gives the empty root; a missing node is named; short keys are refused', async () => {
  const nodes = new Map<string, Uint8Array>();
  const t = new BatchTrie(mapStore(nodes));
  const keys = [1, 2, 3].map((i) => keccak256(Uint8Array.of(i)));
  const root = await t.update(
    EMPTY_TRIE_ROOT,
    keys.map((k) => [k, Uint8Array.of(7)] as const),
  );
  assert.notEqual(bytesToHex(root), bytesToHex(EMPTY_TRIE_ROOT));
  assert.equal(
    bytesToHex(
      await t.update(
        root,
        keys.map((k) => [k, null] as const),
      ),
    ),
    bytesToHex(EMPTY_TRIE_ROOT),
  );
  await assert.rejects(new BatchTrie(mapStore(new Map())).update(root, [[keys[0]!, Uint8Array.of(1)]]), /trie node [0-9a-f]{64} is missing/);
  await assert.rejects(t.update(root, [[Uint8Array.of(1, 2), Uint8Array.of(1)]]), /a 2-byte key/);
});
