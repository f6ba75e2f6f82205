/**
 * Loads the account-trie paths a block will touch before it runs, one trie level at a time, each
 * level in one LevelDB `getMany` (geth's triePrefetcher, done up front).
 *
 * Why: at 1M accounts a random account sits 5–6 nodes below the root and the lower 2–3 are not in
 * the node cache, so every first read of an account during execution, and every path BatchTrie
 * loads at the commit, was a sequential `await level.get` (≈ 3,000 per 952-transfer block at 1M
 * against ≈ 1,000 at 10k). Here the block's senders, recipients and coinbase are walked from the
 * parent root together: the nodes of depth d for all of them are fetched in one native call, so a
 * block costs ~6 round trips instead of thousands, and the MPT reads and the commit then hit the
 * node cache. Only whole-node reads by hash: nothing here can change a root (nodes are
 * content-addressed; a wrong guess only warms the cache for nothing).
 */
import { keccak256 } from './crypto.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { EMPTY_TRIE_ROOT } from './block.ts';
import { decodeHexPrefix, decodeNode, type Decoded } from './trieNodeRlp.ts';
import { listFieldOffset } from './rlpScan.ts';

/** What the prefetcher needs from the node store (StateDb). */
export interface PrefetchStore {
  /** A node already in memory (write buffer or cache), without counting a read. */
  cached(hexKey: string): Uint8Array | undefined;
  /** Loads the given nodes from disk into the cache in one call; missing ones are skipped. */
  loadMany(hexKeys: string[]): Promise<void>;
}

/**
 * Decoded upper nodes, by hash: the root and the first levels are walked by every block and change
 * rarely below the top, so decoding them again each block would cost more than their fetch saved.
 * Content-addressed, so an entry never goes stale; bounded, cleared when full.
 */
const decodedCache = new Map<string, Decoded>();
const DECODED_MAX = 8192;
const DECODED_DEPTH = 3;

const nib = (k: Uint8Array, i: number) => ((i & 1) === 1 ? k[i >> 1]! & 15 : k[i >> 1]! >> 4);

/** A walk position: the node reference and the nibble offset of the (hashed) keys that reach it. */
interface Cursor {
  ref: Decoded;
  depth: number;
  nibble: number;
  keys: Uint8Array[];
}

/**
 * What the walk found for each key (the caller's key object, so no key is hex-encoded): the leaf value, or null when the trie at the
 * root provably has no such key. A key whose path ran into a node the store does not have is left
 * out (the block's own read will report it).
 */
export type Resolved = Map<Uint8Array, Uint8Array | null>;

/**
 * Loads into the store the nodes on the paths of `keys` (32-byte hashed keys) in the trie at `root`
 * and returns the value each key has there.
 */
export async function prefetchPaths(store: PrefetchStore, root: Uint8Array, keys: readonly Uint8Array[]): Promise<Resolved> {
  const found: Resolved = new Map();
  if (keys.length === 0) return found;
  if (equalBytes(root, EMPTY_TRIE_ROOT)) {
    for (const k of keys) found.set(k, null);
    return found;
  }
  let frontier: Cursor[] = [{ ref: root, depth: 0, nibble: 0, keys: [...keys] }];
  while (frontier.length > 0) {
    const missing: string[] = [];
    for (const c of frontier) {
      if (c.ref instanceof Uint8Array) {
        const hex = bytesToHex(c.ref).slice(2);
        if (store.cached(hex) === undefined) missing.push(hex);
      }
    }
    if (missing.length > 0) await store.loadMany(missing);
    const next: Cursor[] = [];
    for (const c of frontier) descend(store, c, next, found);
    frontier = next;
  }
  return found;
}

function decodeAt(store: PrefetchStore, c: Cursor): Decoded | undefined {
  if (Array.isArray(c.ref)) return c.ref; // embedded
  const hex = bytesToHex(c.ref).slice(2);
  const known = decodedCache.get(hex);
  if (known !== undefined) return known;
  const raw = store.cached(hex);
  if (raw === undefined) return undefined; // not stored: left to the block's own read to report
  const node = decodeNode(raw);
  if (c.depth <= DECODED_DEPTH) {
    if (decodedCache.size >= DECODED_MAX) decodedCache.clear();
    decodedCache.set(hex, node);
  }
  return node;
}

/** Nibbles [from, 64) of `k` equal `path`. */
function follows(k: Uint8Array, from: number, path: readonly number[], whole: boolean): boolean {
  if (from + path.length > 64 || (whole && from + path.length !== 64)) return false;
  for (let j = 0; j < path.length; j++) if (nib(k, from + j) !== path[j]) return false;
  return true;
}

