/**
 * The block prefetcher (src/evm/prefetch.ts) and the node RLP it and BatchTrie use
 * (src/evm/trieNodeRlp.ts):
 * - the RLP encoder/decoder against @ethereumjs/rlp on random nested items, and malformed input refused;
 * - prefetchPaths against @ethereumjs/mpt on random tries: every key it resolves has the MPT's value
 *   (null exactly when the MPT has none), and the nodes it loaded alone are enough for the MPT to read
 *   every prefetched key;
 * - whole blocks: random transfers in a first batch and top-up batches (the same accounts sent to and
 *   from across batches, so a seeded account must never overwrite the block's own newer write), a
 *   sibling block built on an older parent (a reorg), each state root checked against stock EthereumJS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { createMPT } from '@ethereumjs/mpt';
import { MapDB } from '@ethereumjs/util';
import { decodeNode, encodeBytes, encodeList, type Decoded } from '../../src/evm/trieNodeRlp.ts';
import { prefetchPaths, txRecipient, type PrefetchStore } from '../../src/evm/prefetch.ts';
import { Executor } from '../../src/evm/executor.ts';
import { hashHeader } from '../../src/evm/block.ts';
import type { HeaderFields, TopUpBatch } from '../../src/evm/interface.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { testAccounts } from './helpers.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { stockBuild, stockGenesis } from './stock.ts';

const itemArb: fc.Arbitrary<Decoded> = fc.letrec<{ item: Decoded }>((tie) => ({
  item: fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ minLength: 50, maxLength: 300 }), fc.array(tie('item'), { maxLength: 17 })),
})).item;

function encodeOurs(d: Decoded): Uint8Array {
  return Array.isArray(d) ? encodeList(d.map(encodeOurs)) : encodeBytes(d);
}

test('node RLP: encoding and decoding agree with @ethereumjs/rlp; malformed input is refused', () => {
  fc.assert(
    fc.property(itemArb, (d) => {
      const theirs = RLP.encode(d as never);
      assert.equal(bytesToHex(encodeOurs(d)), bytesToHex(theirs));
      assert.deepEqual(decodeNode(theirs), RLP.decode(theirs));
    }),
    { numRuns: 300 },
  );
  assert.throws(() => decodeNode(Uint8Array.of(0xc2, 0x80)), /runs past its end/);
  assert.throws(() => decodeNode(Uint8Array.of(0xc1, 0x80, 0x80)), /trailing bytes/);
  assert.throws(() => decodeNode(Uint8Array.of(0x81, 0x05)), /single byte below 0x80/);
  assert.throws(() => decodeNode(Uint8Array.of(0xb8, 0x05, 1, 2, 3, 4, 5)), /long form/);
});

const PREFIX = keccak256(Uint8Array.of(0xee)).subarray(0, 30);
// keys from a small space, and keys sharing 30 bytes (deep extensions, embedded leaves)
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((i) => keccak256(Uint8Array.of(i >> 8, i & 0xff))),
  fc.integer({ min: 0, max: 600 }).map((b) => Uint8Array.from([...PREFIX, b >> 8, b & 0xff])),
);
const valueArb = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 80 }));

test('prefetchPaths: resolves every key as the MPT reads it, and loads every node the MPT needs for them', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 150 }), fc.array(keyArb, { minLength: 1, maxLength: 60 }), async (entries, queries) => {
      const db = new MapDB<string, Uint8Array>();
      const mpt = await createMPT({ db, valueEncoding: 'view' as never });
      for (const [k, v] of entries) await mpt.put(k, v);
      const loaded = new Map<string, Uint8Array>();
      let calls = 0;
      const store: PrefetchStore = {
        cached: (k) => loaded.get(k),
        async loadMany(keys) {
          calls++;
          for (const k of keys) {
            const v = await db.get(k);
            if (v !== undefined) loaded.set(k, v);
          }
        },
      };
      const found = await prefetchPaths(store, mpt.root(), queries);
      assert.equal(found.size, new Set(queries).size, 'every key resolved (no node is missing here)');
      assert.ok(calls <= 66, 'one load per trie level at most');
      // the MPT over the prefetched nodes alone (plus the root, which it always reads)
      const only = new MapDB<string, Uint8Array>();
      for (const [k, v] of loaded) await only.put(k, v);
      const rootHex = bytesToHex(mpt.root()).slice(2);
      const rootRaw = await db.get(rootHex);
      if (rootRaw) await only.put(rootHex, rootRaw);
      const view = await createMPT({ db: only, valueEncoding: 'view' as never, root: mpt.root() });
      for (const q of queries) {
        const want = await mpt.get(q);
        const got = found.get(q);
        assert.equal(got === null ? null : bytesToHex(got!), want === null ? null : bytesToHex(want), `key ${bytesToHex(q)}`);
        assert.deepEqual(await view.get(q), want, 'readable from the prefetched nodes alone');
      }
    }),
    { numRuns: 60 },
  );
});

test('txRecipient reads `to` of legacy and typed transactions; creations and junk give none', () => {
  const to = new Uint8Array(20).fill(7);
  const key = testAccounts(1, 55)[0]!.key;
  assert.deepEqual(txRecipient(signLegacyTx({ nonce: 0, gasPrice: 1n, gasLimit: 21_000n, to, value: 1n }, 199, key)), to);
  assert.equal(txRecipient(signLegacyTx({ nonce: 0, gasPrice: 1n, gasLimit: 90_000n, value: 0n, data: Uint8Array.of(0) }, 199, key)), undefined);
  const t1 = Uint8Array.from([1, ...RLP.encode([Uint8Array.of(199), new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(9), to, Uint8Array.of(1)])]);
  const t2 = Uint8Array.from([2, ...RLP.encode([Uint8Array.of(199), new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(1), Uint8Array.of(9), to])]);
  assert.deepEqual(txRecipient(t1), to);
  assert.deepEqual(txRecipient(t2), to);
  assert.equal(txRecipient(Uint8Array.of(0xc5, 1)), undefined);
  assert.equal(txRecipient(new Uint8Array(0)), undefined);
});

const CHAIN_ID = 199;
const accounts = testAccounts(5, 61);
const author = testAccounts(1, 62)[0]!.address;

test('txRecipient agrees with a full RLP decode on random legacy and typed encodings', () => {
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
  // Field sizes cross the short/long string boundary (55 bytes) so both prefix forms are skipped.
  const fields = fc.array(bytes(70), { minLength: 6, maxLength: 6 });
  const to = fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), bytes(25));
  const reference = (raw: Uint8Array): Uint8Array | undefined => {
    const typed = raw[0]! <= 0x7f;
    const decoded = RLP.decode(typed ? raw.subarray(1) : raw) as Decoded;
    const f = (decoded as Decoded[])[!typed ? 3 : raw[0] === 1 ? 4 : 5];
    return f instanceof Uint8Array && f.length === 20 ? f : undefined;
  };
  fc.assert(
    fc.property(fc.constantFrom(-1, 1, 2), fields, to, (type, fs, recipient) => {
      const pos = type === -1 ? 3 : type === 1 ? 4 : 5;
      const list = [...fs.slice(0, pos), recipient, ...fs.slice(pos)];
      const body = RLP.encode(list);
      const raw = type === -1 ? body : Uint8Array.of(type, ...body);
      assert.deepEqual(txRecipient(raw), reference(raw));
    }),
    { numRuns: 500 },
  );
});

test('blocks with top-ups and a sibling block: the prefetched state gives stock EthereumJS roots', async () => {
  // a transfer: [from, to (0-4 an account, 5+ a fresh address), value]
  const txArb = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 5 }));
  const blockArb = fc.array(fc.array(txArb, { maxLength: 6 }), { minLength: 1, maxLength: 3 }); // first batch, then top-ups
  await fc.assert(
    fc.asyncProperty(fc.array(blockArb, { minLength: 1, maxLength: 3 }), blockArb, async (blocks, sibling) => {
      const dir = makeTempDir('exec-prefetch');
      const ex = await Executor.open({ chainId: CHAIN_ID, dataDir: dir.path });
      try {
        const spec = { gasLimit: 20_000_000n, time: 1000n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]) };
        const genesis = await ex.initGenesis(spec);
        const { vm: stock } = await stockGenesis(CHAIN_ID, spec);
        const heads: HeaderFields[] = [genesis];
        const nonces = new Map<HeaderFields, number[]>([[genesis, accounts.map(() => 0)]]);
        const build = async (parent: HeaderFields, batches: [number, number, number][][], tag: string): Promise<HeaderFields> => {
          const n = [...nonces.get(parent)!];
          const made = batches.map((batch) => {
            const txs: Uint8Array[] = [];
            const senders: Uint8Array[] = [];
            for (const [from, to, value] of batch) {
              const dest = to < 5 ? accounts[to]!.address : keccak256(Uint8Array.of(to, parent.number === 0n ? 0 : 1)).slice(12);
              txs.push(signLegacyTx({ nonce: n[from]!++, gasPrice: 1n, gasLimit: 21_000n, to: dest, value: BigInt(value) }, CHAIN_ID, accounts[from]!.key));
              senders.push(accounts[from]!.address);
            }
            return { txs, senders };
          });
          let asked = 0;
          const res = await ex.buildBlock({
            parent: { hash: hashHeader(parent), number: parent.number, stateRoot: parent.stateRoot },
            header: { number: parent.number + 1n, time: parent.time + 2n, gasLimit: 20_000_000n },
            author,
            txs: made[0]!.txs,
            senders: made[0]!.senders,
            budgetMs: 60_000,
            more: async (): Promise<TopUpBatch | null> => {
              const b = made[++asked];
              return b ? { ...b, budgetMs: 60_000 } : null;
            },
          });
          const all = made.flatMap((b) => b.txs);
          assert.equal(res.included.length, all.length, `${tag}: every transfer included`);
          // stock's buildBlock builds on whatever state its VM holds: point it at the parent (the sibling case)
          await stock.stateManager.setStateRoot(parent.stateRoot);
          const theirs = await stockBuild(stock, { number: parent.number, gasLimit: 20_000_000n, stateRoot: parent.stateRoot, time: parent.time }, all, author, parent.time + 2n);
          assert.equal(bytesToHex(res.header.stateRoot), bytesToHex(theirs.stateRoot), `${tag}: state root against stock EthereumJS`);
          nonces.set(res.header, n);
          return res.header;
        };
        for (const [i, b] of blocks.entries()) heads.push(await build(heads.at(-1)!, b, `block ${i + 1}`));
        // a reorg: a sibling of the last block, on its parent, after the last block was built
        await build(heads.at(-2)!, sibling, 'sibling');
        // and the old head again, after the sibling moved the state away from it
        await build(heads.at(-1)!, blocks[0]!, 'on the old head');
      } finally {
        await ex.close();
        dir.remove();
      }
    }),
    { numRuns: 15 },
  );
});
