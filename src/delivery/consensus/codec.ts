/**
 * Compact binary codec for consensus messages, and the bytes a validator signs. Layouts are fixed
 * per message kind (the first byte), so a decoder never guesses. Integers are big-endian.
 *
 *   proposal : 0x01 ‖ height u64 ‖ round u32 ‖ validRound i32 ‖ proposer 20 ‖ len u32 ‖ value ‖ sig 65
 *   vote     : 0x02|0x03 ‖ height u64 ‖ round u32 ‖ hasValue u8 ‖ [valueId 32] ‖ validator 20 ‖
 *              extLen u16 ‖ extension ‖ sig 65
 *   bundle   : 0x04 ‖ count u16 ‖ (len u32 ‖ message)*   (catch-up commits, proof-of-lock prevotes)
 *   catch-up : 0x05 ‖ height u64   (unsigned request: "send me the commit of this height")
 */
import { keccak256 } from '../../crypto/keccak.ts';
import { MsgType, type ConsensusMessage, type Proposal, type Vote, type VoteType } from './types.ts';

export const BUNDLE_KIND = 4;
export const CATCHUP_KIND = 5;
const SIG_LEN = 65;
const ADDR_LEN = 20;
const MAX_VALUE_LEN = 16 * 1024 * 1024;
const MAX_EXTENSION_LEN = 0xffff;
/** Domain separation: no consensus signature can be replayed as a checkpoint signature (0x01 ‖ data) or anything else. */
const DOMAIN = new TextEncoder().encode('bttc/consensus/1');

export class CodecError extends Error {
  override name = 'CodecError';
}

export function valueIdOf(value: Uint8Array): Uint8Array {
  return keccak256(value);
}

function checkHeightRound(height: number, round: number): void {
  if (!Number.isSafeInteger(height) || height < 0) throw new CodecError(`height must be a non-negative safe integer, got ${height}`);
  if (!Number.isInteger(round) || round < 0 || round > 0x7fffffff) throw new CodecError(`round must be in [0, 2^31), got ${round}`);
}

/**
 * What a validator signs (its keccak256 is the digest): domain ‖ type ‖ height ‖ round ‖ validRound ‖
 * hasValue ‖ valueId ‖ hasExt ‖ keccak(extension) ‖ chainIdLen ‖ chainId. Fixed width up to the chain id,
 * so two different votes can never share sign bytes.
 */
export function signBytes(chainId: string, m: { type: MsgType; height: number; round: number; validRound?: number; valueId: Uint8Array | null; extension?: Uint8Array }): Uint8Array {
  checkHeightRound(m.height, m.round);
  const chain = new TextEncoder().encode(chainId);
  if (chain.length > 255) throw new CodecError(`chain id longer than 255 bytes: ${chainId}`);
  const out = new Uint8Array(DOMAIN.length + 1 + 8 + 4 + 4 + 1 + 32 + 1 + 32 + 1 + chain.length);
  const dv = new DataView(out.buffer);
  let o = 0;
  out.set(DOMAIN, o);
  o += DOMAIN.length;
  out[o++] = m.type;
  dv.setBigUint64(o, BigInt(m.height));
  o += 8;
  dv.setUint32(o, m.round);
  o += 4;
  dv.setInt32(o, m.type === MsgType.Proposal ? (m.validRound ?? -1) : -1);
  o += 4;
  if (m.valueId) {
    if (m.valueId.length !== 32) throw new CodecError(`value id must be 32 bytes, got ${m.valueId.length}`);
    out[o] = 1;
    out.set(m.valueId, o + 1);
  }
  o += 33;
  if (m.extension && m.extension.length > 0) {
    out[o] = 1;
    out.set(keccak256(m.extension), o + 1);
  }
  o += 33;
  out[o++] = chain.length;
  out.set(chain, o);
  return out;
}

export function proposalDigest(chainId: string, p: Pick<Proposal, 'height' | 'round' | 'validRound' | 'valueId'>): Uint8Array {
  return keccak256(signBytes(chainId, { type: MsgType.Proposal, height: p.height, round: p.round, validRound: p.validRound, valueId: p.valueId }));
}

