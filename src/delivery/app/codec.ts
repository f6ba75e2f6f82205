/**
 * Compact binary codec for Delivery blocks, transactions and the side-vote extension. Big-endian
 * integers, fixed-width addresses (20) and hashes (32), length-prefixed variable fields. Decoders check
 * every length and reject trailing bytes, so one value has exactly one encoding (consensus hashes it).
 *
 *   block     : version u8 (1) ‖ height u64 ‖ time u64 ‖ round u32 ‖ nVotes u16 ‖ vote* ‖ nTx u16 ‖ (len u32 ‖ tx)*
 *   vote      : validator 20 ‖ extLen u16 ‖ ext ‖ sig 65
 *   tx        : type u8 ‖ body (per type, below)
 *   extension : count u16 ‖ (txIndex u16 ‖ vote u8 ‖ sigLen u8 ‖ sig)*
 */
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import type { Checkpoint } from '../../protocol/checkpoint/checkpoint.ts';
import {
  StakingKind,
  SideVote,
  TxType,
  type CarriedVote,
  type DeliveryBlock,
  type DeliveryTx,
  type EventRef,
  type SideVoteEntry,
} from './types.ts';

export const BLOCK_VERSION = 1;
const MAX_VOTES = 0xffff;
const MAX_TXS = 0xffff;

export class DeliveryCodecError extends Error {
  override name = 'DeliveryCodecError';
}

class Writer {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  len = 0;

  private need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.need(1);
    this.dv.setUint8(this.len, v);
    this.len += 1;
  }
  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DeliveryCodecError(`u16 out of range: ${v}`);
    this.need(2);
    this.dv.setUint16(this.len, v);
    this.len += 2;
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new DeliveryCodecError(`u32 out of range: ${v}`);
    this.need(4);
    this.dv.setUint32(this.len, v);
    this.len += 4;
  }
  u64(v: number | bigint): void {
    const b = BigInt(v);
    if (b < 0n || b >= 1n << 64n) throw new DeliveryCodecError(`u64 out of range: ${v}`);
    this.need(8);
    this.dv.setBigUint64(this.len, b);
    this.len += 8;
  }
  u256(v: bigint): void {
    if (v < 0n || v >= 1n << 256n) throw new DeliveryCodecError(`u256 out of range: ${v}`);
    for (let i = 3; i >= 0; i--) this.u64((v >> BigInt(i * 64)) & 0xffffffffffffffffn);
  }
  fixed(bytes: Uint8Array, size: number, what: string): void {
    if (bytes.length !== size) throw new DeliveryCodecError(`${what}: expected ${size} bytes, got ${bytes.length}`);
    this.need(size);
    this.buf.set(bytes, this.len);
    this.len += size;
  }
  hex(hex: string, size: number, what: string): void {
    this.fixed(hexToBytes(hex), size, what);
  }
  var32(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.need(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  raw(bytes: Uint8Array): void {
    this.need(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private off = 0;
  private readonly dv: DataView;
  private readonly what: string;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array, what: string) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.what = what;
  }
  private take(n: number, field: string): number {
    if (this.off + n > this.buf.length) throw new DeliveryCodecError(`${this.what}: truncated at ${field} (need ${n} bytes at offset ${this.off}, have ${this.buf.length - this.off})`);
    const at = this.off;
    this.off += n;
    return at;
  }
  u8(field: string): number {
    return this.dv.getUint8(this.take(1, field));
  }
  u16(field: string): number {
    return this.dv.getUint16(this.take(2, field));
  }
  u32(field: string): number {
    return this.dv.getUint32(this.take(4, field));
  }
  u64(field: string): bigint {
    return this.dv.getBigUint64(this.take(8, field));
  }
  /** A u64 that must fit a JS safe integer (heights, block numbers, epochs). */
  num(field: string): number {
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DeliveryCodecError(`${this.what}: ${field} ${v} exceeds 2^53`);
    return Number(v);
  }
  u256(field: string): bigint {
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 64n) | this.u64(field);
    return v;
  }
  fixed(n: number, field: string): Uint8Array {
    const at = this.take(n, field);
    return this.buf.slice(at, at + n);
  }
  hex(n: number, field: string): string {
    return bytesToHex(this.fixed(n, field));
  }
  var32(field: string, max = 1 << 24): Uint8Array {
    const n = this.u32(`${field} length`);
    if (n > max) throw new DeliveryCodecError(`${this.what}: ${field} of ${n} bytes exceeds ${max}`);
    return this.fixed(n, field);
  }
  end(): void {
    if (this.off !== this.buf.length) throw new DeliveryCodecError(`${this.what}: ${this.buf.length - this.off} trailing byte(s)`);
  }
}

