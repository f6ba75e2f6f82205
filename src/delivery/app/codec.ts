/**
 * Compact binary codec for Delivery blocks, transactions and the side-vote extension. Big-endian
 * integers, fixed-width addresses (20) and hashes (32), length-prefixed variable fields. Decoders check
 * every length and reject trailing bytes, so one value has exactly one encoding (consensus hashes it).
 *
 *   block     : version u8 (1) ‖ height u64 ‖ time u64 ‖ round u32 ‖ nVotes u16 ‖ vote* ‖ nTx u16 ‖ (len u32 ‖ tx)*
 *   vote      : validator 20 ‖ extLen u16 ‖ ext ‖ sig 65
 *   tx        : type u8 ‖ body (the owning module's codec, modules/<name>/txs.ts)
 *   extension : count u16 ‖ (txIndex u16 ‖ vote u8 ‖ sigLen u8 ‖ sig)*
 *
 * Transactions go through a table of the registered modules' tx codecs; the functions without a
 * table use the built-in modules' (modules/builtin.ts), which is what every node registers.
 */
import type { TxCodec } from '../modules/module.ts';
import { BUILTIN_TX_CODECS } from '../modules/builtin.ts';
import { DeliveryCodecError, Reader, Writer } from './binary.ts';
import { SideVote, type CarriedVote, type DeliveryBlock, type DeliveryTx, type SideVoteEntry } from './types.ts';

export { DeliveryCodecError } from './binary.ts';

export const BLOCK_VERSION = 1;
const MAX_VOTES = 0xffff;
const MAX_TXS = 0xffff;

/** The tx codecs of a set of modules, by type byte. */
export class TxCodecs {
  private readonly byType = new Map<number, TxCodec<DeliveryTx>>();

  constructor(codecs: readonly TxCodec<DeliveryTx>[]) {
    for (const c of codecs) {
      const other = this.byType.get(c.type);
      if (other) throw new Error(`delivery codec: tx type ${c.type} is both ${other.name} and ${c.name}`);
      this.byType.set(c.type, c);
    }
  }

  codec(type: number): TxCodec<DeliveryTx> | undefined {
    return this.byType.get(type);
  }

  writeTx(w: Writer, tx: DeliveryTx): void {
    const c = this.byType.get(tx.type);
    if (!c) throw new DeliveryCodecError(`unknown tx type ${tx.type}`);
    w.u8(tx.type);
    c.encode(w, tx);
  }

  readTx(r: Reader): DeliveryTx {
    const type = r.u8('tx type');
    const c = this.byType.get(type);
    if (!c) throw new DeliveryCodecError(`unknown tx type ${type}`);
    return c.decode(r);
  }
}

let builtin: TxCodecs | null = null;

/** The built-in modules' table, made on first use (module imports settle first). */
export function builtinTxCodecs(): TxCodecs {
  builtin ??= new TxCodecs(BUILTIN_TX_CODECS);
  return builtin;
}

export function encodeTx(tx: DeliveryTx, codecs: TxCodecs = builtinTxCodecs()): Uint8Array {
  const w = new Writer();
  codecs.writeTx(w, tx);
  return w.finish();
}

export function decodeTx(bytes: Uint8Array, codecs: TxCodecs = builtinTxCodecs()): DeliveryTx {
  const r = new Reader(bytes, 'delivery tx');
  const tx = codecs.readTx(r);
  r.end();
  return tx;
}

export function encodeBlock(b: DeliveryBlock, codecs: TxCodecs = builtinTxCodecs()): Uint8Array {
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
  for (const tx of b.txs) w.var32(encodeTx(tx, codecs));
  return w.finish();
}

export function decodeBlock(bytes: Uint8Array, codecs: TxCodecs = builtinTxCodecs()): DeliveryBlock {
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
      txs.push(decodeTx(body, codecs));
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
