/**
 * The checkpoint root over a block range (protocol spec §2, Bttc's `bor_getRootHash`):
 * leaf = keccak256(u256(number) ‖ u256(timestamp) ‖ txRoot ‖ receiptsRoot), leaves padded with zero
 * leaves to a power of two, parents keccak256(left ‖ right). Each layer is one batch hash call.
 */
import { keccak256Batch } from '../crypto/keccak.ts';
import { uintToBytes } from '../util/bytes.ts';

export const MAX_ROOT_HASH_BLOCKS = 1 << 15;
export const LEAF_PREIMAGE_SIZE = 128;

export interface CheckpointHeader {
  number: bigint | number;
  timestamp: bigint | number;
  txRoot: Uint8Array;
  receiptsRoot: Uint8Array;
}

/** Packs headers into one buffer of 128-byte leaf preimages (the form the hash pool receives). */
export function packLeafPreimages(headers: readonly CheckpointHeader[]): Uint8Array {
  const out = new Uint8Array(headers.length * LEAF_PREIMAGE_SIZE);
  headers.forEach((h, i) => {
    if (h.txRoot.length !== 32 || h.receiptsRoot.length !== 32) throw new Error(`block ${h.number}: txRoot and receiptsRoot must be 32 bytes`);
    const off = i * LEAF_PREIMAGE_SIZE;
    out.set(uintToBytes(h.number), off);
    out.set(uintToBytes(h.timestamp), off + 32);
    out.set(h.txRoot, off + 64);
    out.set(h.receiptsRoot, off + 96);
  });
  return out;
}

/** Leaves (count×32 bytes) from packed preimages. */
export function leavesFromPreimages(preimages: Uint8Array): Uint8Array {
  return keccak256Batch(preimages, LEAF_PREIMAGE_SIZE);
}

/**
 * Root of concatenated 32-byte leaves padded with zero leaves to the next power of two. Zero padding
 * is not hashed (a padded leaf is 32 zero bytes), so the layer above a pair of padding leaves is
 * keccak256(0^64): computed like any other pair, which keeps the loop branch-free.
 */
export function rootFromLeaves(leaves: Uint8Array): Uint8Array {
  const count = leaves.length / 32;
  if (!Number.isInteger(count) || count === 0) throw new Error('rootFromLeaves: need at least one 32-byte leaf');
  if (count > MAX_ROOT_HASH_BLOCKS) throw new RangeError(`rootFromLeaves: ${count} leaves exceed the limit of ${MAX_ROOT_HASH_BLOCKS}`);
  if (count === 1) return leaves.slice(0, 32);
  const width = nextPowerOfTwo(count);
  let layer = new Uint8Array(width * 32);
  layer.set(leaves);
  while (layer.length > 32) layer = keccak256Batch(layer, 64) as Uint8Array<ArrayBuffer>;
  return layer;
}

export function checkpointRoot(headers: readonly CheckpointHeader[]): Uint8Array {
  if (headers.length === 0) throw new Error('checkpointRoot: empty block range');
  return rootFromLeaves(leavesFromPreimages(packLeafPreimages(headers)));
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}
