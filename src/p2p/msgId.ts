/**
 * Message ids for gossip dedup: a 64-bit non-cryptographic hash over topic + data, two
 * MurmurHash3-style 32-bit lanes fed the same 32-bit words in one pass. It costs about a word-loop
 * per 4 bytes (a 200-byte tx ≈ 1 µs) where SHA-256 in JS costs tens of µs; the ids are the same on
 * every node, as gossipsub's IHAVE/IWANT needs.
 *
 * Trade-off, on purpose: collisions can be crafted, so a peer could pre-empt a message by sending a
 * different one with the same id first. Every payload here is signed by a validator or sender and
 * its hash is checked by its owner module, so the worst case is a delayed message fetched again by
 * sync or re-gossip, not a wrong one accepted.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Lanes {
  h1: number;
  h2: number;
}

function mix(state: Lanes, bytes: Uint8Array): void {
  let h1 = state.h1;
  let h2 = state.h2;
  const n = bytes.length;
  const whole = n & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= Math.imul(k, 0x9e3779b1);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 9) + 0x7f4a7c15) | 0;
  }
  const tail = n & 3;
  if (tail !== 0) {
    let k = bytes[i]!;
    if (tail > 1) k ^= bytes[i + 1]! << 8;
    if (tail > 2) k ^= bytes[i + 2]! << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h2 ^= Math.imul(k, 0x9e3779b1);
  }
  // Lengths go in so that topic‖data splits cannot alias ("ab"+"c" vs "a"+"bc").
  h1 ^= n;
  h2 ^= n + 0x5bd1e995;
  state.h1 = h1;
  state.h2 = h2;
}

const topicBytesCache = new Map<string, Uint8Array>();
const encoder = new TextEncoder();

function topicBytes(topic: string): Uint8Array {
  let b = topicBytesCache.get(topic);
  if (b === undefined) {
    b = encoder.encode(topic);
    if (topicBytesCache.size < 256) topicBytesCache.set(topic, b);
  }
  return b;
}

/** The 8-byte id of `data` on `topic`. */
export function messageId(topic: string, data: Uint8Array, seed = 0): Uint8Array {
  const s: Lanes = { h1: seed | 0, h2: (seed ^ 0x6a09e667) | 0 };
  mix(s, topicBytes(topic));
  mix(s, data);
  const a = fmix(s.h1 ^ (s.h2 >>> 0));
  const b = fmix(s.h2 + a);
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint32(0, a);
  v.setUint32(4, b);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function idToHex(id: Uint8Array): string {
  let s = '';
  for (let i = 0; i < id.length; i++) s += HEX[id[i]!];
  return s;
}
