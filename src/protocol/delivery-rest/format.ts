/**
 * Delivery's REST JSON, exactly as BTTC's Delivery (bttcprotocol/delivery) marshals its Go types, and
 * the reading side a Bttc client applies to it. Field names and order follow the Go structs
 * (encoding/json writes fields in declaration order); JSON kinds follow their Go types:
 *
 *   uint64 / int64          a number (bigint here when it may pass 2^53)
 *   HeimdallAddress         "0x" + 40 lower-case hex digits
 *   HeimdallHash            "0x" + 64 hex digits, or "" for the zero hash
 *   HexBytes                "0x" + hex ("0x" when empty)
 *   PubKey [65]byte         "0x" + 130 hex digits (zeros when unknown)
 *   time.Time               RFC 3339 with nanoseconds trimmed, UTC ("Z")
 *   bor_chain_id            a decimal string ("199")
 *
 * Pure format: no state, no I/O. The Delivery modules' REST routes build their answers with the
 * `delivery*` functions; the REST client (src/delivery-rest-client) decodes with the `from*` ones.
 */
import type { SpanJson } from '../span/span.ts';
import type { ValidatorSetJson } from '../validators/interface.ts';
import { validatorFromJson, type Validator, type ValidatorJson } from '../validators/validator.ts';
import type { GoJsonValue } from './go-json.ts';

type GoObject = { readonly [key: string]: GoJsonValue };

// ---- root chains ------------------------------------------------------------------------------

/** Delivery's root chain types (`types/chaintype.go`): the names its paths and records carry. */
export const ROOT_CHAIN_TYPES: Readonly<Record<string, number>> = { tron: 1, eth: 2, bsc: 3 };

/** Delivery's `GetRootChainName`: "no-chain" for an id it does not know. */
export function rootChainType(id: number): string {
  for (const [name, n] of Object.entries(ROOT_CHAIN_TYPES)) if (n === id) return name;
  return 'no-chain';
}

// ---- scalar forms -----------------------------------------------------------------------------

const ZERO_ADDRESS = '0x' + '00'.repeat(20);

/** HeimdallAddress: lower-case 0x hex; the zero address when unknown. */
export function heimdallAddress(hex: string | null): string {
  if (hex === null || hex === '') return ZERO_ADDRESS;
  if (!/^0x[0-9a-fA-F]{40}$/.test(hex)) throw new TypeError(`address: expected 0x + 40 hex digits, got ${JSON.stringify(hex)}`);
  return hex.toLowerCase();
}

/** HeimdallHash: "" for the zero hash (its String() says so), lower-case 0x hex otherwise. */
export function heimdallHash(hex: string | null): string {
  if (hex === null || hex === '' || hex === '0x') return '';
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`hash: expected 0x + 64 hex digits, got ${JSON.stringify(hex)}`);
  return /^0x0{64}$/.test(hex) ? '' : hex.toLowerCase();
}

/** HexBytes (hexutil.Encode): "0x" + lower-case hex. */
export function hexBytes(hex: string): string {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new TypeError(`bytes: expected 0x-hex, got ${JSON.stringify(hex)}`);
  return hex.toLowerCase();
}

/** PubKey [65]byte: always 65 bytes; an unknown key is all zeros. */
export function pubKey65(hex: string): string {
  if (hex === '' || hex === '0x') return '0x' + '00'.repeat(65);
  if (!/^0x[0-9a-fA-F]{130}$/.test(hex)) throw new TypeError(`pubKey: expected 65 bytes of 0x-hex, got ${JSON.stringify(hex)}`);
  return hex.toLowerCase();
}