function writeRef(w: Writer, r: EventRef): void {
  w.u8(r.rootChainId);
  w.u64(r.sequence);
  w.u64(r.blockNumber);
  w.u32(r.logIndex);
  w.hex(r.txHash, 32, 'txHash');
}

function readRef(r: Reader): EventRef {
  return { rootChainId: r.u8('rootChainId'), sequence: r.u64('sequence'), blockNumber: r.num('blockNumber'), logIndex: r.u32('logIndex'), txHash: r.hex(32, 'txHash') };
}

function writeCheckpoint(w: Writer, c: Checkpoint): void {
  w.hex(c.proposer, 20, 'checkpoint proposer');
  w.u64(c.start);
  w.u64(c.end);
  w.hex(c.rootHash, 32, 'rootHash');
  w.hex(c.accountRootHash, 32, 'accountRootHash');
  w.u64(c.borChainId);
  w.u64(c.epoch);
}

function readCheckpoint(r: Reader): Checkpoint {
  return { proposer: r.hex(20, 'proposer'), start: r.num('start'), end: r.num('end'), rootHash: r.hex(32, 'rootHash'), accountRootHash: r.hex(32, 'accountRootHash'), borChainId: r.num('borChainId'), epoch: r.num('epoch') };
}

function writeTx(w: Writer, tx: DeliveryTx): void {
  w.u8(tx.type);
  switch (tx.type) {
    case TxType.Staking:
      writeRef(w, tx.ref);
      w.u8(tx.kind);
      w.u64(tx.validatorId);
      w.u64(tx.nonce);
      w.hex(tx.signer, 20, 'signer');
      if (tx.pubKey === '0x') w.u8(0);
      else {
        w.u8(1);
        w.hex(tx.pubKey, 65, 'pubKey');
      }
      w.u64(tx.epoch);
      w.u256(tx.amount);
      return;
    case TxType.Checkpoint:
      w.u8(tx.rootChainId);
      writeCheckpoint(w, tx.checkpoint);
      return;
    case TxType.CheckpointAck:
      writeRef(w, tx.ref);
      w.u64(tx.headerBlockId);
      w.hex(tx.proposer, 20, 'ack proposer');
      w.u64(tx.start);
      w.u64(tx.end);
      w.hex(tx.rootHash, 32, 'ack rootHash');
      return;
    case TxType.CheckpointNoAck:
      w.u8(tx.rootChainId);
      return;
    case TxType.Span:
      w.u64(tx.spanId);
      w.u64(tx.startBlock);
      w.u64(tx.endBlock);
      w.hex(tx.seed, 32, 'span seed');
      w.u64(tx.bttcChainId);
      return;
    case TxType.EventRecord:
      writeRef(w, tx.ref);
      w.u256(tx.stateId);
      w.hex(tx.contract, 20, 'event contract');
      w.var32(hexToBytes(tx.data));
      return;
  }
}

const STAKING_KINDS = new Set<number>(Object.values(StakingKind));

function readTx(r: Reader): DeliveryTx {
  const type = r.u8('tx type');
  switch (type) {
    case TxType.Staking: {
      const ref = readRef(r);
      const kind = r.u8('staking kind');
      if (!STAKING_KINDS.has(kind)) throw new DeliveryCodecError(`staking tx: unknown kind ${kind}`);
      const validatorId = r.num('validatorId');
      const nonce = r.num('nonce');
      const signer = r.hex(20, 'signer');
      const hasKey = r.u8('hasPubKey');
      if (hasKey > 1) throw new DeliveryCodecError(`staking tx: hasPubKey must be 0 or 1, got ${hasKey}`);
      const pubKey = hasKey ? r.hex(65, 'pubKey') : '0x';
      return { type, ref, kind: kind as StakingKind, validatorId, nonce, signer, pubKey, epoch: r.num('epoch'), amount: r.u256('amount') };
    }
    case TxType.Checkpoint:
      return { type, rootChainId: r.u8('rootChainId'), checkpoint: readCheckpoint(r) };
    case TxType.CheckpointAck:
      return { type, ref: readRef(r), headerBlockId: r.u64('headerBlockId'), proposer: r.hex(20, 'proposer'), start: r.num('start'), end: r.num('end'), rootHash: r.hex(32, 'rootHash') };
    case TxType.CheckpointNoAck:
      return { type, rootChainId: r.u8('rootChainId') };
    case TxType.Span:
      return { type, spanId: r.num('spanId'), startBlock: r.num('startBlock'), endBlock: r.num('endBlock'), seed: r.hex(32, 'seed'), bttcChainId: r.num('bttcChainId') };
    case TxType.EventRecord:
      return { type, ref: readRef(r), stateId: r.u256('stateId'), contract: r.hex(20, 'contract'), data: bytesToHex(r.var32('data')) };
    default:
      throw new DeliveryCodecError(`unknown tx type ${type}`);
  }
}