export function voteDigest(chainId: string, v: Pick<Vote, 'type' | 'height' | 'round' | 'valueId' | 'extension'>): Uint8Array {
  return keccak256(signBytes(chainId, v));
}

export function encodeProposal(p: Proposal): Uint8Array {
  checkHeightRound(p.height, p.round);
  if (p.proposer.length !== ADDR_LEN) throw new CodecError(`proposer must be ${ADDR_LEN} bytes`);
  if (p.signature.length !== SIG_LEN) throw new CodecError(`proposal signature must be ${SIG_LEN} bytes`);
  const out = new Uint8Array(1 + 8 + 4 + 4 + ADDR_LEN + 4 + p.value.length + SIG_LEN);
  const dv = new DataView(out.buffer);
  out[0] = MsgType.Proposal;
  dv.setBigUint64(1, BigInt(p.height));
  dv.setUint32(9, p.round);
  dv.setInt32(13, p.validRound);
  out.set(p.proposer, 17);
  dv.setUint32(37, p.value.length);
  out.set(p.value, 41);
  out.set(p.signature, 41 + p.value.length);
  return out;
}

export function encodeVote(v: Vote): Uint8Array {
  checkHeightRound(v.height, v.round);
  if (v.validator.length !== ADDR_LEN) throw new CodecError(`validator must be ${ADDR_LEN} bytes`);
  if (v.signature.length !== SIG_LEN) throw new CodecError(`vote signature must be ${SIG_LEN} bytes`);
  if (v.extension.length > MAX_EXTENSION_LEN) throw new CodecError(`vote extension longer than ${MAX_EXTENSION_LEN} bytes`);
  if (v.extension.length > 0 && (v.type !== MsgType.Precommit || !v.valueId)) throw new CodecError('only a non-nil precommit may carry an extension');
  const idLen = v.valueId ? 32 : 0;
  const out = new Uint8Array(1 + 8 + 4 + 1 + idLen + ADDR_LEN + 2 + v.extension.length + SIG_LEN);
  const dv = new DataView(out.buffer);
  out[0] = v.type;
  dv.setBigUint64(1, BigInt(v.height));
  dv.setUint32(9, v.round);
  let o = 13;
  out[o++] = v.valueId ? 1 : 0;
  if (v.valueId) {
    out.set(v.valueId, o);
    o += 32;
  }
  out.set(v.validator, o);
  o += ADDR_LEN;
  dv.setUint16(o, v.extension.length);
  o += 2;
  out.set(v.extension, o);
  o += v.extension.length;
  out.set(v.signature, o);
  return out;
}

export function encodeBundle(messages: Uint8Array[]): Uint8Array {
  if (messages.length > 0xffff) throw new CodecError('bundle holds at most 65535 messages');
  const out = new Uint8Array(3 + messages.reduce((n, m) => n + 4 + m.length, 0));
  const dv = new DataView(out.buffer);
  out[0] = BUNDLE_KIND;
  dv.setUint16(1, messages.length);
  let o = 3;
  for (const m of messages) {
    dv.setUint32(o, m.length);
    out.set(m, o + 4);
    o += 4 + m.length;
  }
  return out;
}

/** A plain Uint8Array copy, even when the input is a Buffer (from a file or a socket) whose slice would be a view. */
function copy(buf: Uint8Array, start: number, end?: number): Uint8Array {
  return new Uint8Array(buf.subarray(start, end));
}

function need(buf: Uint8Array, n: number, what: string): void {
  if (buf.length < n) throw new CodecError(`${what}: truncated (${buf.length} bytes, need ${n})`);
}

