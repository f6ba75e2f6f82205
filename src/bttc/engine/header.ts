/**
 * Header encoding: the block hash is keccak256 of the RLP of all 15 fields; the seal hash is the
 * same list with the 65-byte seal cut off `extra` (Bor's `SealHash`, no base fee: BTTC never
 * activated London).
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from '../../crypto/keccak.ts';
import { bytesToBigInt, bytesToHex } from '../../util/bytes.ts';
import type { BttcHeader } from './types.ts';
import { EXTRA_SEAL } from './extra.ts';

/** keccak256(RLP([])): the uncle hash of a block without uncles (Bor blocks never have any). */
export const EMPTY_UNCLE_HASH = keccak256(RLP.encode([]));
/** Root of an empty trie (no transactions / no receipts). */
export const EMPTY_TRIE_ROOT = keccak256(RLP.encode(new Uint8Array(0)));

const FIXED_SIZES: [keyof BttcHeader, number][] = [
  ['parentHash', 32],
  ['uncleHash', 32],
  ['coinbase', 20],
  ['stateRoot', 32],
  ['txRoot', 32],
  ['receiptRoot', 32],
  ['bloom', 256],
  ['mixDigest', 32],
  ['nonce', 8],
];

/** Minimal big-endian bytes of a non-negative integer (RLP's integer form: 0 is empty). */
export function bigintToMinimalBytes(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError(`negative integer ${v} in header`);
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function fieldList(h: BttcHeader, extra: Uint8Array): Uint8Array[] {
  return [
    h.parentHash,
    h.uncleHash,
    h.coinbase,
    h.stateRoot,
    h.txRoot,
    h.receiptRoot,
    h.bloom,
    bigintToMinimalBytes(h.difficulty),
    bigintToMinimalBytes(h.number),
    bigintToMinimalBytes(h.gasLimit),
    bigintToMinimalBytes(h.gasUsed),
    bigintToMinimalBytes(h.time),
    extra,
    h.mixDigest,
    h.nonce,
  ];
}

export function encodeHeader(h: BttcHeader): Uint8Array {
  return RLP.encode(fieldList(h, h.extra));
}

export function headerHash(h: BttcHeader): Uint8Array {
  return keccak256(encodeHeader(h));
}

/** The digest a producer signs: the header with `extra` minus its trailing 65-byte seal. */
export function sealHash(h: BttcHeader): Uint8Array {
  if (h.extra.length < EXTRA_SEAL) throw new Error(`block ${h.number}: extra is ${h.extra.length} bytes, shorter than the ${EXTRA_SEAL}-byte seal`);
  return keccak256(RLP.encode(fieldList(h, h.extra.subarray(0, h.extra.length - EXTRA_SEAL))));
}

export function decodeHeader(bytes: Uint8Array): BttcHeader {
  const list = RLP.decode(bytes);
  if (!Array.isArray(list) || list.length < 15) throw new Error(`header RLP: expected a list of 15 fields, got ${Array.isArray(list) ? list.length : 'a byte string'}`);
  if (list.length > 15) throw new Error(`header RLP: ${list.length} fields; Bttc headers have 15 (no base fee)`);
  const f = list as Uint8Array[];
  for (const item of f) if (!(item instanceof Uint8Array)) throw new Error('header RLP: nested list where a field was expected');
  const h: BttcHeader = {
    parentHash: f[0]!,
    uncleHash: f[1]!,
    coinbase: f[2]!,
    stateRoot: f[3]!,
    txRoot: f[4]!,
    receiptRoot: f[5]!,
    bloom: f[6]!,
    difficulty: decodeUint(f[7]!, 'difficulty'),
    number: decodeUint(f[8]!, 'number'),
    gasLimit: decodeUint(f[9]!, 'gasLimit'),
    gasUsed: decodeUint(f[10]!, 'gasUsed'),
    time: decodeUint(f[11]!, 'time'),
    extra: f[12]!,
    mixDigest: f[13]!,
    nonce: f[14]!,
  };
  checkHeaderShape(h);
  return h;
}

function decodeUint(b: Uint8Array, name: string): bigint {
  if (b.length > 0 && b[0] === 0) throw new Error(`header RLP: ${name} has a leading zero byte (non-canonical integer)`);
  if (b.length > 32) throw new Error(`header RLP: ${name} is ${b.length} bytes, more than 32`);
  return bytesToBigInt(b);
}

/** Throws naming the field whose length is wrong. */
export function checkHeaderShape(h: BttcHeader): void {
  for (const [name, size] of FIXED_SIZES) {
    const v = h[name] as Uint8Array;
    if (!(v instanceof Uint8Array) || v.length !== size) throw new Error(`header ${h.number}: ${name} must be ${size} bytes, got ${v instanceof Uint8Array ? v.length : typeof v}`);
  }
}

/** A JSON-friendly view, for logs and RPC. */
export function headerToJson(h: BttcHeader): Record<string, string> {
  return {
    parentHash: bytesToHex(h.parentHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    miner: bytesToHex(h.coinbase),
    stateRoot: bytesToHex(h.stateRoot),
    transactionsRoot: bytesToHex(h.txRoot),
    receiptsRoot: bytesToHex(h.receiptRoot),
    logsBloom: bytesToHex(h.bloom),
    difficulty: '0x' + h.difficulty.toString(16),
    number: '0x' + h.number.toString(16),
    gasLimit: '0x' + h.gasLimit.toString(16),
    gasUsed: '0x' + h.gasUsed.toString(16),
    timestamp: '0x' + h.time.toString(16),
    extraData: bytesToHex(h.extra),
    mixHash: bytesToHex(h.mixDigest),
    nonce: bytesToHex(h.nonce),
  };
}
