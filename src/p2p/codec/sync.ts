/**
 * Request/response bodies of the sync protocols. A request is one frame; a response is a sequence
 * of frames, each `code u8 ‖ body` (0 = one item, 1 = error with a UTF-8 reason), ended by the
 * server closing its side of the stream.
 */
import { Reader, Writer, decodeErr, type DecodeResult } from './result.ts';

export const SYNC_VERSION = 1;

export interface RangeRequest {
  /** First block number / height wanted. */
  start: bigint;
  count: number;
}

export function encodeRangeRequest(req: RangeRequest): Uint8Array {
  if (req.start < 0n || req.start > 0xffff_ffff_ffff_ffffn) throw new RangeError(`range request: start ${req.start} out of u64 range`);
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > 0xffff_ffff) throw new RangeError(`range request: count ${req.count} must be an integer ≥ 1`);
  return new Writer(13).u8(SYNC_VERSION).u64(req.start).u32(req.count).finish();
}

export function decodeRangeRequest(bytes: Uint8Array): DecodeResult<RangeRequest> {
  const r = new Reader(bytes, 'range request');
  const version = r.u8('version');
  const start = r.u64('start');
  const count = r.u32('count');
  if (!r.failed && version !== SYNC_VERSION) return decodeErr('bad-version', `range request: version ${version}, expected ${SYNC_VERSION}`);
  if (!r.failed && count === 0) r.fail('bad-value', 'count is 0');
  return r.finish({ start, count });
}

/** What a peer says about its heads: enough to decide what to fetch, and from whom. */
export interface StatusMessage {
  /** Hash of Bttc block 0: peers on another network are dropped. */
  genesisHash: Uint8Array;
  bttcHead: bigint;
  bttcHeadHash: Uint8Array;
  /** Height of the last Delivery block with a commit. */
  deliveryHeight: bigint;
}

export function encodeStatus(s: StatusMessage): Uint8Array {
  if (s.genesisHash.length !== 32 || s.bttcHeadHash.length !== 32) throw new RangeError('status: hashes must be 32 bytes');
  return new Writer(81).u8(SYNC_VERSION).bytes(s.genesisHash).u64(s.bttcHead).bytes(s.bttcHeadHash).u64(s.deliveryHeight).finish();
}

export function decodeStatus(bytes: Uint8Array): DecodeResult<StatusMessage> {
  const r = new Reader(bytes, 'status');
  const version = r.u8('version');
  const genesisHash = r.bytesN(32, 'genesisHash');
  const bttcHead = r.u64('bttcHead');
  const bttcHeadHash = r.bytesN(32, 'bttcHeadHash');
  const deliveryHeight = r.u64('deliveryHeight');
  if (!r.failed && version !== SYNC_VERSION) return decodeErr('bad-version', `status: version ${version}, expected ${SYNC_VERSION}`);
  return r.finish({ genesisHash: genesisHash.slice(), bttcHead, bttcHeadHash: bttcHeadHash.slice(), deliveryHeight });
}

export const RESP_ITEM = 0;
export const RESP_ERROR = 1;

export function encodeItemFrameBody(item: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + item.length);
  out[0] = RESP_ITEM;
  out.set(item, 1);
  return out;
}

export function encodeErrorFrameBody(message: string): Uint8Array {
  const text = new TextEncoder().encode(message.slice(0, 512));
  const out = new Uint8Array(1 + text.length);
  out[0] = RESP_ERROR;
  out.set(text, 1);
  return out;
}

export type ResponseFrame = { code: 'item'; item: Uint8Array } | { code: 'error'; message: string };

export function decodeResponseFrame(body: Uint8Array): DecodeResult<ResponseFrame> {
  if (body.length === 0) return decodeErr('truncated', 'response frame: empty');
  if (body[0] === RESP_ITEM) return { ok: true, value: { code: 'item', item: body.subarray(1) } };
  if (body[0] === RESP_ERROR) return { ok: true, value: { code: 'error', message: new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(1)) } };
  return decodeErr('bad-value', `response frame: unknown code ${body[0]}`);
}
