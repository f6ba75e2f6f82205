/**
 * The checkpoint record and the bytes validators sign for it (protocol spec §4): 7 ABI words
 * (proposer, start, end, rootHash, accountRootHash, borChainId, epoch) — Polygon's 6 plus BTTC's
 * epoch — hashed as keccak256(0x01 ‖ data), 0x01 being the Yes vote byte.
 */
import { keccak256 } from '../../crypto/keccak.ts';
import { signRsv } from '../../crypto/secp256k1.ts';
import { encodeStaticWords, readWord } from '../../abi/encode.ts';
import { bytesToHex, concatBytes } from '../../util/bytes.ts';

export interface Checkpoint {
  /** 20-byte address, lower-case 0x-hex. */
  proposer: string;
  start: number;
  end: number;
  /** 32-byte 0x-hex. */
  rootHash: string;
  accountRootHash: string;
  /** Bttc chain id (199 on mainnet); the root contract requires its own. */
  borChainId: number;
  /** TRON ack count + 1 at proposal time. */
  epoch: number;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export const VOTE_YES = 0x01;
export const CHECKPOINT_SIGN_BYTES = 7 * 32;

function uint(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new CheckpointError(`${what}: expected a non-negative integer (number or decimal string), got ${JSON.stringify(value)}`);
  return n;
}

function hex32(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new CheckpointError(`${what}: expected a 0x-prefixed 32-byte hex string, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

export function address(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new CheckpointError(`${what}: expected a 0x-prefixed 20-byte hex address, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

/** Checks and normalises a checkpoint from JSON-ish input (numbers or decimal strings). */
export function parseCheckpoint(json: unknown, what = 'checkpoint'): Checkpoint {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CheckpointError(`${what}: expected an object with proposer, start, end, rootHash, accountRootHash, borChainId, epoch`);
  const o = json as Record<string, unknown>;
  const cp: Checkpoint = {
    proposer: address(o.proposer, `${what}.proposer`),
    start: uint(o.start, `${what}.start`),
    end: uint(o.end, `${what}.end`),
    rootHash: hex32(o.rootHash, `${what}.rootHash`),
    accountRootHash: hex32(o.accountRootHash, `${what}.accountRootHash`),
    borChainId: uint(o.borChainId, `${what}.borChainId`),
    epoch: uint(o.epoch, `${what}.epoch`),
  };
  if (cp.end < cp.start) throw new CheckpointError(`${what}: end ${cp.end} is before start ${cp.start}`);
  return cp;
}

export function checkpointToJson(cp: Checkpoint): Checkpoint {
  return { ...cp };
}

/** The 224 bytes validators sign (before the vote byte). */
export function checkpointSignBytes(cp: Checkpoint): Uint8Array {
  return encodeStaticWords([
    { type: 'address', value: cp.proposer },
    { type: 'uint256', value: cp.start },
    { type: 'uint256', value: cp.end },
    { type: 'bytes32', value: cp.rootHash },
    { type: 'bytes32', value: cp.accountRootHash },
    { type: 'uint256', value: cp.borChainId },
    { type: 'uint256', value: cp.epoch },
  ]);
}

/** Decodes sign bytes back into a checkpoint (what a root-contract or audit sees). */
export function decodeCheckpointSignBytes(data: Uint8Array): Checkpoint {
  if (data.length !== CHECKPOINT_SIGN_BYTES) throw new CheckpointError(`checkpoint data must be ${CHECKPOINT_SIGN_BYTES} bytes, got ${data.length}`);
  const w = (i: number) => readWord(data, i);
  const n = (i: number, what: string) => {
    const v = w(i);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`checkpoint data: ${what} ${v} is too large`);
    return Number(v);
  };
  return {
    proposer: bytesToHex(data.subarray(12, 32)),
    start: n(1, 'start'),
    end: n(2, 'end'),
    rootHash: bytesToHex(data.subarray(96, 128)),
    accountRootHash: bytesToHex(data.subarray(128, 160)),
    borChainId: n(5, 'borChainId'),
    epoch: n(6, 'epoch'),
  };
}

/** keccak256(0x01 ‖ data): the digest every validator signs with its signer key. */
export function voteHash(signBytes: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(VOTE_YES), signBytes));
}

export function checkpointVoteHash(cp: Checkpoint): Uint8Array {
  return voteHash(checkpointSignBytes(cp));
}

/** A validator's vote: 65 bytes r ‖ s ‖ v with v ∈ {0,1}, low-s (libsecp256k1, RFC 6979). */
export function signCheckpoint(cp: Checkpoint, signerKey: Uint8Array): Uint8Array {
  return signRsv(checkpointVoteHash(cp), signerKey);
}

/** Checks Delivery would accept this range after `lastEnd` (null: no checkpoint yet). */
export function checkpointRangeError(cp: Checkpoint, lastEnd: number | null, maxLength: number): string | null {
  const expectedStart = lastEnd === null ? 0 : lastEnd + 1;
  if (cp.start !== expectedStart) return `start ${cp.start} must be ${expectedStart} (previous end + 1)`;
  if (cp.end <= cp.start) return `end ${cp.end} must be after start ${cp.start} (a checkpoint covers at least 2 blocks)`;
  if (cp.end - cp.start + 1 > maxLength) return `range of ${cp.end - cp.start + 1} blocks exceeds the maximum of ${maxLength}`;
  return null;
}
