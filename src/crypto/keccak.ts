/**
 * keccak256. Single hashes use @noble/hashes for small inputs; the batch entry points hash many
 * fixed-size records in one call, which is what Merkle layers need (one call per layer, not per node).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * Hashes `count` consecutive records of `recordSize` bytes from `input` and returns count×32 bytes.
 * This is the per-layer fast path; see `keccakBackend` for which implementation serves it.
 */
export function keccak256Batch(input: Uint8Array, recordSize: number): Uint8Array {
  if (recordSize <= 0 || input.length % recordSize !== 0) throw new RangeError(`keccak256Batch: input length ${input.length} is not a multiple of record size ${recordSize}`);
  const count = input.length / recordSize;
  const out = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) out.set(keccak_256(input.subarray(i * recordSize, (i + 1) * recordSize)), i * 32);
  return out;
}

export const keccakBackend: 'native' | 'js' = 'js';
