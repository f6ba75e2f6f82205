/**
 * A block writes only the trie nodes its post-state references (src/evm/reachable.ts): the nodes
 * EthereumJS's MPT saves on the way (replaced by a later put of the same block) are dropped. The
 * check that matters is that nothing needed is dropped: after random blocks of transfers to new and
 * old accounts, contract deployments, token transfers that set and clear storage slots, the executor
 * is reopened with no node cache and every block's state is walked from disk: every node, every
 * storage trie and every contract code must be there. Each block's state root is also checked against
 * stock EthereumJS (MerkleStateManager, one MPT put per change) building the same transactions, so the
 * batched commit (src/evm/batchStateManager.ts, batchTrie.ts) gives the same state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { createMPT } from '@ethereumjs/mpt';
import { MapDB } from '@ethereumjs/util';
import { Interface } from 'ethers';
import { Executor } from '../../src/evm/executor.ts';
import type { BatchStateManager } from '../../src/evm/batchStateManager.ts';
import { reachableNodes } from '../../src/evm/reachable.ts';
import type { HeaderFields } from '../../src/evm/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { BUCKETS } from '../../src/db/buckets.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { compileFixture } from './fixtures/compile.ts';
import { testAccounts } from './helpers.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { stockBuild, stockGenesis } from './stock.ts';

const CHAIN_ID = 199;
const accounts = testAccounts(6, 7);
const author = testAccounts(1, 98)[0]!.address;
const token = compileFixture();
const iface = new Interface(token.abi as never);

type Decoded = Uint8Array | Decoded[];
const EMPTY_ROOT = bytesToHex(keccak256(RLP.encode(new Uint8Array(0))));

/** Every node, storage trie and code reachable from `root`, read from `get`; returns what is missing. */
async function missingUnder(root: Uint8Array, get: (hexKey: string) => Promise<Uint8Array | undefined>, accountTrie = true): Promise<string[]> {
  const missing: string[] = [];
  const seen = new Set<string>();
  const walkRef = async (ref: Decoded, accounts: boolean): Promise<void> => {
    if (Array.isArray(ref)) return walkNode(ref, accounts);
    if (ref.length !== 32) return;
    const key = bytesToHex(ref).slice(2);
    if (seen.has(key)) return;
    seen.add(key);
    const raw = await get(key);
    if (!raw) {
      missing.push(`${accounts ? 'account' : 'storage'} node ${key}`);
      return;
    }
    assert.equal(bytesToHex(keccak256(raw)).slice(2), key, 'a stored node hashes to its key');
    await walkNode(RLP.decode(raw) as Decoded, accounts);
  };
  const leaf = async (v: Decoded, accounts: boolean): Promise<void> => {
    if (!accounts || Array.isArray(v)) return;
    const [, , storageRoot, codeHash] = RLP.decode(v) as Uint8Array[];
    if (bytesToHex(storageRoot!) !== EMPTY_ROOT) await walkRef(storageRoot!, false);
    if (bytesToHex(codeHash!) !== bytesToHex(keccak256(new Uint8Array(0)))) {
      const code = await get(`63${bytesToHex(codeHash!).slice(2)}`);
      if (!code) missing.push(`code ${bytesToHex(codeHash!)}`);
    }
  };
  const walkNode = async (n: Decoded, accounts: boolean): Promise<void> => {
    if (!Array.isArray(n)) return;
    if (n.length === 17) {
      for (let i = 0; i < 16; i++) await walkRef(n[i]!, accounts);
      return;
    }
    const flag = (n[0] as Uint8Array)[0]! >> 4;
    if (flag >= 2) await leaf(n[1]!, accounts);
    else await walkRef(n[1]!, accounts);
  };
  if (bytesToHex(root) !== EMPTY_ROOT) await walkRef(root, accountTrie);
  return missing;
}

test('reachableNodes keeps exactly what a trie built by many puts still references', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 200 }), async (ops) => {
      const db = new MapDB<string, Uint8Array>();
      const trie = await createMPT({ db, useKeyHashing: true, valueEncoding: 'view' as never });
      for (const [k, v] of ops) {
        const key = Uint8Array.of(k >> 8, k & 0xff);
        if (v === 0) await trie.del(key);
        else await trie.put(key, RLP.encode([Uint8Array.of(v), new Uint8Array(40).fill(v)]));
      }
      const written = new Map<string, Uint8Array>();
      for (const [k, v] of db._database) written.set(k, v);
      const keep = reachableNodes([trie.root()], written);
      const missing = await missingUnder(trie.root(), async (k) => (keep.has(k) ? written.get(k) : undefined), false);
      // storage-style values (not accounts) are not followed; only trie nodes are checked here
      assert.deepEqual(missing, []);
      assert.ok(keep.size <= written.size);
      for (const k of keep) assert.ok(written.has(k));
    }),
    { numRuns: 40 },
  );
});

