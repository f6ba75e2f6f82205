/**
 * A Merkle-Patricia trie update applied as one batch: load the nodes on the touched paths, change
 * them in memory, then encode and hash each changed node once, bottom-up.
 *
 * Why: EthereumJS's MPT applies a block's 2,000 account updates one `put` at a time, and every put
 * decodes, re-encodes and re-hashes the whole path from the root, so the root and the upper branches
 * are encoded and hashed ~2,000 times per block and the nodes of all but the last version are
 * garbage. Committing state was more than half of a plain-transfer block. Here each node a block
 * changes is encoded and hashed exactly once; untouched subtrees keep their hash references.
 *
 * Scope: the state and storage tries, whose keys are 32-byte hashes (64 nibbles, all the same
 * length), so a value only ever sits in a leaf; a branch carrying a value is refused loudly rather
 * than mishandled. The result is byte-for-byte the trie the MPT builds (test/evm/batch-trie.test.ts
 * compares roots and stored nodes with @ethereumjs/mpt over random updates).
 */
import { keccak256 } from './crypto.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { EMPTY_TRIE_ROOT } from './block.ts';
import { EMPTY_ITEM, decodeHexPrefix, decodeNode, encodeBytes, encodeList, type Decoded } from './trieNodeRlp.ts';

/** Where nodes are read from and written to, by unprefixed hex hash (the MPT's own key form). */
export interface TrieNodeStore {
  get(hexKey: string): Promise<Uint8Array | undefined>;
  put(hexKey: string, value: Uint8Array): Promise<void>;
  /** A node already in memory, read without a promise (StateDb): most of a commit's loads are. */
  cached?(hexKey: string): Uint8Array | undefined;
  /**
   * Where an update's new nodes go when the store has it (StateDb): every node so written is referenced
   * by the root the update returns, which lets the store skip its reachability walk.
   */
  putResult?(hexKey: string, value: Uint8Array): void;
}

/** A key (32 bytes) and its new value, or null to delete it. */
export type TrieUpdate = readonly [key: Uint8Array, value: Uint8Array | null];

/** A child slot: nothing, a stored node not loaded yet (its hash), or a node in memory. */
type Child = null | Uint8Array | TrieNode;

interface Branch {
  kind: 'branch';
  children: Child[];
  /** The hash it was loaded from, while unchanged (so it is referenced, not re-encoded). */
  hash?: Uint8Array;
}
interface Extension {
  kind: 'ext';
  path: number[];
  child: Child;
  hash?: Uint8Array;
}
interface Leaf {
  kind: 'leaf';
  path: number[];
  value: Uint8Array;
  hash?: Uint8Array;
}
type TrieNode = Branch | Extension | Leaf;

