/**
 * Native crypto for the EVM packages: keccak from src/crypto/keccak.ts (the project's N-API addon,
 * with its own fallbacks) and ecrecover on libsecp256k1 through src/crypto/secp256k1.ts, shaped as
 * EthereumJS's `customCrypto` expects.
 */
import { keccak256, keccakImplementation } from '../crypto/keccak.ts';
import { recover, secp256k1Backend } from '../crypto/secp256k1.ts';

export { keccak256 };

function pad32(b: Uint8Array): Uint8Array {
  if (b.length === 32) return b;
  if (b.length > 32) throw new Error(`ecrecover: r/s longer than 32 bytes (${b.length})`);
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

/**
 * EthereumJS's ecrecover contract: v is 27/28, 0/1 or EIP-155 (35 + 2·chainId + recid); returns the
 * 64-byte public key without the 0x04 prefix.
 */
export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recid = chainId === undefined ? (v >= 27n ? v - 27n : v) : v - (2n * chainId + 35n);
  if (recid !== 0n && recid !== 1n) throw new Error(`ecrecover: invalid signature v value ${v}`);
  const sig = new Uint8Array(64);
  sig.set(pad32(r), 0);
  sig.set(pad32(s), 32);
  return recover(sig, Number(recid), msgHash).subarray(1);
}

export const evmCryptoBackend = { keccak: keccakImplementation, secp256k1: secp256k1Backend } as const;
