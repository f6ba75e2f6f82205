/**
 * Legacy (EIP-155) transaction signing with the native secp256k1 binding: tests, benches and the
 * load generator make thousands of signed transactions and EthereumJS's JS signer costs milliseconds each.
 */
import { RLP } from '@ethereumjs/rlp';
import { sign } from '../crypto/secp256k1.ts';
import { keccak256 } from './crypto.ts';

export interface LegacyTxFields {
  nonce: bigint | number;
  gasPrice: bigint | number;
  gasLimit: bigint | number;
  /** 20 bytes, or undefined for a contract creation. */
  to?: Uint8Array;
  value?: bigint | number;
  data?: Uint8Array;
}

function uint(v: bigint | number): Uint8Array {
  let n = BigInt(v);
  if (n < 0n) throw new RangeError(`negative tx field ${n}`);
  if (n === 0n) return new Uint8Array(0);
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return Uint8Array.from(bytes);
}

function trim(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** RLP-encoded signed legacy transaction with EIP-155 replay protection. */
export function signLegacyTx(tx: LegacyTxFields, chainId: bigint | number, secretKey: Uint8Array): Uint8Array {
  const body = [uint(tx.nonce), uint(tx.gasPrice), uint(tx.gasLimit), tx.to ?? new Uint8Array(0), uint(tx.value ?? 0), tx.data ?? new Uint8Array(0)];
  const digest = keccak256(RLP.encode([...body, uint(chainId), new Uint8Array(0), new Uint8Array(0)]));
  const { signature, recid } = sign(digest, secretKey);
  const v = BigInt(chainId) * 2n + 35n + BigInt(recid);
  return RLP.encode([...body, uint(v), trim(signature.subarray(0, 32)), trim(signature.subarray(32, 64))]);
}
