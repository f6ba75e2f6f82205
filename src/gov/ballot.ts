/**
 * Governance ballots (docs/governance.md): EIP-712 typed messages a voter signs with its root-chain key,
 *   Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,string reason)
 * under the domain EIP712Domain(name "BTTC Governor", version "1", chainId, verifyingContract = Governor).
 * Hashing is written out (not ethers' TypedDataEncoder) because a tally hashes every ballot; it is
 * pinned against ethers and against Governor.hashBallot in test/gov/ballot.test.ts.
 */
import { addressFromPublicKey } from '../crypto/address.ts';
import { keccak256, keccak256Batch } from '../crypto/keccak.ts';
import { isLowS, recover, signRsv } from '../crypto/secp256k1.ts';
import { bytesToHex, concatBytes, hexToBytes, uintToBytes } from '../util/bytes.ts';

export const SUPPORT = { against: 0, for: 1, abstain: 2, veto: 3 } as const;
export type Support = 0 | 1 | 2 | 3;
export const SUPPORT_NAMES = ['against', 'for', 'abstain', 'veto'] as const;
/** Longest reason (UTF-8 bytes) a node accepts: ballots live in every Delivery block. */
export const MAX_REASON_BYTES = 256;

export interface Ballot {
  /** uint256 as 0x-hex, 32 bytes, lower case. */
  proposalId: string;
  support: Support;
  /** Lower-case 0x address. */
  voter: string;
  nonce: bigint;
  reason: string;
}

export interface SignedBallot {
  ballot: Ballot;
  /** 65 bytes r ‖ s ‖ v, v ∈ {0, 1, 27, 28}. */
  signature: Uint8Array;
}

export interface BallotDomain {
  chainId: bigint;
  /** The Governor's address. */
  governor: string;
}

export class BallotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BallotError';
  }
}

const enc = new TextEncoder();
const kec = (s: string) => keccak256(enc.encode(s));
export const BALLOT_TYPEHASH = kec('Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,string reason)');
const DOMAIN_TYPEHASH = kec('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)');
export const DOMAIN_NAME = 'BTTC Governor';
export const DOMAIN_VERSION = '1';

function addressWord(a: string): Uint8Array {
  const out = new Uint8Array(32);
  out.set(hexToBytes(a), 12);
  return out;
}

export function domainSeparator(d: BallotDomain): Uint8Array {
  return keccak256(concatBytes(DOMAIN_TYPEHASH, kec(DOMAIN_NAME), kec(DOMAIN_VERSION), uintToBytes(d.chainId), addressWord(d.governor)));
}

/** keccak256 of the empty reason: most ballots give none. */
const EMPTY_REASON_HASH = kec('');

/** `n` as a 32-byte big-endian word at `out[at…at+32)` (the rest of the word is already zero). */
function putWord(out: Uint8Array, at: number, n: bigint): void {
  for (let i = at + 31; n > 0n; i--, n >>= 8n) out[i] = Number(n & 0xffn);
}

/** Writes the ballot's EIP-712 struct (typeHash ‖ proposalId ‖ support ‖ voter ‖ nonce ‖ keccak(reason)) at `out[at…at+192)`, zeroed. */
function putBallotStruct(out: Buffer, at: number, b: Ballot): void {
  out.set(BALLOT_TYPEHASH, at);
  // Buffer.write stops at the first non-hex digit: count what it wrote, so bad input still throws
  if (out.write(b.proposalId.slice(2), at + 32, 32, 'hex') !== 32 || b.proposalId.length !== 66) throw new BallotError(`ballot proposalId ${b.proposalId} is not 32 bytes of 0x-hex`);
  out[at + 95] = b.support;
  if (out.write(b.voter.slice(2), at + 108, 20, 'hex') !== 20 || b.voter.length !== 42) throw new BallotError(`ballot voter ${b.voter} is not a 0x address`);
  putWord(out, at + 128, b.nonce);
  out.set(b.reason === '' ? EMPTY_REASON_HASH : kec(b.reason), at + 160);
}

/**
 * The EIP-712 digest the voter signs; `sep` is domainSeparator(domain) (pass it when hashing many).
 * Laid out in one buffer per hash: a tally hashes every ballot, and per-field arrays joined with
 * concatBytes were most of the cost of a ballot outside its ecrecover.
 */
export function ballotDigest(b: Ballot, sep: Uint8Array): Uint8Array {
  const struct = Buffer.alloc(192);
  putBallotStruct(struct, 0, b);
  const outer = new Uint8Array(66);
  outer[0] = 0x19;
  outer[1] = 0x01;
  outer.set(sep, 2);
  outer.set(keccak256(struct), 34);
  return keccak256(outer);
}

/**
 * ballotDigest of many ballots at once: every struct in one buffer, hashed in one native batch call,
 * then every 0x1901 ‖ sep ‖ structHash record in another (two calls per batch instead of two per
 * ballot). Returns count × 32 bytes, digest i at i × 32.
 */