function nibbles(key: Uint8Array): number[] {
  const out = new Array<number>(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

/** Hex-prefix encoding (Yellow Paper appendix C). */
function hexPrefix(path: readonly number[], leaf: boolean): Uint8Array {
  const odd = path.length % 2;
  const out = new Uint8Array(1 + (path.length >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = 0;
  if (odd) out[0]! |= path[i++]!;
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

function childOf(d: Decoded): Child {
  if (Array.isArray(d)) return nodeOf(d); // embedded (shorter than 32 bytes)
  if (d.length === 0) return null;
  if (d.length !== 32) throw new Error(`trie node: a child reference of ${d.length} bytes`);
  return d;
}

function nodeOf(d: Decoded, hash?: Uint8Array): TrieNode {
  if (!Array.isArray(d)) throw new Error('trie node: not a list');
  if (d.length === 17) {
    const value = d[16]!;
    if (!(value instanceof Uint8Array) || value.length !== 0) throw new Error('trie node: a branch with a value (keys of different lengths are not supported here)');
    return { kind: 'branch', children: d.slice(0, 16).map(childOf), hash };
  }
  if (d.length !== 2 || !(d[0] instanceof Uint8Array)) throw new Error(`trie node: a list of ${d.length} items`);
  const { path, leaf } = decodeHexPrefix(d[0]);
  if (leaf) {
    if (!(d[1] instanceof Uint8Array)) throw new Error('trie node: a leaf value that is a list');
    return { kind: 'leaf', path, value: d[1], hash };
  }
  return { kind: 'ext', path, child: childOf(d[1]!), hash };
}

function commonPrefix(a: readonly number[], b: readonly number[], bFrom: number): number {
  let i = 0;
  while (i < a.length && bFrom + i < b.length && a[i] === b[bFrom + i]) i++;
  return i;
}

export class BatchTrie {
  readonly #store: TrieNodeStore;

  constructor(store: TrieNodeStore) {
    this.#store = store;
  }

  async #load(c: Child): Promise<TrieNode | null> {
    if (c === null || !(c instanceof Uint8Array)) return c;
    const hex = bytesToHex(c).slice(2);
    const raw = this.#store.cached?.(hex) ?? (await this.#store.get(hex));
    if (raw === undefined) throw new Error(`trie node ${hex} is missing`);
    return nodeOf(decodeNode(raw), c);
  }

  async #insert(c: Child, key: number[], at: number, value: Uint8Array): Promise<TrieNode> {
    const node = await this.#load(c);
    if (node === null) return { kind: 'leaf', path: key.slice(at), value };
    if (node.kind === 'branch') {
      const children = node.children.slice();
      children[key[at]!] = await this.#insert(children[key[at]!]!, key, at + 1, value);
      return { kind: 'branch', children };
    }
    const n = commonPrefix(node.path, key, at);
    if (node.kind === 'leaf' && n === node.path.length) {
      if (at + n !== key.length) throw new Error('trie update: keys of different lengths');
      return { kind: 'leaf', path: node.path, value };
    }
    if (node.kind === 'ext' && n === node.path.length) return { kind: 'ext', path: node.path, child: await this.#insert(node.child, key, at + n, value) };
    // the paths part at nibble n: a branch there, under an extension for the shared part
    if (at + n >= key.length) throw new Error('trie update: keys of different lengths');
    const children: Child[] = new Array<Child>(16).fill(null);
    const rest = node.path.slice(n + 1);
    children[node.path[n]!] = node.kind === 'leaf' ? { kind: 'leaf', path: rest, value: node.value } : rest.length === 0 ? node.child : { kind: 'ext', path: rest, child: node.child };
    children[key[at + n]!] = { kind: 'leaf', path: key.slice(at + n + 1), value };
    const branch: Branch = { kind: 'branch', children };
    return n === 0 ? branch : { kind: 'ext', path: node.path.slice(0, n), child: branch };
  }

  /** The node with `key` removed; the same object when the key is absent. */
  async #delete(c: Child, key: number[], at: number): Promise<Child> {
    const node = await this.#load(c);
    if (node === null) return null;
    if (node.kind === 'leaf') return commonPrefix(node.path, key, at) === node.path.length && at + node.path.length === key.length ? null : c;
    if (node.kind === 'ext') {
      if (commonPrefix(node.path, key, at) !== node.path.length) return c;
      const child = await this.#delete(node.child, key, at + node.path.length);
      if (child === node.child) return c;
      return this.#joinPath(node.path, child);
    }
    const i = key[at]!;
    const child = await this.#delete(node.children[i]!, key, at + 1);
    if (child === node.children[i]) return c;
    const children = node.children.slice();
    children[i] = child;
    let only = -1;
    for (let k = 0; k < 16; k++) {
      if (children[k] === null) continue;
      if (only !== -1) return { kind: 'branch', children }; // two or more left: still a branch
      only = k;
    }
    if (only === -1) return null;
    // one child left: the branch folds into it
    return this.#joinPath([only], children[only]!);
  }

  /** `path` followed by `child`: merged into the child when it is a leaf or an extension. */
  async #joinPath(path: number[], c: Child): Promise<Child> {
    const child = await this.#load(c);
    if (child === null) return null;
    if (child.kind === 'leaf') return { kind: 'leaf', path: [...path, ...child.path], value: child.value };
    if (child.kind === 'ext') return { kind: 'ext', path: [...path, ...child.path], child: child.child };
    return { kind: 'ext', path, child: c };
  }

  /** The RLP of a node, with its children as references. */
  #encode(node: TrieNode, writes: Map<string, Uint8Array>): Uint8Array {
    if (node.kind === 'leaf') return encodeList([encodeBytes(hexPrefix(node.path, true)), encodeBytes(node.value)]);
    if (node.kind === 'ext') return encodeList([encodeBytes(hexPrefix(node.path, false)), this.#ref(node.child, writes)]);
    const items: Uint8Array[] = new Array(17);
    for (let i = 0; i < 16; i++) items[i] = this.#ref(node.children[i]!, writes);
    items[16] = EMPTY_ITEM;
    return encodeList(items);
  }

  /**
   * A child as its parent holds it, encoded: its hash (the node stored under it), or the node itself
   * when its RLP is shorter than 32 bytes.
   */
  #ref(c: Child, writes: Map<string, Uint8Array>): Uint8Array {
    if (c === null) return EMPTY_ITEM;
    if (c instanceof Uint8Array) return encodeBytes(c);
    if (c.hash) return encodeBytes(c.hash);
    const raw = this.#encode(c, writes);
    if (raw.length < 32) return raw;
    const hash = keccak256(raw);
    writes.set(bytesToHex(hash).slice(2), raw);
    return encodeBytes(hash);
  }

  /**
   * Applies `updates` in order to the trie at `root` and returns the new root. New nodes are put into
   * the store (the root always, as the MPT does, even when it is shorter than 32 bytes).
   */
  async update(root: Uint8Array, updates: Iterable<TrieUpdate>): Promise<Uint8Array> {
    let top: Child = equalBytes(root, EMPTY_TRIE_ROOT) ? null : root;
    for (const [key, value] of updates) {
      if (key.length !== 32) throw new Error(`trie update: a ${key.length}-byte key (hashed 32-byte keys only)`);
      const k = nibbles(key);
      top = value === null || value.length === 0 ? await this.#delete(top, k, 0) : await this.#insert(top, k, 0, value);
    }
    if (top === null) return EMPTY_TRIE_ROOT;
    if (top instanceof Uint8Array) return top;
    if (top.hash) return top.hash;
    const writes = new Map<string, Uint8Array>();
    const raw = this.#encode(top, writes);
    const hash = keccak256(raw);
    writes.set(bytesToHex(hash).slice(2), raw);
    const store = this.#store;
    if (store.putResult) for (const [k, v] of writes) store.putResult(k, v);
    else for (const [k, v] of writes) await store.put(k, v);
    return hash;
  }
}