export function encodeTx(tx: DeliveryTx): Uint8Array {
  const w = new Writer();
  writeTx(w, tx);
  return w.finish();
}

export function decodeTx(bytes: Uint8Array): DeliveryTx {
  const r = new Reader(bytes, 'delivery tx');
  const tx = readTx(r);
  r.end();
  return tx;
}

export function encodeBlock(b: DeliveryBlock): Uint8Array {
  const w = new Writer();
  w.u8(BLOCK_VERSION);
  w.u64(b.height);
  w.u64(b.time);
  w.u32(b.lastCommit.round);
  if (b.lastCommit.votes.length > MAX_VOTES) throw new DeliveryCodecError(`too many carried votes: ${b.lastCommit.votes.length}`);
  w.u16(b.lastCommit.votes.length);
  for (const v of b.lastCommit.votes) {
    w.fixed(v.validator, 20, 'vote validator');
    w.u16(v.extension.length);
    w.raw(v.extension);
    w.fixed(v.signature, 65, 'vote signature');
  }
  if (b.txs.length > MAX_TXS) throw new DeliveryCodecError(`too many txs: ${b.txs.length}`);
  w.u16(b.txs.length);
  for (const tx of b.txs) w.var32(encodeTx(tx));
  return w.finish();
}

export function decodeBlock(bytes: Uint8Array): DeliveryBlock {
  const r = new Reader(bytes, 'delivery block');
  const version = r.u8('version');
  if (version !== BLOCK_VERSION) throw new DeliveryCodecError(`delivery block: unknown version ${version}`);
  const height = r.num('height');
  const time = r.num('time');
  const round = r.u32('round');
  const nVotes = r.u16('vote count');
  const votes: CarriedVote[] = [];
  for (let i = 0; i < nVotes; i++) {
    const validator = r.fixed(20, `vote ${i} validator`);
    const extension = r.fixed(r.u16(`vote ${i} extension length`), `vote ${i} extension`);
    votes.push({ validator, extension, signature: r.fixed(65, `vote ${i} signature`) });
  }
  const nTx = r.u16('tx count');
  const txs: DeliveryTx[] = [];
  for (let i = 0; i < nTx; i++) {
    const body = r.var32(`tx ${i}`);
    try {
      txs.push(decodeTx(body));
    } catch (err) {
      throw new DeliveryCodecError(`delivery block ${height}: tx ${i}: ${(err as Error).message}`);
    }
  }
  r.end();
  return { height, time, lastCommit: { round, votes }, txs };
}

export function encodeSideVotes(entries: readonly SideVoteEntry[]): Uint8Array {
  const w = new Writer();
  w.u16(entries.length);
  for (const e of entries) {
    w.u16(e.txIndex);
    w.u8(e.vote);
    if (e.signature.length > 255) throw new DeliveryCodecError('side vote signature too long');
    w.u8(e.signature.length);
    w.raw(e.signature);
  }
  return w.finish();
}

/** Strict: indices strictly ascending, votes Yes/No, signatures empty or 65 bytes. */
export function decodeSideVotes(bytes: Uint8Array): SideVoteEntry[] {
  const r = new Reader(bytes, 'side votes');
  const n = r.u16('count');
  const out: SideVoteEntry[] = [];
  let last = -1;
  for (let i = 0; i < n; i++) {
    const txIndex = r.u16('txIndex');
    if (txIndex <= last) throw new DeliveryCodecError(`side votes: tx indices must be strictly ascending (${txIndex} after ${last})`);
    last = txIndex;
    const vote = r.u8('vote');
    if (vote !== SideVote.Yes && vote !== SideVote.No) throw new DeliveryCodecError(`side votes: vote must be 1 (yes) or 2 (no), got ${vote}`);
    const len = r.u8('signature length');
    if (len !== 0 && len !== 65) throw new DeliveryCodecError(`side votes: signature must be 0 or 65 bytes, got ${len}`);
    out.push({ txIndex, vote: vote as SideVote, signature: r.fixed(len, 'signature') });
  }
  r.end();
  return out;
}
