/**
 * Block encoding shared by the executor, the chain store and RPC: pre-London header RLP and hash,
 * receipt consensus encoding, ordered-trie roots (transactions, receipts) and the logs bloom.
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from './crypto.ts';
import type { HeaderFields, Log, Receipt } from './interface.ts';

export const EMPTY_TRIE_ROOT = keccak256(RLP.encode(new Uint8Array(0)));
export const EMPTY_UNCLE_HASH = keccak256(RLP.encode([]));
export const ZERO_HASH = new Uint8Array(32);
export const ZERO_ADDRESS = new Uint8Array(20);

export function bigToBytes(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError(`negative quantity ${v}`);
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToBig(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

export function headerToList(h: HeaderFields): Uint8Array[] {
  return [
    h.parentHash,
    h.uncleHash,
    h.coinbase,
    h.stateRoot,
    h.txRoot,
    h.receiptRoot,
    h.bloom,
    bigToBytes(h.difficulty),
    bigToBytes(h.number),
    bigToBytes(h.gasLimit),
    bigToBytes(h.gasUsed),
    bigToBytes(h.time),
    h.extra,
    h.mixDigest,
    h.nonce,
  ];
}

export function encodeHeader(h: HeaderFields): Uint8Array {
  return RLP.encode(headerToList(h));
}

function fixed(b: Uint8Array, len: number, name: string): Uint8Array {
  if (b.length !== len) throw new Error(`header ${name}: expected ${len} bytes, got ${b.length}`);
  return b;
}

export function headerFromList(v: Uint8Array[]): HeaderFields {
  if (!Array.isArray(v) || v.length !== 15) throw new Error(`header: expected a list of 15 fields (pre-London), got ${Array.isArray(v) ? v.length : 'a byte string'}`);
  return {
    parentHash: fixed(v[0]!, 32, 'parentHash'),
    uncleHash: fixed(v[1]!, 32, 'uncleHash'),
    coinbase: fixed(v[2]!, 20, 'coinbase'),
    stateRoot: fixed(v[3]!, 32, 'stateRoot'),
    txRoot: fixed(v[4]!, 32, 'txRoot'),
    receiptRoot: fixed(v[5]!, 32, 'receiptRoot'),
    bloom: fixed(v[6]!, 256, 'bloom'),
    difficulty: bytesToBig(v[7]!),
    number: bytesToBig(v[8]!),
    gasLimit: bytesToBig(v[9]!),
    gasUsed: bytesToBig(v[10]!),
    time: bytesToBig(v[11]!),
    extra: v[12]!,
    mixDigest: fixed(v[13]!, 32, 'mixDigest'),
    nonce: fixed(v[14]!, 8, 'nonce'),
  };
}

export function decodeHeader(bytes: Uint8Array): HeaderFields {
  return headerFromList(RLP.decode(bytes) as Uint8Array[]);
}

export function hashHeader(h: HeaderFields): Uint8Array {
  return keccak256(encodeHeader(h));
}

export function logToList(l: Log): (Uint8Array | Uint8Array[])[] {
  return [l.address, l.topics, l.data];
}

export function logFromList(v: unknown): Log {
  const [address, topics, data] = v as [Uint8Array, Uint8Array[], Uint8Array];
  return { address, topics, data };
}

/** Consensus receipt encoding: rlp([status, cumulativeGas, bloom, logs]), type-prefixed for typed txs. */
export function encodeReceipt(r: Receipt): Uint8Array {
  const body = RLP.encode([r.status === 1 ? Uint8Array.of(1) : new Uint8Array(0), bigToBytes(r.cumulativeGasUsed), r.logsBloom, r.logs.map(logToList)]);
  if (r.txType === 0) return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = r.txType;
  out.set(body, 1);
  return out;
}

/**
 * The consensus encoding of a receipt object that was encoded once or decoded from it, kept on the
 * object under a non-enumerable symbol (invisible to equality checks and JSON). A block's receipts
 * are encoded by the executor for the receipt root, cross to the main thread and are stored there:
 * with this the bytes are built once, not three times (≈ 20 µs an ERC-20 receipt on the main thread
 * alone). Not a WeakMap: its ephemeron entries cost every garbage collection, measurably more than
 * the encoding saved. Receipts are values: nothing changes one after it is built.
 */
const ENCODED = Symbol('receiptEncoding');
type WithEncoding = Receipt & { [ENCODED]?: Uint8Array };

function remember(r: Receipt, enc: Uint8Array): void {
  Object.defineProperty(r, ENCODED, { value: enc, enumerable: false, writable: false, configurable: false });
}

/** encodeReceipt, remembered on the object (see ENCODED); the bytes must not be modified. */
export function receiptEncoding(r: Receipt): Uint8Array {
  let enc = (r as WithEncoding)[ENCODED];
  if (enc === undefined) {
    enc = encodeReceipt(r);
    if (Object.isExtensible(r)) remember(r, enc);
  }
  return enc;
}

/**
 * A receipt as the chain store keeps it and as it crosses the executor worker boundary:
 * [consensus encoding, gasUsed, [contractAddress] or []].
 */
