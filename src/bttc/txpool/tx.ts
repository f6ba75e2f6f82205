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
  if (b.length <= 6) {
    // Nonces, gas, prices and small values fit a double exactly: one BigInt instead of one per byte.
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return BigInt(v);
  }
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

/** r ‖ s ‖ recid from r and s as canonical integer bytes (already checked by `uint`: at most 32, no leading zero). */
function signature(r: Uint8Array, s: Uint8Array, recid: number): Uint8Array {
  const out = new Uint8Array(65);
  out.set(r, 32 - r.length);
  out.set(s, 64 - s.length);
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

/** One canonical RLP item at `pos` (the rules @ethereumjs/rlp and geth enforce), bounded by `end`. */
interface RlpItem {
  /** Where the item (its header) begins. */
  at: number;
  /** Payload bounds. */
  start: number;
  end: number;
  /** Where the whole item (header + payload) ends. */
  next: number;
  list: boolean;
}

function rlpItem(buf: Uint8Array, pos: number, end: number, what: string): RlpItem {
  const fail = (why: string): never => {
    throw new TxDecodeError(`${what}: invalid RLP (${why})`);
  };
  if (pos >= end) fail('not enough bytes');
  const b0 = buf[pos]!;
  let start: number;
  let len: number;
  let list = false;
  if (b0 < 0x80) return { at: pos, start: pos, end: pos + 1, next: pos + 1, list: false };
  if (b0 <= 0xb7 || (b0 >= 0xc0 && b0 <= 0xf7)) {
    list = b0 >= 0xc0;
    len = b0 - (list ? 0xc0 : 0x80);
    start = pos + 1;
    if (!list && len === 1 && start < end && buf[start]! < 0x80) fail('single byte below 0x80 must not be prefixed');
  } else {
    list = b0 >= 0xf8;
    const lenOfLen = b0 - (list ? 0xf7 : 0xb7);
    if (pos + 1 + lenOfLen > end) fail('not enough bytes for the length');
    if (buf[pos + 1] === 0) fail('length with leading zeros');
    len = 0;
    for (let i = 0; i < lenOfLen; i++) len = len * 256 + buf[pos + 1 + i]!;
    if (len < 56) fail('long form for a length below 56');
    start = pos + 1 + lenOfLen;
  }
  if (start + len > end) fail('not enough bytes');
  return { at: pos, start, end: start + len, next: start + len, list };
}

/** RLP list header for a payload of `len` bytes. */
function listHeader(len: number): Uint8Array {
  if (len < 56) return Uint8Array.of(0xc0 + len);
  const lenBytes = bigintToMinimalBytes(BigInt(len));
  return Uint8Array.of(0xf7 + lenBytes.length, ...lenBytes);
}

const LEGACY_FIELDS = ['nonce', 'gasPrice', 'gasLimit', 'to', 'value', 'data', 'v', 'r', 's'];

/**
 * A legacy transaction read in place: field offsets instead of decoded copies, and the signed digest
 * hashed from the raw bytes of the first six fields (canonical RLP re-encodes to the same bytes),
 * so nothing is re-encoded. Gossip and RPC intake decode every transaction here.
 */
function decodeLegacy(raw: Uint8Array, hash: Uint8Array): DecodedTx {
  const what = 'legacy transaction';
  const top = rlpItem(raw, 0, raw.length, what);
  if (!top.list) throw new TxDecodeError(`${what}: expected an RLP list`);
  if (top.next !== raw.length) throw new TxDecodeError(`${what}: invalid RLP (${raw.length - top.next} bytes after the list)`);
  const f: RlpItem[] = [];
  for (let pos = top.start; pos < top.end; ) {
    const it = rlpItem(raw, pos, top.end, what);
    f.push(it);
    pos = it.next;
  }
  if (f.length !== 9) throw new TxDecodeError(`${what}: expected 9 fields, got ${f.length}`);
  f.forEach((it, i) => {
    if (it.list) throw new TxDecodeError(`${LEGACY_FIELDS[i]}: expected a byte string`);
  });
  const field = (i: number) => raw.subarray(f[i]!.start, f[i]!.end);
  const nonce = uint(field(0), 'nonce');
  const gasPrice = uint(field(1), 'gasPrice');
  const gasLimit = uint(field(2), 'gasLimit');
  const to = toField(field(3));
  const value = uint(field(4), 'value');
  const data = field(5);
  const v = uint(field(6), 'v');
  // r and s are only copied into the signature, but they are checked as integers like the rest.
  const r = field(7);
  const s = field(8);
  uint(r, 'r');
  uint(s, 's');
  // The unsigned transaction's first six fields, exactly as they are encoded here.
  const body = raw.subarray(f[0]!.at, f[5]!.next);
  let chainId: bigint | undefined;
  let recid: number;
  let signed: Uint8Array;
  if (v === 27n || v === 28n) {
    chainId = undefined;
    recid = Number(v - 27n);
    signed = concatBytes(listHeader(body.length), body);
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n;
    recid = Number((v - 35n) % 2n);
    const id = bigintToMinimalBytes(chainId);
    const idItem = id.length === 1 && id[0]! < 0x80 ? id : concatBytes(Uint8Array.of(0x80 + id.length), id);
    const tail = concatBytes(idItem, Uint8Array.of(0x80, 0x80));
    signed = concatBytes(listHeader(body.length + tail.length), body, tail);
  } else {
    throw new TxDecodeError(`${what}: invalid v ${v}`);
  }
  return { type: 0, hash, raw, chainId, nonce, gasPrice, gasLimit, to, value, data, accessListAddresses: 0, accessListKeys: 0, sigHash: keccak256(signed), signature: signature(r, s, recid) };
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
    if (!Array.isArray(entry) || entry.length !== 2 || !(entry[0] instanceof Uint8Array) || entry[0].length !== 20 || !Array.isArray(entry[1]))
      throw new TxDecodeError(`accessList[${i}]: expected [address, [storageKeys]]`);
    for (const k of entry[1]) if (!(k instanceof Uint8Array) || k.length !== 32) throw new TxDecodeError(`accessList[${i}]: storage keys must be 32 bytes`);
    keys += entry[1].length;
  }
  const yParity = uint(f[8], 'yParity');
  if (yParity > 1n) throw new TxDecodeError(`yParity must be 0 or 1, got ${yParity}`);
  uint(f[9], 'r');
  uint(f[10], 's');
  const [r, s] = [f[9] as Uint8Array, f[10] as Uint8Array];
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
