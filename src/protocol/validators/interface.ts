/**
 * What consumers (Delivery consensus, checkpoint signature sets, span selection) see of a validator
 * set. The set is kept sorted by signer address; every getter returns copies so callers can never
 * disturb the priorities in place.
 */
import type { Validator, ValidatorJson } from './validator.ts';

export interface ValidatorSetJson {
  validators: ValidatorJson[];
  /** The validator chosen by the last increment (a snapshot, as Heimdall persists it), or null. */
  proposer: ValidatorJson | null;
}

export interface ReadonlyValidatorSet {
  readonly size: number;
  /** Copies of the validators, sorted by signer address. */
  validators(): Validator[];
  totalVotingPower(): bigint;
  /** The proposer chosen by the last increment (or the highest priority if none yet). */
  getProposer(): Validator | null;
  getByAddress(signer: string): { index: number; validator: Validator } | null;
  getByIndex(index: number): Validator | null;
  getById(id: number): Validator | null;
  hasAddress(signer: string): boolean;
  copy(): ReadonlyValidatorSet;
  /** keccak256 over (signer ‖ pubKey ‖ u64 power) of each validator in order: priorities excluded. */
  hash(): Uint8Array;
  toJSON(): ValidatorSetJson;
}