/** Routes a cursor's keys to the children of its node, pushing the cursors that reach stored nodes. */
function descend(store: PrefetchStore, c: Cursor, out: Cursor[], found: Resolved): void {
  const node = decodeAt(store, c);
  if (node === undefined) return;
  if (!Array.isArray(node)) return;
  const push = (ref: Decoded, keys: Uint8Array[], nibble: number) => {
    if (ref instanceof Uint8Array && ref.length === 0) {
      for (const k of keys) found.set(k, null);
      return;
    }
    if (ref instanceof Uint8Array && ref.length !== 32) return; // malformed: the block's read reports it
    const next = { ref, depth: c.depth + 1, nibble, keys };
    if (Array.isArray(ref)) descend(store, next, out, found);
    else out.push(next);
  };
  if (node.length === 17) {
    const groups: (Uint8Array[] | undefined)[] = new Array(16);
    for (const k of c.keys) if (c.nibble < 64) (groups[nib(k, c.nibble)] ??= []).push(k);
    for (let i = 0; i < 16; i++) {
      const g = groups[i];
      if (g) push(node[i]!, g, c.nibble + 1);
    }
    return;
  }
  if (node.length !== 2 || !(node[0] instanceof Uint8Array) || node[0].length === 0) return;
  let hp: { path: number[]; leaf: boolean };
  try {
    hp = decodeHexPrefix(node[0]);
  } catch {
    return; // malformed: the block's read reports it
  }
  const { path } = hp;
  if (hp.leaf) {
    // a leaf: the key is here, or nowhere in this trie
    const value = node[1]!;
    if (!(value instanceof Uint8Array)) return;
    for (const k of c.keys) found.set(k, follows(k, c.nibble, path, true) ? value : null);
    return;
  }
  // an extension: the keys that follow its path go on to its child, the others are absent
  const on: Uint8Array[] = [];
  for (const k of c.keys) {
    if (follows(k, c.nibble, path, false)) on.push(k);
    else found.set(k, null);
  }
  if (on.length > 0) push(node[1]!, on, c.nibble + path.length);
}

/**
 * The recipient (`to`) of a raw transaction, by position in its RLP (legacy: 3; EIP-2930: 4;
 * EIP-1559 and later typed: 5); undefined for a creation or anything whose field prefixes cannot be
 * followed. A hint only: it does not validate the rest of the encoding (the executor decodes and
 * rejects malformed transactions itself; a wrong hint costs one needless prefetch).
 */
export function txRecipient(raw: Uint8Array): Uint8Array | undefined {
  const first = raw[0];
  if (first === undefined) return undefined;
  // Skipped to, not decoded: a block's worth of full decodes here would repeat execution's own.
  const off = first <= 0x7f ? listFieldOffset(raw, 1, first === 1 ? 4 : 5) : listFieldOffset(raw, 0, 3);
  // 0x94: a 20-byte string; anything else (0x80 for a creation) is not a recipient.
  if (off < 0 || raw[off] !== 0x94 || off + 21 > raw.length) return undefined;
  return raw.subarray(off + 1, off + 21);
}

/** Where resolved accounts go: the state manager's account cache (BatchStateManager.seedAccount). */
export interface AccountSink {
  /** `accounts` as the trie at `root` holds them (null: absent). */
  seedAccounts(root: Uint8Array, accounts: Iterable<readonly [address: Uint8Array, rlp: Uint8Array | null]>): void;
}

/**
 * Warms the node cache with the account paths of a block's senders, recipients and `extra`
 * addresses in the trie at `root` (the state the block starts from), and hands the accounts found
 * to `sink`, so execution reads them without walking the trie again.
 */
export async function prefetchBlockAccounts(
  store: PrefetchStore,
  sink: AccountSink | null,
  root: Uint8Array,
  txs: readonly Uint8Array[],
  senders: readonly Uint8Array[],
  extra: readonly Uint8Array[] = [],
): Promise<number> {
  const byKey = new Map<Uint8Array, Uint8Array>();
  const keys: Uint8Array[] = [];
  const seen = new Set<string>();
  const add = (a: Uint8Array | undefined) => {
    if (a?.length !== 20) return;
    const h = bytesToHex(a);
    if (seen.has(h)) return;
    seen.add(h);
    const k = keccak256(a);
    keys.push(k);
    byKey.set(k, a);
  };
  for (const s of senders) add(s);
  for (const t of txs) add(txRecipient(t));
  for (const a of extra) add(a);
  const found = await prefetchPaths(store, root, keys);
  if (sink)
    sink.seedAccounts(
      root,
      [...found].map(([k, v]) => [byKey.get(k)!, v] as const),
    );
  return found.size;
}
