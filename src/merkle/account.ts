/**
 * The account root hash over fee-dividend accounts (protocol spec §3): accounts sorted by address
 * bytes, leaf = keccak256(pad32(address) ‖ u256(fee)); an odd node at any level is paired with itself.
 */
import { keccak256Batch } from '../crypto/keccak.ts';
import { compareBytes, uintToBytes } from '../util/bytes.ts';

export interface DividendAccount {
  address: Uint8Array;
  fee: bigint;
}

export function accountRoot(accounts: readonly DividendAccount[]): Uint8Array {
  if (accounts.length === 0) throw new Error('accountRoot: no accounts');
  const sorted = [...accounts].sort((a, b) => compareBytes(a.address, b.address));
  const preimages = new Uint8Array(sorted.length * 64);
  sorted.forEach((acc, i) => {
    if (acc.address.length !== 20) throw new Error(`accountRoot: address ${i} is ${acc.address.length} bytes, expected 20`);
    preimages.set(acc.address, i * 64 + 12);
    preimages.set(uintToBytes(acc.fee), i * 64 + 32);
  });
  let layer = keccak256Batch(preimages, 64);
  // One account still hashes once more (leaf paired with itself), so loop while >1 node OR first pass.
  do {
    const n = layer.length / 32;
    const pairs = Math.ceil(n / 2);
    const next = new Uint8Array(pairs * 64);
    next.set(layer);
    if (n % 2 === 1) next.set(layer.subarray((n - 1) * 32, n * 32), n * 32);
    layer = keccak256Batch(next, 64);
  } while (layer.length > 32);
  return layer;
}