export function ballotDigestBatch(ballots: readonly Ballot[], sep: Uint8Array): Uint8Array {
  const structs = Buffer.alloc(192 * ballots.length);
  ballots.forEach((b, i) => putBallotStruct(structs, 192 * i, b));
  const structHashes = keccak256Batch(structs, 192);
  const outer = new Uint8Array(66 * ballots.length);
  for (let i = 0; i < ballots.length; i++) {
    outer[66 * i] = 0x19;
    outer[66 * i + 1] = 0x01;
    outer.set(sep, 66 * i + 2);
    outer.set(structHashes.subarray(32 * i, 32 * i + 32), 66 * i + 34);
  }
  return keccak256Batch(outer, 66);
}

export function signBallot(b: Ballot, domain: BallotDomain, secretKey: Uint8Array): Uint8Array {
  const sig = signRsv(ballotDigest(b, domainSeparator(domain)), secretKey);
  sig[64] = sig[64]! + 27;
  return sig;
}

/** The signer of `digest`, or null for anything ecrecover with EIP-2 limits would refuse. */
export function recoverSigner(digest: Uint8Array, signature: Uint8Array): string | null {
  if (signature.length !== 65) return null;
  const v = signature[64]!;
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) return null;
  const rs = signature.subarray(0, 64);
  if (!isLowS(rs)) return null;
  try {
    return bytesToHex(addressFromPublicKey(recover(rs, recid, digest)));
  } catch {
    return null;
  }
}

const HEX32 = /^0x[0-9a-f]{64}$/;
const ADDR = /^0x[0-9a-f]{40}$/;
const SIG = /^0x[0-9a-fA-F]{130}$/;

/**
 * A ballot from JSON (REST body, ballot file): {proposalId, support, voter, nonce, reason, signature}.
 * proposalId may be decimal or 0x-hex; support a number 0..3 or its name; nonce a decimal string or
 * number. Throws BallotError naming the field (the `malformed` reason code).
 */
export function parseSignedBallot(json: unknown, what = 'ballot'): SignedBallot {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new BallotError(`${what}: expected an object`);
  const o = json as Record<string, unknown>;
  const pid = o.proposalId;
  let proposalId: string;
  if (typeof pid === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(pid)) proposalId = `0x${pid.slice(2).toLowerCase().padStart(64, '0')}`;
  else if (typeof pid === 'string' && /^\d{1,78}$/.test(pid) && BigInt(pid) < 1n << 256n) proposalId = `0x${BigInt(pid).toString(16).padStart(64, '0')}`;
  else throw new BallotError(`${what}.proposalId: expected a uint256 (decimal string or 0x-hex), got ${JSON.stringify(pid)}`);
  const sRaw = o.support;
  const support = typeof sRaw === 'string' ? (SUPPORT_NAMES as readonly string[]).indexOf(sRaw) : sRaw;
  if (typeof support !== 'number' || !Number.isInteger(support) || support < 0 || support > 3)
    throw new BallotError(`${what}.support: expected 0 (against), 1 (for), 2 (abstain) or 3 (veto), got ${JSON.stringify(sRaw)}`);
  if (typeof o.voter !== 'string' || !ADDR.test(o.voter.toLowerCase())) throw new BallotError(`${what}.voter: expected a 20-byte 0x address, got ${JSON.stringify(o.voter)}`);
  const n = o.nonce;
  const nonceOk = (typeof n === 'string' && /^\d{1,78}$/.test(n)) || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);
  if (!nonceOk || BigInt(n as string | number) >= 1n << 256n) throw new BallotError(`${what}.nonce: expected a non-negative integer, got ${JSON.stringify(n)}`);
  const reason = o.reason ?? '';
  if (typeof reason !== 'string') throw new BallotError(`${what}.reason: expected a string`);
  if (enc.encode(reason).length > MAX_REASON_BYTES) throw new BallotError(`${what}.reason: longer than ${MAX_REASON_BYTES} bytes`);
  if (typeof o.signature !== 'string' || !SIG.test(o.signature)) throw new BallotError(`${what}.signature: expected 65 bytes of 0x-hex (r ‖ s ‖ v)`);
  return {
    ballot: { proposalId, support: support as Support, voter: o.voter.toLowerCase(), nonce: BigInt(n as string | number), reason },
    // SIG has checked every digit: decode without a second pass over the string.
    signature: new Uint8Array(Buffer.from(o.signature.slice(2), 'hex')),
  };
}

export function signedBallotJson(s: SignedBallot): { proposalId: string; support: Support; voter: string; nonce: string; reason: string; signature: string } {
  const b = s.ballot;
  return { proposalId: b.proposalId, support: b.support, voter: b.voter, nonce: b.nonce.toString(), reason: b.reason, signature: bytesToHex(s.signature) };
}

export function isProposalId(s: string): boolean {
  return HEX32.test(s);
}

/** 0x-hex, 32 bytes, from a decimal or hex proposal id (what the Governor's events give as uint256). */
export function proposalIdHex(id: bigint | string): string {
  const v = typeof id === 'bigint' ? id : BigInt(id);
  if (v < 0n || v >= 1n << 256n) throw new BallotError(`proposal id out of range: ${id}`);
  return `0x${v.toString(16).padStart(64, '0')}`;
}
