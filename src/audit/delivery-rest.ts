/**
 * Delivery's REST as BTTC serves it, read from outside. Written against BTTC's Go types
 * (bttcprotocol/delivery types/span.go, types/validator.go, types/validator-set.go,
 * bor/types/params.go), which the querier marshals with encoding/json into the
 * `{"height":"<decimal>","result":…}` envelope:
 *
 *   bor/span/{id} → {"span_id":N,"start_block":N,"end_block":N,
 *                    "validator_set":{"validators":[V…],"proposer":V},
 *                    "selected_producers":[V…],"bor_chain_id":"199"}
 *   V = {"ID":N,"startEpoch":N,"endEpoch":N,"nonce":N,"power":N,"pubKey":"0x04…","signer":"0x…",
 *        "last_updated":"…","jailed":false,"accum":N}
 *   bor/params → {"sprint_duration":N,"span_duration":N,"producer_count":N}
 *
 * Integers are JSON numbers there; the same records in a genesis file (amino JSON) carry them as
 * decimal strings, so both are read. int64 values (power, accum) are parsed from their source text,
 * so one beyond 2^53 keeps every digit.
 */
import { AuditError } from './interface.ts';
import { snippet, type HttpEndpoint } from './http.ts';

type Json = Record<string, unknown>;

/** Integers as bigint when JSON.parse would round them (beyond 2^53), from the number's own text. */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) return BigInt(context.source);
    return value;
  } as (key: string, value: unknown) => unknown);
}

export interface DeliveryValidator {
  id: number;
  startEpoch: bigint;
  endEpoch: bigint;
  nonce: bigint;
  power: bigint;
  pubKey: string;
  signer: string;
  lastUpdated: string;
  jailed: boolean;
  accum: bigint;
}

export interface DeliverySpan {
  id: number;
  startBlock: number;
  endBlock: number;
  validators: DeliveryValidator[];
  proposer: DeliveryValidator | null;
  selectedProducers: DeliveryValidator[];
  /** A string in BTTC's JSON ("199"): Bttc compares it as one. */
  bttcChainId: string;
}

export interface BorParams {
  sprintDuration: number;
  spanDuration: number;
  producerCount: number;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function fail(message: string): never {
  throw new AuditError(message);
}

function obj(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what}: expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Json;
}

function field(o: Json, key: string, what: string): unknown {
  if (!(key in o)) fail(`${what}: missing "${key}"`);
  return o[key];
}

