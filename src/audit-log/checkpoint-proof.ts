/**
 * Merkle proofs in a checkpoint root (spec §2): leaves padded with 32-byte zero leaves to a power of
 * two, parents keccak256(left ‖ right). A proof is the sibling at each level, leaf to root.
 */
import { keccak256 } from '../crypto/keccak.ts';
import { nextPowerOfTwo } from '../merkle/checkpoint.ts';
import { concatBytes, equalBytes } from '../util/bytes.ts';

/** Siblings of leaf `index` among `leaves` (count×32 bytes, unpadded). */
export function merkleProof(leaves: Uint8Array, index: number): Uint8Array[] {
  const count = leaves.length / 32;
  if (!Number.isInteger(count) || count === 0) throw new RangeError('merkleProof: leaves must be a non-empty multiple of 32 bytes');
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`merkleProof: index ${index} outside 0..${count - 1}`);
  let layer: Uint8Array[] = [];
  for (let i = 0; i < nextPowerOfTwo(count); i++) layer.push(i < count ? leaves.slice(i * 32, i * 32 + 32) : new Uint8Array(32));
  const out: Uint8Array[] = [];
  let i = index;
  while (layer.length > 1) {
    out.push(layer[i ^ 1]!);
    const next: Uint8Array[] = [];
    for (let j = 0; j < layer.length; j += 2) next.push(keccak256(concatBytes(layer[j]!, layer[j + 1]!)));
    layer = next;
    i >>= 1;
  }
  return out;
}

/** Does `leaf` at `index` with these siblings hash up to `root`? */
export function verifyMerkleProof(leaf: Uint8Array, index: number, siblings: readonly Uint8Array[], root: Uint8Array): boolean {
  let h = leaf;
  let i = index;
  for (const s of siblings) {
    h = i & 1 ? keccak256(concatBytes(s, h)) : keccak256(concatBytes(h, s));
    i >>= 1;
  }
  return i === 0 && equalBytes(h, root);
}