function readHeight(dv: DataView, o: number): number {
  const h = dv.getBigUint64(o);
  if (h > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError(`height ${h} out of range`);
  return Number(h);
}

export function decodeProposal(buf: Uint8Array): Proposal {
  need(buf, 41 + SIG_LEN, 'proposal');
  if (buf[0] !== MsgType.Proposal) throw new CodecError(`proposal: wrong kind byte ${buf[0]}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = dv.getUint32(37);
  if (len > MAX_VALUE_LEN) throw new CodecError(`proposal: value of ${len} bytes exceeds ${MAX_VALUE_LEN}`);
  if (buf.length !== 41 + len + SIG_LEN) throw new CodecError(`proposal: length ${buf.length} does not match value length ${len}`);
  const round = dv.getUint32(9);
  const validRound = dv.getInt32(13);
  if (round > 0x7fffffff) throw new CodecError(`proposal: round ${round} out of range`);
  if (validRound < -1 || validRound >= round) throw new CodecError(`proposal: validRound ${validRound} must be -1 or below round ${round}`);
  const value = copy(buf, 41, 41 + len);
  return {
    height: readHeight(dv, 1),
    round,
    validRound,
    proposer: copy(buf, 17, 37),
    value,
    valueId: valueIdOf(value),
    signature: copy(buf, 41 + len),
  };
}

export function decodeVote(buf: Uint8Array): Vote {
  need(buf, 14, 'vote');
  const type = buf[0];
  if (type !== MsgType.Prevote && type !== MsgType.Precommit) throw new CodecError(`vote: wrong kind byte ${type}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const round = dv.getUint32(9);
  if (round > 0x7fffffff) throw new CodecError(`vote: round ${round} out of range`);
  const has = buf[13];
  if (has !== 0 && has !== 1) throw new CodecError(`vote: bad hasValue byte ${has}`);
  let o = 14;
  const idLen = has ? 32 : 0;
  need(buf, o + idLen + ADDR_LEN + 2, 'vote');
  const valueId = has ? copy(buf, o, o + 32) : null;
  o += idLen;
  const validator = copy(buf, o, o + ADDR_LEN);
  o += ADDR_LEN;
  const extLen = dv.getUint16(o);
  o += 2;
  if (buf.length !== o + extLen + SIG_LEN) throw new CodecError(`vote: length ${buf.length} does not match extension length ${extLen}`);
  if (extLen > 0 && (type !== MsgType.Precommit || !valueId)) throw new CodecError('vote: only a non-nil precommit may carry an extension');
  return {
    type: type as VoteType,
    height: readHeight(dv, 1),
    round,
    valueId,
    validator,
    extension: copy(buf, o, o + extLen),
    signature: copy(buf, o + extLen),
  };
}

/** Decodes one wire message; a bundle is flattened. Throws CodecError naming what is wrong. */
export function decodeMessages(buf: Uint8Array): ConsensusMessage[] {
  if (buf.length === 0) throw new CodecError('empty consensus message');
  const kind = buf[0];
  if (kind === MsgType.Proposal) return [{ kind: 'proposal', proposal: decodeProposal(buf) }];
  if (kind === MsgType.Prevote || kind === MsgType.Precommit) return [{ kind: 'vote', vote: decodeVote(buf) }];
  if (kind === BUNDLE_KIND) {
    need(buf, 3, 'bundle');
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const count = dv.getUint16(1);
    const out: ConsensusMessage[] = [];
    let o = 3;
    for (let i = 0; i < count; i++) {
      need(buf, o + 4, 'bundle');
      const len = dv.getUint32(o);
      need(buf, o + 4 + len, 'bundle');
      const inner = buf.subarray(o + 4, o + 4 + len);
      if (inner[0] === BUNDLE_KIND) throw new CodecError('bundle: nested bundles are not allowed');
      out.push(...decodeMessages(inner));
      o += 4 + len;
    }
    if (o !== buf.length) throw new CodecError(`bundle: ${buf.length - o} trailing bytes`);
    return out;
  }
  throw new CodecError(`unknown consensus message kind ${kind}`);
}

export function encodeCatchUpRequest(height: number): Uint8Array {
  checkHeightRound(height, 0);
  const out = new Uint8Array(9);
  out[0] = CATCHUP_KIND;
  new DataView(out.buffer).setBigUint64(1, BigInt(height));
  return out;
}

export function decodeCatchUpRequest(buf: Uint8Array): number {
  if (buf.length !== 9 || buf[0] !== CATCHUP_KIND) throw new CodecError(`catch-up request: expected 9 bytes starting with ${CATCHUP_KIND}`);
  return readHeight(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), 1);
}

export function encodeMessage(m: ConsensusMessage): Uint8Array {
  return m.kind === 'proposal' ? encodeProposal(m.proposal) : encodeVote(m.vote);
}
