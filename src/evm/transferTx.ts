/**
 * A light decode of the one transaction shape the executor's transfer fast path applies: a signed
 * legacy transaction with a 20-byte recipient and no data. EthereumJS's `createTxFromRLP` builds a
 * full transaction object (parameter lookups, Address objects, per-field conversions, ≈ 0.035 ms a
 * transaction here) that a plain transfer never needs.
 *
 * The contract is one-sided: this returns fields only for an encoding `createTxFromRLP` accepts (on a
 * Berlin Common of `chainId`) with the same nonce, gas price, gas limit, recipient and value; for
 * anything else, or anything it is unsure of, it returns null and the caller takes the full decode,
 * which accepts or rejects as before. So it never rejects, and it declines rather than guesses:
 * leading zero bytes, out-of-range quantities, an unsigned or wrongly replay-protected `v`, a nested
 * field, a typed transaction. test/evm/transfer-tx.test.ts checks it against EthereumJS both ways on
 * random valid and invalid encodings.
 */
import { RLP } from '@ethereumjs/rlp';
import { listFieldOffset } from './rlpScan.ts';

export interface TransferFields {
  nonce: bigint;
  gasPrice: bigint;
  gasLimit: bigint;
  /** 20 bytes. */
  to: Uint8Array;
  value: bigint;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_INTEGER = (1n << 256n) - 1n;

/** A minimal big-endian quantity of at most `maxBytes` bytes, or null (leading zero, too long). */
function quantity(b: unknown, maxBytes: number): bigint | null {
  if (!(b instanceof Uint8Array) || b.length > maxBytes) return null;
  if (b.length === 0) return 0n;
  if (b[0] === 0) return null;
  if (b.length <= 6) {
    let n = 0;
    for (let i = 0; i < b.length; i++) n = n * 256 + b[i]!;
    return BigInt(n);
  }
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/**
 * The data field is the empty string (0x80), found by skipping the five fields before it: a contract
 * call is declined before the decode, which the full decode would repeat.
 */
function hasEmptyData(raw: Uint8Array): boolean {
  const off = listFieldOffset(raw, 0, 5);
  return off >= 0 && raw[off] === 0x80;
}

/** The fields of a plain signed legacy transfer on `chainId`, or null (see the module comment). */
export function decodeTransferTx(raw: Uint8Array, chainId: bigint): TransferFields | null {
  // A typed transaction starts with its type byte (≤ 0x7f); a legacy one is an RLP list (≥ 0xc0).
  if (raw.length === 0 || raw[0]! < 0xc0 || !hasEmptyData(raw)) return null;
  let values: unknown;
  try {
    values = RLP.decode(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(values) || values.length !== 9) return null;
  const [nonceB, gasPriceB, gasLimitB, to, valueB, data, vB, rB, sB] = values as unknown[];
  if (!(to instanceof Uint8Array) || to.length !== 20 || !(data instanceof Uint8Array) || data.length !== 0) return null;
  const nonce = quantity(nonceB, 8);
  const gasPrice = quantity(gasPriceB, 32);
  const gasLimit = quantity(gasLimitB, 8);
  const value = quantity(valueB, 32);
  // v up to 6 bytes: EthereumJS compares Number(v), exact below 2^53.
  const v = quantity(vB, 6);
  const r = quantity(rB, 32);
  const s = quantity(sB, 32);
  if (nonce === null || gasPrice === null || gasLimit === null || value === null || v === null || r === null || s === null) return null;
  // Signed: v, r and s all present (EthereumJS reads an empty field as absent).
  if ((vB as Uint8Array).length === 0 || (rB as Uint8Array).length === 0 || (sB as Uint8Array).length === 0) return null;
  // EIP-2681 nonce bound; gasLimit ≤ 2^64-1 holds by its length.
  if (nonce >= MAX_UINT64) return null;
  if (gasPrice * gasLimit > MAX_INTEGER) return null;
  // Pre-EIP-155 (27/28) or EIP-155 for this chain; anything else EthereumJS refuses.
  if (v !== 27n && v !== 28n && v !== chainId * 2n + 35n && v !== chainId * 2n + 36n) return null;
  return { nonce, gasPrice, gasLimit, to, value };
}
