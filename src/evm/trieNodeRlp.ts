/**
 * RLP for trie nodes on the commit path: a decoder that returns views into the node's bytes and an
 * encoder that writes a node's items straight into one buffer.
 *
 * Why: at 1M accounts a block commits ~7,000 trie nodes and loads as many; @ethereumjs/rlp's generic
 * decode (a copy per item, a bounds-checked slice per call) and encode (an array of parts joined per
 * list) were a third of the commit in the profile. Output is RLP byte for byte
 * (test/evm/trie-node-rlp.test.ts checks both against @ethereumjs/rlp on random nodes, and
 * test/evm/batch-trie.test.ts checks whole tries against @ethereumjs/mpt).
 */

export type Decoded = Uint8Array | Decoded[];

/** The nibble path of a leaf or extension node's hex-prefix item, and which of the two it is. */
export function decodeHexPrefix(b: Uint8Array): { path: number[]; leaf: boolean } {
  const flag = b[0]! >> 4;
  if (flag > 3) throw new Error(`trie node: bad hex-prefix flag ${flag}`);
  const path: number[] = [];
  if (flag & 1) path.push(b[0]! & 15);
  for (let i = 1; i < b.length; i++) path.push(b[i]! >> 4, b[i]! & 15);
  return { path, leaf: flag >= 2 };
}

function fail(why: string): never {
  throw new Error(`trie node RLP: ${why}`);
}

function readLength(b: Uint8Array, at: number, n: number): number {
  if (n > 4 || at + n > b.length) fail('length out of range');
  if (b[at] === 0) fail('length with a leading zero');
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[at + i]!;
  if (len < 56) fail('long form for a short length');
  return len;
}

/** One item at `pos`; returns it and the position after it. */
function item(b: Uint8Array, pos: number, end: number): [Decoded, number] {
  if (pos >= end) fail('truncated');
  const p = b[pos]!;
  if (p < 0x80) return [b.subarray(pos, pos + 1), pos + 1];
  if (p < 0xc0) {
    let start = pos + 1;
    let len = p - 0x80;
    if (p > 0xb7) {
      len = readLength(b, start, p - 0xb7);
      start += p - 0xb7;
    }
    if (start + len > end) fail('string runs past its end');
    if (len === 1 && b[start]! < 0x80) fail('a single byte below 0x80 in string form');
    return [b.subarray(start, start + len), start + len];
  }
  let start = pos + 1;
  let len = p - 0xc0;
  if (p > 0xf7) {
    len = readLength(b, start, p - 0xf7);
    start += p - 0xf7;
  }
  const stop = start + len;
  if (stop > end) fail('list runs past its end');
  const out: Decoded[] = [];
  let at = start;
  while (at < stop) {
    const [d, next] = item(b, at, stop);
    out.push(d);
    at = next;
  }
  return [out, stop];
}

/** Decodes a whole node; its byte strings are views into `raw` (never written to). */
export function decodeNode(raw: Uint8Array): Decoded {
  const [d, next] = item(raw, 0, raw.length);
  if (next !== raw.length) fail('trailing bytes');
  return d;
}

function headerLength(len: number): number {
  return len < 56 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
}

function writeHeader(out: Uint8Array, at: number, len: number, short: number, long: number): number {
  if (len < 56) {
    out[at] = short + len;
    return at + 1;
  }
  const n = headerLength(len) - 1;
  out[at] = long + n;
  for (let i = n; i >= 1; i--) {
    out[at + i] = len & 0xff;
    len >>>= 8;
  }
  return at + 1 + n;
}

/** The RLP of a byte string. */
export function encodeBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0]! < 0x80) return b;
  const out = new Uint8Array(headerLength(b.length) + b.length);
  out.set(b, writeHeader(out, 0, b.length, 0x80, 0xb7));
  return out;
}

/** The RLP of a list whose items are given already encoded. */
export function encodeList(items: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const i of items) len += i.length;
  const out = new Uint8Array(headerLength(len) + len);
  let at = writeHeader(out, 0, len, 0xc0, 0xf7);
  for (const i of items) {
    out.set(i, at);
    at += i.length;
  }
  return out;
}

/** The RLP of the empty string (an empty child slot, a branch's empty value). */
export const EMPTY_ITEM = Uint8Array.of(0x80);