/** A JSON integer (number, exact bigint from parseJsonExact, or decimal string) within [min, max]. */
function integer(v: unknown, what: string, min: bigint, max: bigint): bigint {
  let n: bigint | null = null;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
  if (n === null) fail(`${what}: expected an integer, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
  if (n < min || n > max) fail(`${what}: ${n} is out of range [${min}, ${max}]`);
  return n;
}

const uint64 = (o: Json, key: string, what: string) => integer(field(o, key, what), `${what}.${key}`, 0n, UINT64_MAX);
const int64 = (o: Json, key: string, what: string) => integer(field(o, key, what), `${what}.${key}`, INT64_MIN, INT64_MAX);
const safeUint = (o: Json, key: string, what: string) => Number(integer(field(o, key, what), `${what}.${key}`, 0n, BigInt(Number.MAX_SAFE_INTEGER)));

function str(o: Json, key: string, what: string): string {
  const v = field(o, key, what);
  if (typeof v !== 'string') fail(`${what}.${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** One validator record (Go `types.Validator`): the fields the audit reads are required and checked. */
export function parseDeliveryValidator(raw: unknown, what: string): DeliveryValidator {
  const o = obj(raw, what);
  const signer = str(o, 'signer', what);
  if (!/^0x[0-9a-fA-F]{40}$/.test(signer)) fail(`${what}.signer: expected a 0x-prefixed 20-byte address, got ${JSON.stringify(signer)}`);
  const jailed = field(o, 'jailed', what);
  if (typeof jailed !== 'boolean') fail(`${what}.jailed: expected true or false, got ${JSON.stringify(jailed)}`);
  const pubKey = o.pubKey === undefined ? '0x' : str(o, 'pubKey', what);
  if (pubKey !== '0x' && !/^0x[0-9a-fA-F]{130}$/.test(pubKey)) fail(`${what}.pubKey: expected a 65-byte 0x-hex public key, got ${JSON.stringify(pubKey)}`);
  return {
    id: safeUint(o, 'ID', what),
    startEpoch: uint64(o, 'startEpoch', what),
    endEpoch: uint64(o, 'endEpoch', what),
    nonce: o.nonce === undefined ? 0n : uint64(o, 'nonce', what),
    power: int64(o, 'power', what),
    pubKey: pubKey.toLowerCase(),
    signer: signer.toLowerCase(),
    lastUpdated: o.last_updated === undefined ? '' : str(o, 'last_updated', what),
    jailed,
    accum: o.accum === undefined ? 0n : int64(o, 'accum', what),
  };
}

function validatorList(v: unknown, what: string): DeliveryValidator[] {
  if (!Array.isArray(v)) fail(`${what}: expected a JSON array, got ${v === null ? 'null' : typeof v}`);
  return v.map((x, i) => parseDeliveryValidator(x, `${what}[${i}]`));
}

/** `result` of `bor/span/{id}` (Go `types.Span`). */
export function parseDeliverySpan(raw: unknown, what = 'span'): DeliverySpan {
  const o = obj(raw, what);
  const vs = obj(field(o, 'validator_set', what), `${what}.validator_set`);
  const chainId = field(o, 'bor_chain_id', what);
  if (typeof chainId !== 'string' && !(typeof chainId === 'number' && Number.isSafeInteger(chainId))) fail(`${what}.bor_chain_id: expected a string ("199"), got ${JSON.stringify(chainId)}`);
  const span: DeliverySpan = {
    id: safeUint(o, 'span_id', what),
    startBlock: safeUint(o, 'start_block', what),
    endBlock: safeUint(o, 'end_block', what),
    validators: validatorList(field(vs, 'validators', `${what}.validator_set`), `${what}.validator_set.validators`),
    proposer: vs.proposer === undefined || vs.proposer === null ? null : parseDeliveryValidator(vs.proposer, `${what}.validator_set.proposer`),
    selectedProducers: validatorList(field(o, 'selected_producers', what), `${what}.selected_producers`),
    bttcChainId: String(chainId),
  };
  if (span.endBlock < span.startBlock) fail(`${what}: end_block ${span.endBlock} is before start_block ${span.startBlock}`);
  return span;
}

/** `result` of `bor/params` (Go `bor/types.Params`). */
export function parseBorParams(raw: unknown, what = 'bor/params'): BorParams {
  const o = obj(raw, what);
  return { sprintDuration: safeUint(o, 'sprint_duration', what), spanDuration: safeUint(o, 'span_duration', what), producerCount: safeUint(o, 'producer_count', what) };
}

/** The `{"height":"N","result":…}` envelope every answer comes in; `result` as parsed. */
export function parseEnvelope(raw: unknown, what: string): { height: bigint; result: unknown } {
  const o = obj(raw, what);
  const h = field(o, 'height', what);
  if (typeof h !== 'string' || !/^\d+$/.test(h)) fail(`${what}.height: expected a decimal string, got ${JSON.stringify(typeof h === 'bigint' ? String(h) : h)}`);
  return { height: BigInt(h), result: field(o, 'result', what) };
}

/** Delivery's REST, for the paths the audits read. */
export class DeliveryRest {
  private readonly http: HttpEndpoint;

  constructor(http: HttpEndpoint) {
    this.http = http;
  }

  get name(): string {
    return this.http.name;
  }

  /**
   * The envelope's result, or null for a 404 (a path this server does not have, or an id it has not)
   * and for BTTC's way of saying the id is unknown: its handlers pass the querier's "span not found
   * for id" on as HTTP 500, which no retry changes.
   */
  async get(path: string): Promise<{ height: bigint; result: unknown } | null> {
    const notFound = (a: { status: number; text: string }) => a.status === 404 || (a.status === 500 && /not found/i.test(a.text));
    const { status, text } = await this.http.request('GET', path, undefined, notFound);
    if (notFound({ status, text })) return null;
    const where = `${this.http.flag} ${this.http.target(path)}`;
    let parsed: unknown;
    try {
      parsed = parseJsonExact(text);
    } catch {
      throw new AuditError(`${where}: not JSON (HTTP ${status}${snippet(text)})`);
    }
    if (status !== 200) throw new AuditError(`${where}: HTTP ${status}${snippet(text)}`);
    return parseEnvelope(parsed, where);
  }

  /** `bor/span/{id}`; AuditError when the server has no such span. */
  async span(id: number): Promise<DeliverySpan> {
    const path = `bor/span/${id}`;
    const got = await this.get(path);
    if (!got) throw new AuditError(`${this.http.flag} ${this.http.target(path)}: no span ${id}`);
    const span = parseDeliverySpan(got.result, `${this.http.target(path)} result`);
    if (span.id !== id) throw new AuditError(`${this.http.flag} ${this.http.target(path)}: answered span ${span.id} for span ${id}`);
    return span;
  }

  /** `bor/params`, or null when the server does not serve it. */
  async borParams(): Promise<BorParams | null> {
    const got = await this.get('bor/params');
    return got ? parseBorParams(got.result, `${this.http.target('bor/params')} result`) : null;
  }
}