export type ReceiptItem = [Uint8Array, Uint8Array, Uint8Array[]];

export function receiptToItem(r: Receipt): ReceiptItem {
  return [receiptEncoding(r), bigToBytes(r.gasUsed), r.contractAddress ? [r.contractAddress] : []];
}

/** Inverse of receiptToItem; the object remembers its consensus encoding (it is stored as is). */
export function receiptFromItem(item: unknown): Receipt {
  const [enc, gasUsed, ca] = item as ReceiptItem;
  if (!(enc instanceof Uint8Array) || !(gasUsed instanceof Uint8Array) || !Array.isArray(ca) || ca.length > 1) throw new Error('receipt: expected [encoding, gasUsed, [contractAddress]?]');
  const r: Receipt = { ...decodeReceipt(enc), gasUsed: bytesToBig(gasUsed) };
  if (ca.length) r.contractAddress = ca[0]!;
  remember(r, enc);
  return r;
}

/** Inverse of encodeReceipt; gasUsed and contractAddress are not part of the consensus form. */
export function decodeReceipt(bytes: Uint8Array): Omit<Receipt, 'gasUsed' | 'contractAddress'> {
  const txType = bytes[0]! <= 0x7f ? bytes[0]! : 0;
  const v = RLP.decode(txType === 0 ? bytes : bytes.subarray(1)) as unknown as [Uint8Array, Uint8Array, Uint8Array, unknown[]];
  return { txType, status: v[0].length > 0 && v[0][0] === 1 ? 1 : 0, cumulativeGasUsed: bytesToBig(v[1]), logsBloom: v[2], logs: v[3].map(logFromList) };
}

/**
 * Root of the trie keyed by rlp(index) (transactions, receipts), built in one pass over the sorted
 * keys: every node is encoded and hashed once, where inserting into an MPT re-hashes the path to the
 * root on every put (≈700 ms for two 952-entry tries on this machine, against a few ms here).
 */
export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  if (values.length === 0) return EMPTY_TRIE_ROOT;
  const entries: [Uint8Array, Uint8Array][] = values.map((v, i) => [toNibbles(RLP.encode(i)), v]);
  entries.sort((a, b) => compareNibbles(a[0], b[0]));
  return trieRootOfSorted(entries);
}

/** Root of a trie over sorted, distinct, prefix-free nibble keys. */
export function trieRootOfSorted(entries: [Uint8Array, Uint8Array][]): Uint8Array {
  if (entries.length === 0) return EMPTY_TRIE_ROOT;
  return keccak256(RLP.encode(buildNode(entries, 0, entries.length, 0)));
}

type Node = Uint8Array | Node[];

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Hex-prefix encoding of a nibble path (leaf flag 2, odd flag 1). */
function hexPrefix(nibbles: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const len = to - from;
  const odd = len & 1;
  const out = new Uint8Array(1 + (len >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = from;
  if (odd) out[0]! |= nibbles[i++]!;
  for (let o = 1; i < to; i += 2, o++) out[o] = (nibbles[i]! << 4) | nibbles[i + 1]!;
  return out;
}

/** A child reference: the node itself when its encoding is under 32 bytes, else its hash. */
function ref(node: Node): Node {
  const enc = RLP.encode(node);
  return enc.length < 32 ? node : keccak256(enc);
}

function buildNode(e: [Uint8Array, Uint8Array][], lo: number, hi: number, depth: number): Node {
  const first = e[lo]![0];
  if (hi - lo === 1) return [hexPrefix(first, depth, first.length, true), e[lo]![1]];
  // Sorted keys: the common prefix of the range is the common prefix of its first and last keys.
  const last = e[hi - 1]![0];
  let cp = depth;
  while (cp < first.length && cp < last.length && first[cp] === last[cp]) cp++;
  if (cp > depth) return [hexPrefix(first, depth, cp, false), ref(buildNode(e, lo, hi, cp))];
  const branch: Node[] = new Array<Node>(17).fill(new Uint8Array(0));
  let i = lo;
  if (first.length === depth) {
    branch[16] = e[lo]![1];
    i++;
  }
  while (i < hi) {
    const nib = e[i]![0][depth]!;
    let j = i + 1;
    while (j < hi && e[j]![0][depth] === nib) j++;
    branch[nib] = ref(buildNode(e, i, j, depth + 1));
    i = j;
  }
  return branch;
}

/** 2048-bit bloom over log addresses and topics (3 × 11-bit indices from keccak). */
export function bloomAdd(bloom: Uint8Array, item: Uint8Array): void {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

export function logsBloom(logs: Log[]): Uint8Array {
  const bloom = new Uint8Array(256);
  for (const l of logs) {
    bloomAdd(bloom, l.address);
    for (const t of l.topics) bloomAdd(bloom, t);
  }
  return bloom;
}

export function orBloom(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < 256; i++) into[i]! |= other[i]!;
}

export function bloomContains(bloom: Uint8Array, item: Uint8Array): boolean {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    if ((bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}
