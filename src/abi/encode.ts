/**
 * The few ABI encodings the checkpoint path needs, written out by hand: they run once per checkpoint
 * per root chain and for every vote's sign bytes, and the layouts are fixed. Checked against ethers'
 * AbiCoder in test/protocol/abi.test.ts.
 */
import { hexToBytes, uintToBytes } from '../util/bytes.ts';

export type AbiWord = { type: 'uint256'; value: bigint | number } | { type: 'address'; value: string | Uint8Array } | { type: 'bytes32'; value: string | Uint8Array };

function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? hexToBytes(v) : v;
}

/** abi.encode of static words (uint256, address, bytes32): 32 bytes each. */
export function encodeStaticWords(words: readonly AbiWord[]): Uint8Array {
  const out = new Uint8Array(words.length * 32);
  words.forEach((w, i) => {
    const off = i * 32;
    if (w.type === 'uint256') {
      const v = BigInt(w.value);
      if (v < 0n || v >= 1n << 256n) throw new RangeError(`abi word ${i}: uint256 out of range: ${v}`);
      out.set(uintToBytes(v), off);
    } else if (w.type === 'address') {
      const b = toBytes(w.value);
      if (b.length !== 20) throw new RangeError(`abi word ${i}: address must be 20 bytes, got ${b.length}`);
      out.set(b, off + 12);
    } else {
      const b = toBytes(w.value);
      if (b.length !== 32) throw new RangeError(`abi word ${i}: bytes32 must be 32 bytes, got ${b.length}`);
      out.set(b, off);
    }
  });
  return out;
}

/** Reads 32-byte word `i` of `data` as an unsigned integer. */
export function readWord(data: Uint8Array, i: number): bigint {
  if (data.length < (i + 1) * 32) throw new RangeError(`abi: word ${i} is past the end (${data.length} bytes)`);
  let v = 0n;
  for (let k = i * 32; k < (i + 1) * 32; k++) v = (v << 8n) | BigInt(data[k]!);
  return v;
}

/**
 * selector ‖ abi.encode(bytes data, uint256[3][] triples): the layout of RootChain.submitCheckpoint
 * and StakeManager.submitCheckpointSync.
 */
export function encodeBytesAndTriples(selector: Uint8Array, data: Uint8Array, triples: readonly (readonly [bigint, bigint, bigint])[]): Uint8Array {
  if (selector.length !== 4) throw new RangeError('abi: selector must be 4 bytes');
  const dataPadded = Math.ceil(data.length / 32) * 32;
  const size = 4 + 64 + 32 + dataPadded + 32 + triples.length * 96;
  const out = new Uint8Array(size);
  out.set(selector, 0);
  let off = 4;
  out.set(uintToBytes(64), off); // offset of `data` (after two head words)
  out.set(uintToBytes(64 + 32 + dataPadded), off + 32); // offset of `triples`
  off += 64;
  out.set(uintToBytes(data.length), off);
  out.set(data, off + 32);
  off += 32 + dataPadded;
  out.set(uintToBytes(triples.length), off);
  off += 32;
  for (const t of triples) {
    for (const v of t) {
      out.set(uintToBytes(v), off);
      off += 32;
    }
  }
  return out;
}
