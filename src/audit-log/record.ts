/**
 * Audit-log records: one schema for every event, a canonical byte encoding, and the hash chain.
 *
 * A record's body is `{v, seq, time, height, type, severity, validatorId?, subject, evidenceHash?,
 * correlationId, payload}`, encoded as `0x01 ‖ canonical JSON` (RFC 8785 style: keys sorted by UTF-16
 * code units, no whitespace, only strings, booleans, null, safe integers, arrays and objects, so any
 * language re-encodes the same bytes). Version byte 0x01 names this encoding; a new encoding gets a
 * new byte. Each record carries `prev`, the hash of the record before it in its stream (32 zero bytes
 * for seq 0), and its own hash is `keccak256(prev ‖ keccak256(body bytes))`: changing, dropping or
 * reordering any record changes every hash after it.
 */
import { keccak256 } from '../crypto/keccak.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../util/bytes.ts';

export const RECORD_ENCODING_VERSION = 1;
export const ZERO_HASH = '0x' + '00'.repeat(32);

/** Two streams with their own seq and chain: public evidence, and private operational records. */
export type AuditStream = 'public' | 'private';
export const STREAM_ID: Record<AuditStream, number> = { public: 0, private: 1 };

export const SEVERITIES = ['info', 'notice', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Record types. The first group has writers in this node; the rest have constructors for later modules. */
export const RECORD_TYPES = [
  'checkpoint.proposed',
  'checkpoint.signed',
  'checkpoint.submitted',
  'checkpoint.acked',
  'checkpoint.no-ack',
  'span.committed',
  'state-sync.recorded',
  'validator.alert',
  'node.start',
  'node.stop',
  'config.change',
  'local.error',
  'slash.evidence',
  'slash.candidate',
  'slash.final',
  'proposal.created',
  'snapshot.fixed',
  'ballot.accepted',
  'ballot.refused',
  'tally.start',
  'tally.finish',
  'upgrade.queued',
  'upgrade.executed',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** A canonical-JSON value: no floats, no undefined, no bigints (write them as decimal strings). */
export type CanonicalValue = null | boolean | number | string | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };
export type Payload = { readonly [key: string]: CanonicalValue };

/** What a writer gives; the log adds seq and (unless given) time. */
export interface RecordInput {
  type: RecordType;
  severity: Severity;
  /** Delivery height the event belongs to (the committed height when it happened). */
  height: number;
  validatorId?: number;
  /** What the record is about, e.g. "checkpoint:ethereum:12" or "span:3". */
  subject: string;
  /** 0x 32-byte hash of the evidence the record refers to (a checkpoint root, a signature set…). */
  evidenceHash?: string;
  /** Ties the records of one story together (one checkpoint's proposed → signed → submitted → acked). */
  correlationId: string;
  payload: Payload;
  /** ms since the epoch; the log's clock when absent. */
  time?: number;
}

export interface RecordBody extends Required<Omit<RecordInput, 'validatorId' | 'evidenceHash'>> {
  v: number;
  seq: number;
  validatorId?: number;
  evidenceHash?: string;
}

/** A stored record: its body, the previous record's hash and its own. */
export interface AuditRecord extends RecordBody {
  prev: string;
  hash: string;
}

const HASH_RE = /^0x[0-9a-f]{64}$/;

/** Checks a writer's input; the error names the field. */
export function checkRecordInput(r: RecordInput): void {
  if (!(RECORD_TYPES as readonly string[]).includes(r.type)) throw new TypeError(`audit record: type ${JSON.stringify(r.type)} is not one of ${RECORD_TYPES.join(', ')}`);
  if (!(SEVERITIES as readonly string[]).includes(r.severity)) throw new TypeError(`audit record: severity ${JSON.stringify(r.severity)} is not one of ${SEVERITIES.join(', ')}`);
  if (!Number.isSafeInteger(r.height) || r.height < 0) throw new TypeError(`audit record: height ${r.height} is not a non-negative integer`);
  if (r.validatorId !== undefined && (!Number.isSafeInteger(r.validatorId) || r.validatorId < 0)) throw new TypeError(`audit record: validatorId ${r.validatorId} is not a non-negative integer`);
  if (typeof r.subject !== 'string' || r.subject === '') throw new TypeError('audit record: subject must be a non-empty string');
  if (r.evidenceHash !== undefined && !HASH_RE.test(r.evidenceHash)) throw new TypeError(`audit record: evidenceHash ${JSON.stringify(r.evidenceHash)} is not lower-case 0x 32-byte hex`);
  if (typeof r.correlationId !== 'string' || r.correlationId === '') throw new TypeError('audit record: correlationId must be a non-empty string');
  if (r.time !== undefined && (!Number.isSafeInteger(r.time) || r.time < 0)) throw new TypeError(`audit record: time ${r.time} is not a non-negative integer (ms)`);
}

/** Canonical JSON text of a value; throws naming the path of anything it cannot encode exactly. */
export function canonicalJson(v: unknown, path = '$'): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isSafeInteger(v)) throw new TypeError(`canonical JSON: ${path} is ${v}: only safe integers (write other numbers as strings)`);
      return String(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => canonicalJson(x, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`canonical JSON: ${path} is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a plain object`);
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof v}`);
  }
}

const textEncoder = new TextEncoder();

/** The body of a record, in schema field order (the encoding sorts keys anyway). */
export function recordBody(r: RecordInput & { seq: number; time: number }): RecordBody {
  const body: RecordBody = {
    v: RECORD_ENCODING_VERSION,
    seq: r.seq,
    time: r.time,
    height: r.height,
    type: r.type,
    severity: r.severity,
    subject: r.subject,
    correlationId: r.correlationId,
    payload: r.payload,
  };
  if (r.validatorId !== undefined) body.validatorId = r.validatorId;
  if (r.evidenceHash !== undefined) body.evidenceHash = r.evidenceHash;
  return body;
}

/** `0x01 ‖ canonical JSON` of the body. */
export function encodeRecordBody(body: RecordBody): Uint8Array {
  if (body.v !== RECORD_ENCODING_VERSION) throw new TypeError(`audit record ${body.seq}: encoding version ${body.v} is not supported (this node knows ${RECORD_ENCODING_VERSION})`);
  const json = textEncoder.encode(canonicalJson(body));
  const out = new Uint8Array(1 + json.length);
  out[0] = RECORD_ENCODING_VERSION;
  out.set(json, 1);
  return out;
}

/** `keccak256(prev ‖ keccak256(body bytes))`. */
export function chainHash(prev: Uint8Array, encodedBody: Uint8Array): Uint8Array {
  return keccak256(concatBytes(prev, keccak256(encodedBody)));
}

/** The body fields of a stored record (drops prev and hash). */
export function bodyOf(r: AuditRecord): RecordBody {
  const { prev: _p, hash: _h, ...body } = r;
  return body;
}

/** Recomputes a record's hash from its body and `prev` (what a verifier does). */
export function recomputeRecordHash(r: AuditRecord): string {
  return bytesToHex(chainHash(hexToBytes(r.prev), encodeRecordBody(bodyOf(r))));
}

/** Decodes a stored record (JSON of body + prev + hash); throws naming what is malformed. */
export function parseRecord(raw: unknown, where: string): AuditRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError(`${where}: not a JSON object`);
  const r = raw as Record<string, unknown>;
  for (const k of ['seq', 'time', 'height', 'v'] as const) if (!Number.isSafeInteger(r[k])) throw new TypeError(`${where}.${k}: expected an integer, got ${JSON.stringify(r[k])}`);
  for (const k of ['type', 'severity', 'subject', 'correlationId'] as const) if (typeof r[k] !== 'string') throw new TypeError(`${where}.${k}: expected a string, got ${JSON.stringify(r[k])}`);
  for (const k of ['prev', 'hash'] as const) if (typeof r[k] !== 'string' || !HASH_RE.test(r[k])) throw new TypeError(`${where}.${k}: expected 0x 32-byte hex, got ${JSON.stringify(r[k])}`);
  if (r.payload === null || typeof r.payload !== 'object' || Array.isArray(r.payload)) throw new TypeError(`${where}.payload: expected an object`);
  const known = new Set(['v', 'seq', 'time', 'height', 'type', 'severity', 'validatorId', 'subject', 'evidenceHash', 'correlationId', 'payload', 'prev', 'hash']);
  for (const k of Object.keys(r)) if (!known.has(k)) throw new TypeError(`${where}.${k}: not a field of an audit record`);
  return r as unknown as AuditRecord;
}