/** time.Time's MarshalJSON (RFC3339Nano, trailing zeros of the fraction dropped), in UTC. */
export function rfc3339(unixMs: number): string {
  if (!Number.isSafeInteger(unixMs)) throw new TypeError(`time: ${unixMs} is not an integer number of ms`);
  const iso = new Date(unixMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The whole seconds (floor) of an RFC 3339 time: enough to compare it with Bor's second-precision `to`. */
export function rfc3339Seconds(s: unknown, what: string): bigint {
  const m = typeof s === 'string' ? RFC3339_RE.exec(s) : null;
  if (!m) throw new TypeError(`${what}: expected an RFC 3339 time, got ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, sec, , zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const days = Date.UTC(Number(y), Number(mo) - 1, Number(d)) / 86_400_000;
  let seconds = BigInt(days) * 86_400n + BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(sec));
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    seconds -= sign * BigInt(Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  // A fraction only moves the time forward within its second: floor keeps the whole second.
  return seconds;
}

// ---- validators and spans (types/validator.go, types/validator-set.go, types/span.go) ---------

/**
 * Delivery's `types.Validator`. `last_updated` is the replay sequence of the validator's last staking
 * event ("" at genesis); a caller that does not track it passes "".
 */
export function deliveryValidator(v: Validator, lastUpdated = ''): GoObject {
  return {
    ID: v.id,
    startEpoch: v.startEpoch,
    endEpoch: v.endEpoch,
    nonce: v.nonce,
    power: v.votingPower,
    pubKey: pubKey65(v.pubKey),
    signer: heimdallAddress(v.signer),
    last_updated: lastUpdated,
    jailed: v.jailed,
    accum: v.proposerPriority,
  };
}

function validatorOf(j: ValidatorJson, what: string): GoObject {
  return deliveryValidator(validatorFromJson(j, what));
}

/** Delivery's `types.ValidatorSet`: its validators (sorted by signer) and the proposer. */
export function deliveryValidatorSet(set: ValidatorSetJson): GoObject {
  return {
    validators: set.validators.map((v, i) => validatorOf(v, `validators[${i}]`)),
    proposer: set.proposer ? validatorOf(set.proposer, 'proposer') : null,
  };
}

/** Delivery's `types.Span` (what Bttc's `HeimdallSpan` decodes). */
export function deliverySpan(s: SpanJson): GoObject {
  return {
    span_id: s.id,
    start_block: s.startBlock,
    end_block: s.endBlock,
    validator_set: deliveryValidatorSet(s.validatorSet),
    selected_producers: s.selectedProducers.map((v, i) => validatorOf(v, `selected_producers[${i}]`)),
    bor_chain_id: String(s.bttcChainId),
  };
}

// ---- checkpoints (types/header.go, checkpoint/client/rest) ------------------------------------

export interface CheckpointFields {
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
  borChainId: number;
  /** Unix seconds. */
  timestamp: number;
}

/** Delivery's `types.Checkpoint` (the buffer, the list). */
export function deliveryCheckpoint(c: CheckpointFields): GoObject {
  return { proposer: heimdallAddress(c.proposer), start_block: c.start, end_block: c.end, root_hash: heimdallHash(c.rootHash), bor_chain_id: String(c.borChainId), timestamp: c.timestamp };
}

/** The checkpoint REST handlers' `CheckpointWithID`: the checkpoint number first. */
export function deliveryCheckpointWithId(id: number, c: CheckpointFields): GoObject {
  return { id, ...deliveryCheckpoint(c) };
}

// ---- clerk (clerk/types/record.go) ------------------------------------------------------------

export interface EventRecordFields {
  id: number;
  contract: string;
  data: string;
  txHash: string;
  logIndex: number;
  bttcChainId: number;
  /** Unix ms. */
  recordTimeMs: number;
  rootChainId: number;
}

/** Delivery's `clerk/types.EventRecord` (Bttc's `EventRecordWithTime` reads all but root_chain_type). */
export function deliveryEventRecord(r: EventRecordFields): GoObject {
  return {
    id: r.id,
    contract: heimdallAddress(r.contract),
    data: hexBytes(r.data),
    tx_hash: heimdallHash(r.txHash),
    log_index: r.logIndex,
    bor_chain_id: String(r.bttcChainId),
    record_time: rfc3339(r.recordTimeMs),
    root_chain_type: rootChainType(r.rootChainId),
  };
}

// ---- the reading side (Bttc's consensus/bor decoding) -----------------------------------------

/** The envelope every Delivery answer comes in: `{"height":"N","result":…}`. */
export interface DeliveryEnvelope {
  height: string;
  result: unknown;
}

export class DeliveryFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryFormatError';
  }
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DeliveryFormatError(`${what}: expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

/** A Go uint64 / int64 as JSON carries it (a number, or a bigint from parseJsonExact). */
function int(v: unknown, what: string, signed = false): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else throw new DeliveryFormatError(`${what}: expected an integer, got ${JSON.stringify(v)}`);
  if (!signed && n < 0n) throw new DeliveryFormatError(`${what}: expected a non-negative integer, got ${n}`);
  if (n >= (signed ? 1n << 63n : 1n << 64n) || n < -(1n << 63n)) throw new DeliveryFormatError(`${what}: ${n} does not fit a ${signed ? 'int64' : 'uint64'}`);
  return n;
}

function safe(v: unknown, what: string): number {
  const n = int(v, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new DeliveryFormatError(`${what}: ${n} is past 2^53`);
  return Number(n);
}

function hexField(v: unknown, what: string, bytes?: number): string {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v) || (bytes !== undefined && v.length !== 2 + 2 * bytes))
    throw new DeliveryFormatError(`${what}: expected 0x-hex${bytes !== undefined ? ` of ${bytes} bytes` : ''}, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

/** What Bttc reads of a validator (bor's `Validator`: ID, signer, power, accum). */
export interface BorValidator {
  id: bigint;
  signer: string;
  power: bigint;
  accum: bigint;
}

export interface BorSpan {
  id: number;
  startBlock: number;
  endBlock: number;
  validators: BorValidator[];
  producers: BorValidator[];
  /** As Delivery sent it: Bttc compares it, as a string, with its own chain id. */
  chainId: string;
}

function borValidator(v: unknown, what: string): BorValidator {
  const o = obj(v, what);
  return { id: int(o.ID, `${what}.ID`), signer: hexField(o.signer, `${what}.signer`, 20), power: int(o.power, `${what}.power`, true), accum: int(o.accum, `${what}.accum`, true) };
}

function list(v: unknown, what: string): unknown[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new DeliveryFormatError(`${what}: expected an array, got ${JSON.stringify(v)}`);
  return v;
}

/** Decodes `bor/span/{id}` / `bor/latest-span` as Bttc's `HeimdallSpan`. */
export function spanFromDelivery(result: unknown): BorSpan {
  const o = obj(result, 'span');
  const set = obj(o.validator_set, 'span.validator_set');
  if (typeof o.bor_chain_id !== 'string') throw new DeliveryFormatError(`span.bor_chain_id: expected a string, got ${JSON.stringify(o.bor_chain_id)}`);
  return {
    id: safe(o.span_id, 'span.span_id'),
    startBlock: safe(o.start_block, 'span.start_block'),
    endBlock: safe(o.end_block, 'span.end_block'),
    validators: list(set.validators, 'span.validator_set.validators').map((v, i) => borValidator(v, `span.validator_set.validators[${i}]`)),
    producers: list(o.selected_producers, 'span.selected_producers').map((v, i) => borValidator(v, `span.selected_producers[${i}]`)),
    chainId: o.bor_chain_id,
  };
}

/** Bttc's `EventRecordWithTime`. */
export interface BorEventRecord {
  id: bigint;
  contract: string;
  data: string;
  txHash: string;
  logIndex: bigint;
  chainId: string;
  /** record_time in whole unix seconds (floor). */
  time: bigint;
}

/** Decodes one record of `clerk/event-record/list` as Bttc does (an empty tx_hash is the zero hash). */
export function eventRecordFromDelivery(v: unknown, what = 'record'): BorEventRecord {
  const o = obj(v, what);
  if (typeof o.bor_chain_id !== 'string') throw new DeliveryFormatError(`${what}.bor_chain_id: expected a string, got ${JSON.stringify(o.bor_chain_id)}`);
  const txHash = o.tx_hash === '' ? '0x' + '00'.repeat(32) : hexField(o.tx_hash, `${what}.tx_hash`, 32);
  return {
    id: int(o.id, `${what}.id`),
    contract: hexField(o.contract, `${what}.contract`, 20),
    data: hexField(o.data, `${what}.data`),
    txHash,
    logIndex: int(o.log_index, `${what}.log_index`),
    chainId: o.bor_chain_id,
    time: rfc3339Seconds(o.record_time, `${what}.record_time`),
  };
}

export function envelopeFrom(v: unknown, what: string): DeliveryEnvelope {
  const o = obj(v, what);
  if (typeof o.height !== 'string' || !/^\d+$/.test(o.height)) throw new DeliveryFormatError(`${what}.height: expected a decimal string, got ${JSON.stringify(o.height)}`);
  if (!('result' in o)) throw new DeliveryFormatError(`${what}: no result`);
  return { height: o.height, result: o.result };
}
