/**
 * Merkle roots from packed preimages, as the hash worker computes them: every layer is one batch
 * keccak call, hashed in place into the front of the same buffer (safe: record i is read before
 * output i is written, and output i ends where record i+1 starts), so a root allocates two buffers
 * whatever the range. Same results as src/merkle/{checkpoint,account}.ts (tested).
 */
import { keccak256Batch } from '../crypto/keccak.ts';
import { LEAF_PREIMAGE_SIZE, MAX_ROOT_HASH_BLOCKS, nextPowerOfTwo } from '../merkle/checkpoint.ts';

/** Checkpoint root (protocol §2) over count×128-byte leaf preimages. */
export function checkpointRootFromPreimages(preimages: Uint8Array): Uint8Array {
  const count = preimages.length / LEAF_PREIMAGE_SIZE;
  if (!Number.isInteger(count) || count === 0) throw new RangeError(`checkpoint root: preimages must be a non-empty multiple of ${LEAF_PREIMAGE_SIZE} bytes, got ${preimages.length}`);
  if (count > MAX_ROOT_HASH_BLOCKS) throw new RangeError(`checkpoint root: ${count} blocks exceed the limit of ${MAX_ROOT_HASH_BLOCKS}`);
  const width = nextPowerOfTwo(count);
  // zero padding leaves are 32 zero bytes (not hashed), already there in a fresh buffer
  const layer = new Uint8Array(width * 32);
  keccak256Batch(preimages, LEAF_PREIMAGE_SIZE, layer);
  for (let n = width; n > 1; n >>= 1) keccak256Batch(layer.subarray(0, n * 32), 64, layer);
  return layer.slice(0, 32);
}

/**
 * Account root (protocol §3) over count×64-byte preimages (pad32(address) ‖ u256(fee)), already
 * sorted by address: an odd node at any level is paired with itself, and one account still hashes
 * once more (its leaf paired with itself).
 */
export function accountRootFromPreimages(preimages: Uint8Array): Uint8Array {
  const count = preimages.length / 64;
  if (!Number.isInteger(count) || count === 0) throw new RangeError(`account root: preimages must be a non-empty multiple of 64 bytes, got ${preimages.length}`);
  // room for the duplicated odd node at the first level
  const layer = new Uint8Array((count + 1) * 32);
  keccak256Batch(preimages, 64, layer);
  let n = count;
  do {
    if (n % 2 === 1) {
      layer.copyWithin(n * 32, (n - 1) * 32, n * 32);
      n++;
    }
    keccak256Batch(layer.subarray(0, n * 32), 64, layer);
    n >>= 1;
  } while (n > 1);
  return layer.slice(0, 32);
}
