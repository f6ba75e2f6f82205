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
  'slash.batch-signed',
  'slash.batch-submitted',
  'proposal.created',
  'snapshot.fixed',
  'ballot.accepted',
  'ballot.refused',
  'tally.start',
  'tally.finish',
  'upgrade.queued',
  'upgrade.executed',
  'tally.anchored',
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
const TYPE_SET: ReadonlySet<string> = new Set(RECORD_TYPES);
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);

export function checkRecordInput(r: RecordInput): void {
  if (!TYPE_SET.has(r.type)) throw new TypeError(`audit record: type ${JSON.stringify(r.type)} is not one of ${RECORD_TYPES.join(', ')}`);
  if (!SEVERITY_SET.has(r.severity)) throw new TypeError(`audit record: severity ${JSON.stringify(r.severity)} is not one of ${SEVERITIES.join(', ')}`);
  if (!Number.isSafeInteger(r.height) || r.height < 0) throw new TypeError(`audit record: height ${r.height} is not a non-negative integer`);
  if (r.validatorId !== undefined && (!Number.isSafeInteger(r.validatorId) || r.validatorId < 0)) throw new TypeError(`audit record: validatorId ${r.validatorId} is not a non-negative integer`);
  if (typeof r.subject !== 'string' || r.subject === '') throw new TypeError('audit record: subject must be a non-empty string');
  if (r.evidenceHash !== undefined && !HASH_RE.test(r.evidenceHash)) throw new TypeError(`audit record: evidenceHash ${JSON.stringify(r.evidenceHash)} is not lower-case 0x 32-byte hex`);
  if (typeof r.correlationId !== 'string' || r.correlationId === '') throw new TypeError('audit record: correlationId must be a non-empty string');
  if (r.time !== undefined && (!Number.isSafeInteger(r.time) || r.time < 0)) throw new TypeError(`audit record: time ${r.time} is not a non-negative integer (ms)`);
}

/** A value canonical JSON cannot hold; `path` is filled in as the error unwinds (only on failure). */
class CanonicalError extends TypeError {
  readonly at: string[];
  readonly what: string;
  constructor(what: string) {
    super(what);
    this.what = what;
    this.at = [];
  }
}

/** Quoted keys: records repeat the same few keys, and quoting them is a JSON.stringify call each. */
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}

function canon(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isSafeInteger(v)) throw new CanonicalError(`is ${v}: only safe integers (write other numbers as strings)`);
      return '' + v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) s += ',';
          try {
            s += canon(v[i]);
          } catch (err) {
            if (err instanceof CanonicalError) err.at.push(`[${i}]`);
            throw err;
          }
        }
        return s + ']';
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalError(`is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a plain object`);
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const x = o[k];
        if (x === undefined) continue;
        if (!first) s += ',';
        first = false;
        try {
          s += quoteKey(k) + ':' + canon(x);
        } catch (err) {
          if (err instanceof CanonicalError) err.at.push(`.${k}`);
          throw err;
        }
      }
      return s + '}';
    }
    default:
      throw new CanonicalError(`is a ${typeof v}`);
  }
}

/** An object with array-index keys: JS orders those numerically, so JSON.stringify cannot sort them. */
const INDEX_KEYS = Symbol('index keys');
const INDEX_KEY_RE = /^(?:0|[1-9]\d{0,9})$/;

/**
 * The value itself when it is already canonical (plain, keys in order, safe integers), else a copy
 * with keys inserted in sorted order: JSON.stringify of the result is the canonical text, at the
 * speed of the native serialiser. Throws a CanonicalError for what canonical JSON cannot hold.
 */
function normalize(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isSafeInteger(v)) throw new CanonicalError(`is ${v}: only safe integers (write other numbers as strings)`);
      return v;
    case 'object': {
      if (v === null) return v;
      if (Array.isArray(v)) {
        let out: unknown[] | null = null;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          let n: unknown;
          try {
            if (x === undefined) throw new CanonicalError('is a undefined');
            n = normalize(x);
          } catch (err) {
            if (err instanceof CanonicalError) err.at.push(`[${i}]`);
            throw err;
          }
          if (n !== x) (out ??= v.slice())[i] = n;
        }
        return out ?? v;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CanonicalError(`is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a plain object`);
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      let changed = false;
      const vals: unknown[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const c0 = k.charCodeAt(0);
        if (c0 >= 48 && c0 <= 57 && INDEX_KEY_RE.test(k)) throw INDEX_KEYS;
        if (i > 0 && keys[i - 1]! > k) changed = true;
        const x = o[k];
        if (x === undefined) {
          changed = true;
          continue;
        }
        try {
          const n = normalize(x);
          vals[i] = n;
          if (n !== x) changed = true;
        } catch (err) {
          if (err instanceof CanonicalError) err.at.push(`.${k}`);
          throw err;
        }
      }
      if (!changed) return v;
      const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
      const out: Record<string, unknown> = {};
      for (const i of order) if (vals[i] !== undefined) out[keys[i]!] = vals[i];
      return out;
    }
    default:
      throw new CanonicalError(`is a ${typeof v}`);
  }
}

/** Canonical JSON text of a value; throws naming the path of anything it cannot encode exactly. */
export function canonicalJson(v: unknown, path = '$'): string {
  try {
    try {
      return JSON.stringify(normalize(v));
    } catch (err) {
      // index-like keys: the slower serialiser sorts them as strings too
      if (err === INDEX_KEYS) return canon(v);
      throw err;
    }
  } catch (err) {
    if (!(err instanceof CanonicalError)) throw err;
    throw new TypeError(`canonical JSON: ${path}${err.at.reverse().join('')} ${err.what}`);
  }
}

const VERSION_PREFIX = String.fromCharCode(RECORD_ENCODING_VERSION);

/** The body of a record. */
export function recordBody(r: RecordInput & { seq: number; time: number }): RecordBody {
  // keys inserted in sorted order, so the canonical encoding needs no copy of the top level
  const body = { correlationId: r.correlationId } as RecordBody;
  if (r.evidenceHash !== undefined) body.evidenceHash = r.evidenceHash;
  body.height = r.height;
  body.payload = r.payload;
  body.seq = r.seq;
  body.severity = r.severity;
  body.subject = r.subject;
  body.time = r.time;
  body.type = r.type;
  body.v = RECORD_ENCODING_VERSION;
  if (r.validatorId !== undefined) body.validatorId = r.validatorId;
  return body;
}

/** `0x01 ‖ canonical JSON` of the body. */
export function encodeRecordBody(body: RecordBody): Uint8Array {
  if (body.v !== RECORD_ENCODING_VERSION) throw new TypeError(`audit record ${body.seq}: encoding version ${body.v} is not supported (this node knows ${RECORD_ENCODING_VERSION})`);
  // one native UTF-8 encode into Buffer's slab pool: "\x01" is the version byte's own UTF-8 encoding
  return Buffer.from(VERSION_PREFIX + canonicalJson(body), 'utf8');
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