test('random blocks: every block state stays complete on disk after a restart with no node cache', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
      async (blocks) => {
        const dir = makeTempDir('exec-reach');
        try {
          let ex = await Executor.open({ chainId: CHAIN_ID, dataDir: dir.path });
          const spec = { gasLimit: 20_000_000n, time: 1000n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]) };
          let head: HeaderFields = await ex.initGenesis(spec);
          const { vm: stock } = await stockGenesis(CHAIN_ID, spec);
          const roots = [head.stateRoot];
          const nonces = accounts.map(() => 0);
          // account 0 deploys a token in the first block; the others move its balance around
          const tokenAddr = keccak256(RLP.encode([accounts[0]!.address, new Uint8Array(0)])).slice(12);
          for (const [b, kinds] of blocks.entries()) {
            const txs: Uint8Array[] = [];
            const senders: Uint8Array[] = [];
            const send = (from: number, fields: { to?: Uint8Array; value?: bigint; data?: Uint8Array; gasLimit?: bigint }) => {
              txs.push(
                signLegacyTx(
                  { nonce: nonces[from]!++, gasPrice: 1n, gasLimit: fields.gasLimit ?? 21_000n, to: fields.to, value: fields.value ?? 0n, data: fields.data },
                  CHAIN_ID,
                  accounts[from]!.key,
                ),
              );
              senders.push(accounts[from]!.address);
            };
            if (b === 0) send(0, { data: hexToBytes(token.bytecode + iface.encodeDeploy([1_000_000n]).slice(2)), gasLimit: 2_000_000n });
            for (const [from, kind, x] of kinds) {
              if (kind === 0)
                send(from, { to: keccak256(Uint8Array.of(b, x, from)).slice(12), value: BigInt(x) }); // new account (or none for 0)
              else if (kind === 1) send(from, { to: accounts[x % accounts.length]!.address, value: 1n });
              else {
                // a token transfer: all of a small balance (clears a slot) or a part; may revert
                const to = kind === 2 ? accounts[x % accounts.length]!.address : keccak256(Uint8Array.of(x)).slice(12);
                send(from, { to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(to), BigInt(x * 1000)])), gasLimit: 100_000n });
              }
            }
            const res = await ex.buildBlock({
              parent: { hash: hashHeader(head), number: head.number, stateRoot: head.stateRoot },
              header: { number: head.number + 1n, time: head.time + 2n, gasLimit: 20_000_000n },
              author,
              txs,
              senders,
              budgetMs: 60_000,
            });
            const included = res.included.map((i) => txs[i]!);
            const theirs = await stockBuild(stock, { number: head.number, gasLimit: 20_000_000n, stateRoot: head.stateRoot, time: head.time }, included, author, head.time + 2n);
            assert.equal(bytesToHex(res.header.stateRoot), bytesToHex(theirs.stateRoot), `block ${b + 1}: state root against stock EthereumJS`);
            head = res.header;
            roots.push(head.stateRoot);
          }
          const dropped = ex.db.stats.droppedNodes;
          // the blocks went through the batched commit, not upstream's per-put flush
          assert.ok((ex as unknown as { sm: BatchStateManager }).sm.batchedFlushes >= blocks.length, 'batched flushes');
          await ex.close();
          ex = await Executor.open({ chainId: CHAIN_ID, dataDir: dir.path, cacheNodes: 1 });
          const level = ex.db.level;
          const get = async (k: string) => (await level.get(Uint8Array.from(Buffer.concat([Buffer.of(BUCKETS.stateNode.id), Buffer.from(k, 'hex')])))) ?? undefined;
          for (const r of roots) assert.deepEqual(await missingUnder(r, get), [], `state ${bytesToHex(r)}`);
          await ex.close();
          return dropped >= 0;
        } finally {
          dir.remove();
        }
      },
    ),
    { numRuns: Number(process.env.FLUSH_PROPERTY_RUNS ?? 10) },
  );
});
