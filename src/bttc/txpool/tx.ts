/**
 * Decoding signed transactions for the pool without building @ethereumjs/tx objects (each of those
 * copies a `Common` and its parameter caches): the pool needs only the fields it orders and checks
 * by, the digest the sender signed, and the signature. Legacy (EIP-155) and EIP-2930 access-list
 * transactions are accepted; EIP-1559 needs London, which BTTC never activated.
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from '../../crypto/keccak.ts';
import { bytesToBigInt, concatBytes } from '../../util/bytes.ts';
import { bigintToMinimalBytes } from '../engine/header.ts';

export interface DecodedTx {
  /** 0 legacy, 1 access list. */
  type: number;
  hash: Uint8Array;
  raw: Uint8Array;
  /** undefined for an unprotected (pre-EIP-155) legacy transaction. */
  chainId: bigint | undefined;
  nonce: bigint;
  gasPrice: bigint;
  gasLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  accessListAddresses: number;
  accessListKeys: number;
  /** What the sender signed. */
  sigHash: Uint8Array;
  /** r ‖ s ‖ recid (65 bytes, recid ∈ {0,1}). */
  signature: Uint8Array;
}

export class TxDecodeError extends Error {}

function uint(b: unknown, name: string): bigint {
  if (!(b instanceof Uint8Array)) throw new TxDecodeError(`${name}: expected a byte string`);
  if (b.length > 32) throw new TxDecodeError(`${name}: ${b.length} bytes, more than 32`);
  if (b.length > 0 && b[0] === 0) throw new TxDecodeError(`${name}: leading zero byte (non-canonical integer)`);
  return bytesToBigInt(b);
}

function bytes(b: unknown, name: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TxDecodeError(`${name}: expected a byte string`);
  return b;
}

function toField(b: unknown): Uint8Array | null {
  const v = bytes(b, 'to');
  if (v.length === 0) return null;
  if (v.length !== 20) throw new TxDecodeError(`to: expected 20 bytes or empty, got ${v.length}`);
  return v;
}

function signature(r: bigint, s: bigint, recid: number): Uint8Array {
  const out = new Uint8Array(65);
  const rb = bigintToMinimalBytes(r);
  const sb = bigintToMinimalBytes(s);
  out.set(rb, 32 - rb.length);
  out.set(sb, 64 - sb.length);
  out[64] = recid;
  return out;
}

export function decodeTx(raw: Uint8Array): DecodedTx {
  if (raw.length === 0) throw new TxDecodeError('empty transaction');
  const hash = keccak256(raw);
  const first = raw[0]!;
  if (first >= 0xc0) return decodeLegacy(raw, hash);
  if (first === 1) return decodeAccessList(raw, hash);
  if (first === 2) throw new TxDecodeError('EIP-1559 (type 2) transactions need London, which BTTC never activated; send a legacy or type 1 transaction');
  throw new TxDecodeError(`unsupported transaction type ${first}`);
}

function decodeList(bytesIn: Uint8Array, what: string): unknown[] {
  let list: unknown;
  try {
    list = RLP.decode(bytesIn);
  } catch (err) {
    throw new TxDecodeError(`${what}: invalid RLP (${(err as Error).message})`);
  }
  if (!Array.isArray(list)) throw new TxDecodeError(`${what}: expected an RLP list`);
  return list;
}

function decodeLegacy(raw: Uint8Array, hash: Uint8Array): DecodedTx {
  const f = decodeList(raw, 'legacy transaction');
  if (f.length !== 9) throw new TxDecodeError(`legacy transaction: expected 9 fields, got ${f.length}`);
  const nonce = uint(f[0], 'nonce');
  const gasPrice = uint(f[1], 'gasPrice');
  const gasLimit = uint(f[2], 'gasLimit');
  const to = toField(f[3]);
  const value = uint(f[4], 'value');
  const data = bytes(f[5], 'data');
  const v = uint(f[6], 'v');
  const r = uint(f[7], 'r');
  const s = uint(f[8], 's');
  let chainId: bigint | undefined;
  let recid: number;
  let sigHash: Uint8Array;
  const body = f.slice(0, 6) as Uint8Array[];
  if (v === 27n || v === 28n) {
    chainId = undefined;
    recid = Number(v - 27n);
    sigHash = keccak256(RLP.encode(body));
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n;
    recid = Number((v - 35n) % 2n);
    sigHash = keccak256(RLP.encode([...body, bigintToMinimalBytes(chainId), new Uint8Array(0), new Uint8Array(0)]));
  } else {
    throw new TxDecodeError(`legacy transaction: invalid v ${v}`);
  }
  return { type: 0, hash, raw, chainId, nonce, gasPrice, gasLimit, to, value, data, accessListAddresses: 0, accessListKeys: 0, sigHash, signature: signature(r, s, recid) };
}

function decodeAccessList(raw: Uint8Array, hash: Uint8Array): DecodedTx {
  const f = decodeList(raw.subarray(1), 'access-list transaction');
  if (f.length !== 11) throw new TxDecodeError(`access-list transaction: expected 11 fields, got ${f.length}`);
  const chainId = uint(f[0], 'chainId');
  const nonce = uint(f[1], 'nonce');
  const gasPrice = uint(f[2], 'gasPrice');
  const gasLimit = uint(f[3], 'gasLimit');
  const to = toField(f[4]);
  const value = uint(f[5], 'value');
  const data = bytes(f[6], 'data');
  const al = f[7];
  if (!Array.isArray(al)) throw new TxDecodeError('accessList: expected a list');
  let keys = 0;
  for (const [i, entry] of al.entries()) {
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 20 || !Array.isArray(entry[1])) throw new TxDecodeError(`accessList[${i}]: expected [address, [storageKeys]]`);
    for (const k of entry[1]) if (!(k instanceof Uint8Array) || k.length !== 32) throw new TxDecodeError(`accessList[${i}]: storage keys must be 32 bytes`);
    keys += entry[1].length;
  }
  const yParity = uint(f[8], 'yParity');
  if (yParity > 1n) throw new TxDecodeError(`yParity must be 0 or 1, got ${yParity}`);
  const r = uint(f[9], 'r');
  const s = uint(f[10], 's');
  const sigHash = keccak256(concatBytes(new Uint8Array([1]), RLP.encode(f.slice(0, 8) as Uint8Array[])));
  return { type: 1, hash, raw, chainId, nonce, gasPrice, gasLimit, to, value, data, accessListAddresses: al.length, accessListKeys: keys, sigHash, signature: signature(r, s, Number(yParity)) };
}

/** Gas charged before execution (Istanbul/Berlin rules: 16 per non-zero data byte, 4 per zero byte). */
export function intrinsicGas(tx: DecodedTx): bigint {
  let gas = tx.to === null ? 53_000n : 21_000n;
  let zeros = 0;
  for (const b of tx.data) if (b === 0) zeros++;
  gas += BigInt(zeros) * 4n + BigInt(tx.data.length - zeros) * 16n;
  gas += BigInt(tx.accessListAddresses) * 2400n + BigInt(tx.accessListKeys) * 1900n;
  return gas;
}

/** Upper bound of what the transaction can cost its sender. */
export function txCost(tx: DecodedTx): bigint {
  return tx.gasLimit * tx.gasPrice + tx.value;
}
