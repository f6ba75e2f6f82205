/**
 * The gossip envelope: every published payload is wrapped as
 *   version u8 (=1) ‖ kind u8 ‖ flags u8 (=0 in v1) ‖ payload length u32 ‖ payload
 * The kind must match the topic and the length the bytes received, so a message meant for one topic
 * cannot be replayed into another and truncation is caught before anything parses the payload.
 * The flags byte leaves room for compression without a new version.
 */
import { DEFAULT_KIND_LIMITS, KIND_CODE, kindFromCode, type GossipKind } from '../topics.ts';
import { Reader, decodeErr, type DecodeResult } from './result.ts';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_BYTES = 7;

export function encodeEnvelope(kind: GossipKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + payload.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = KIND_CODE[kind];
  out[2] = 0;
  new DataView(out.buffer).setUint32(3, payload.length);
  out.set(payload, ENVELOPE_HEADER_BYTES);
  return out;
}

export interface Envelope {
  kind: GossipKind;
  /** A view into the input (no copy). */
  payload: Uint8Array;
}

/**
 * `expected` is the kind the topic carries; `maxBytes` the payload cap (default: the kind's limit).
 */
export function decodeEnvelope(bytes: Uint8Array, expected: GossipKind, maxBytes = DEFAULT_KIND_LIMITS[expected].maxBytes): DecodeResult<Envelope> {
  const r = new Reader(bytes, `envelope(${expected})`);
  const version = r.u8('version');
  const code = r.u8('kind');
  const flags = r.u8('flags');
  if (r.failed) return { ok: false, error: r.failed };
  if (version !== ENVELOPE_VERSION) return decodeErr('bad-version', `envelope(${expected}): version ${version}, expected ${ENVELOPE_VERSION}`);
  const kind = kindFromCode(code);
  if (kind !== expected) return decodeErr('bad-kind', `envelope(${expected}): kind code ${code} (${kind ?? 'unknown'}) on the ${expected} topic`);
  if (flags !== 0) return decodeErr('bad-value', `envelope(${expected}): unknown flags 0x${flags.toString(16)}`);
  const payload = r.varBytes('payload', maxBytes);
  return r.finish({ kind, payload });
}
