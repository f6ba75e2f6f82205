/**
 * The genesis state written straight from the alloc, as geth's StackTrie does: keys hashed and
 * sorted, the trie built bottom-up once, every node written once. Putting a million accounts one by
 * one through the state manager keeps every node and journal entry in memory until the commit
 * (200k accounts took ~55 s and 4 GB here); this writes them as it goes, in bounded batches.
 *
 * Node layout and DB keys are EthereumJS's (MerkleStateManager over a key-hashing MPT): account and
 * storage nodes under their hash, code under 'c' ‖ code hash; test/evm/genesis-trie.test.ts pins the
 * roots and read-back against the state manager's own path.
 */
import { RLP } from '@ethereumjs/rlp';
import { Account } from '@ethereumjs/util';
import { EMPTY_TRIE_ROOT } from './block.ts';
import { keccak256 } from './crypto.ts';
import type { GenesisSpec } from './interface.ts';

type Node = Uint8Array | Node[];
const EMPTY = new Uint8Array(0);
const CODE_PREFIX = 0x63; // 'c', EthereumJS's CODEHASH_PREFIX
export const KECCAK256_NULL = keccak256(EMPTY);

/** Where built nodes go: `key` is the DB key (node hash, or 'c' ‖ code hash), `value` the node or code. */
export type NodeSink = (key: Uint8Array, value: Uint8Array) => Promise<void> | void;

const nib = (k: Uint8Array, i: number) => ((i & 1) === 1 ? k[i >> 1]! & 15 : k[i >> 1]! >> 4);

/** Compact (hex-prefix) encoding of nibbles [from, to) of `k`. */
function hexPrefix(k: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const len = to - from;
  const odd = len & 1;
  const out = new Uint8Array((len >> 1) + 1);
  out[0] = (((leaf ? 2 : 0) + odd) << 4) | (odd ? nib(k, from) : 0);
  for (let i = 1, j = from + odd; i < out.length; i++, j += 2) out[i] = (nib(k, j) << 4) | nib(k, j + 1);
  return out;
}

/**
 * Root of the trie mapping each 32-byte `keys[i]` (already hashed, sorted ascending, distinct) to
 * `values[i]`; every node of 32 bytes or more, and the root, goes to `sink`.
 */
export async function stackTrieRoot(keys: readonly Uint8Array[], values: readonly Uint8Array[], sink: NodeSink): Promise<Uint8Array> {
  if (keys.length === 0) return EMPTY_TRIE_ROOT;
  const ref = async (node: Node): Promise<Node> => {
    const enc = RLP.encode(node as never);
    if (enc.length < 32) return node;
    const h = keccak256(enc);
    await sink(h, enc);
    return h;
  };
  const branch = async (lo: number, hi: number, depth: number): Promise<Node[]> => {
    const children: Node[] = new Array<Node>(17).fill(EMPTY);
    for (let i = lo; i < hi; ) {
      const n = nib(keys[i]!, depth);
      let j = i + 1;
      while (j < hi && nib(keys[j]!, depth) === n) j++;
      children[n] = await ref(await build(i, j, depth + 1));
      i = j;
    }
    return children;
  };
  const build = async (lo: number, hi: number, depth: number): Promise<Node> => {
    const first = keys[lo]!;
    if (hi - lo === 1) return [hexPrefix(first, depth, 64, true), values[lo]!];
    const last = keys[hi - 1]!;
    let cp = depth;
    while (nib(first, cp) === nib(last, cp)) cp++;
    if (cp > depth) return [hexPrefix(first, depth, cp, false), await ref(await branch(lo, hi, cp))];
    return branch(lo, hi, depth);
  };
  const enc = RLP.encode((await build(0, keys.length, 0)) as never);
  const root = keccak256(enc);
  await sink(root, enc);
  return root;
}

/** Hashes keys, sorts by hash and refuses duplicates (which one should win is the alloc's to say). */
function sortedByHash<T>(items: readonly T[], key: (t: T) => Uint8Array, what: (t: T) => string): { keys: Buffer[]; items: T[] } {
  const hashed = items.map((t) => ({ h: Buffer.from(keccak256(key(t))), t }));
  hashed.sort((a, b) => Buffer.compare(a.h, b.h));
  for (let i = 1; i < hashed.length; i++) if (hashed[i]!.h.equals(hashed[i - 1]!.h)) throw new Error(`genesis alloc lists ${what(hashed[i]!.t)} twice`);
  return { keys: hashed.map((x) => x.h), items: hashed.map((x) => x.t) };
}

function unpad(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Writes the state of `spec.alloc` through `sink` and returns its root. */
export async function writeGenesisState(spec: Pick<GenesisSpec, 'alloc'>, sink: NodeSink): Promise<Uint8Array> {
  const accounts = sortedByHash(
    spec.alloc,
    ([a]) => {
      if (a.length !== 20) throw new Error(`genesis alloc: address 0x${hex(a)} is ${a.length} bytes, expected 20`);
      return a;
    },
    ([a]) => `account 0x${hex(a)}`,
  );
  const values: Uint8Array[] = [];
  for (const [address, acc] of accounts.items) {
    let codeHash = KECCAK256_NULL;
    if (acc.code && acc.code.length > 0) {
      codeHash = keccak256(acc.code);
      const key = new Uint8Array(33);
      key[0] = CODE_PREFIX;
      key.set(codeHash, 1);
      await sink(key, acc.code);
    }
    let storageRoot = EMPTY_TRIE_ROOT;
    const slots = (acc.storage ?? []).filter(([, v]) => v.some((x) => x !== 0));
    if (slots.length > 0) {
      const pad32 = (s: Uint8Array) => {
        if (s.length > 32) throw new Error(`genesis alloc: account 0x${hex(address)} has a ${s.length}-byte storage key`);
        const out = new Uint8Array(32);
        out.set(s, 32 - s.length);
        return out;
      };
      const st = sortedByHash(
        slots,
        ([k]) => pad32(k),
        ([k]) => `storage slot 0x${hex(k)} of account 0x${hex(address)}`,
      );
      storageRoot = await stackTrieRoot(
        st.keys,
        st.items.map(([, v]) => RLP.encode(unpad(v))),
        sink,
      );
    }
    values.push(new Account(acc.nonce ?? 0n, acc.balance ?? 0n, storageRoot, codeHash).serialize());
  }
  return stackTrieRoot(accounts.keys, values, sink);
}
