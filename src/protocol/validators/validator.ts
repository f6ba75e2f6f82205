/**
 * The Delivery validator record (Heimdall's `types.Validator` as forked by BTTC) and its stable JSON
 * form. Addresses and keys are kept as lower-case 0x-hex strings: for fixed-length lower-case hex,
 * string order equals byte order, so sorting and lookups need no byte conversions, and the record is
 * JSON-friendly. int64 fields are bigint in memory and decimal strings in JSON.
 */
import { isInt64, INT64_MAX } from './int64.ts';

export interface Validator {
  /** StakingNFT id on the root chain (ids start at 1). */
  id: number;
  /** First epoch (checkpoint count) in which the validator is active. */
  startEpoch: number;
  /** 0 while active; the epoch from which it is no longer active after unstaking. */
  endEpoch: number;
  /** Staking event nonce, for replay protection of validator updates. */
  nonce: number;
  /** int64. BTTC fixes every validator's power at 1; span producers carry their draw count. */
  votingPower: bigint;
  /** 65-byte uncompressed secp256k1 key (0x04 ‖ x ‖ y) as 0x-hex; '0x' when unknown. */
  pubKey: string;
  /** 20-byte signer address, lower-case 0x-hex. */
  signer: string;
  jailed: boolean;
  /** int64 accumulator of the proposer-priority algorithm (Heimdall's `accum`). */
  proposerPriority: bigint;
}

export interface ValidatorJson {
  id: number;
  startEpoch: number;
  endEpoch: number;
  nonce: number;
  votingPower: string;
  pubKey: string;
  signer: string;
  jailed: boolean;
  proposerPriority: string;
}

export class ValidatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidatorError';
  }
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

/** Lower-cases and checks a 20-byte 0x-hex address; `what` names the field in the error. */
export function normalizeAddress(value: unknown, what = 'address'): string {
  if (typeof value !== 'string') throw new ValidatorError(`${what}: expected a 0x-prefixed 20-byte hex string, got ${typeof value}`);
  const v = value.toLowerCase();
  if (!ADDRESS_RE.test(v)) throw new ValidatorError(`${what}: expected a 0x-prefixed 20-byte hex string, got ${JSON.stringify(value)}`);
  return v;
}

function normalizePubKey(value: unknown, what: string): string {
  if (value === undefined || value === null || value === '' || value === '0x') return '0x';
  if (typeof value !== 'string' || !/^0x04[0-9a-fA-F]{128}$/.test(value)) throw new ValidatorError(`${what}: expected a 65-byte uncompressed public key (0x04…), got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

function nonNegativeInt(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new ValidatorError(`${what}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses an int64 given as bigint, safe integer or decimal string. */
export function parseInt64(value: unknown, what: string): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) v = BigInt(value.trim());
  else throw new ValidatorError(`${what}: expected an integer (number or decimal string), got ${JSON.stringify(value)}`);
  if (!isInt64(v)) throw new ValidatorError(`${what}: ${v} is outside int64`);
  return v;
}

export interface ValidatorInit {
  id: number;
  signer: string;
  votingPower: bigint | number | string;
  pubKey?: string;
  startEpoch?: number;
  endEpoch?: number;
  nonce?: number;
  jailed?: boolean;
  proposerPriority?: bigint | number | string;
}

/** Builds a checked validator record; missing fields take their genesis defaults. */
export function makeValidator(init: ValidatorInit): Validator {
  const votingPower = parseInt64(init.votingPower, `validator ${init.id} votingPower`);
  if (votingPower < 0n || votingPower > INT64_MAX) throw new ValidatorError(`validator ${init.id} votingPower: must be ≥ 0, got ${votingPower}`);
  return {
    id: nonNegativeInt(init.id, 'validator id'),
    startEpoch: nonNegativeInt(init.startEpoch ?? 0, `validator ${init.id} startEpoch`),
    endEpoch: nonNegativeInt(init.endEpoch ?? 0, `validator ${init.id} endEpoch`),
    nonce: nonNegativeInt(init.nonce ?? 0, `validator ${init.id} nonce`),
    votingPower,
    pubKey: normalizePubKey(init.pubKey, `validator ${init.id} pubKey`),
    signer: normalizeAddress(init.signer, `validator ${init.id} signer`),
    jailed: init.jailed ?? false,
    proposerPriority: parseInt64(init.proposerPriority ?? 0n, `validator ${init.id} proposerPriority`),
  };
}

export function copyValidator(v: Validator): Validator {
  return { ...v };
}

/**
 * Heimdall's `IsCurrentValidator`: the current epoch is ackCount + 1; a validator counts when it is not
 * jailed, has started, has not reached its end epoch, and has power.
 */
export function isCurrentValidator(v: Validator, ackCount: number | bigint): boolean {
  const epoch = BigInt(ackCount) + 1n;
  return !v.jailed && BigInt(v.startEpoch) <= epoch && (v.endEpoch === 0 || BigInt(v.endEpoch) > epoch) && v.votingPower > 0n;
}

/** Byte order of signer addresses (string order of normalised hex). */
export function compareSigner(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validatorToJson(v: Validator): ValidatorJson {
  return {
    id: v.id,
    startEpoch: v.startEpoch,
    endEpoch: v.endEpoch,
    nonce: v.nonce,
    votingPower: v.votingPower.toString(),
    pubKey: v.pubKey,
    signer: v.signer,
    jailed: v.jailed,
    proposerPriority: v.proposerPriority.toString(),
  };
}

export function validatorFromJson(json: unknown, what = 'validator'): Validator {
  if (json === null || typeof json !== 'object') throw new ValidatorError(`${what}: expected an object`);
  const o = json as Record<string, unknown>;
  if (o.jailed !== undefined && typeof o.jailed !== 'boolean') throw new ValidatorError(`${what}.jailed: expected a boolean`);
  return makeValidator({
    id: nonNegativeInt(o.id, `${what}.id`),
    signer: o.signer as string,
    votingPower: o.votingPower as string,
    pubKey: o.pubKey as string | undefined,
    startEpoch: o.startEpoch as number | undefined,
    endEpoch: o.endEpoch as number | undefined,
    nonce: o.nonce as number | undefined,
    jailed: o.jailed as boolean | undefined,
    proposerPriority: (o.proposerPriority ?? 0) as string,
  });
}
