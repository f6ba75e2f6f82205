/**
 * Bor's turn and timing rules (spec §8). `succession` is how many places after the in-turn producer
 * a signer stands; difficulty = N − succession so the in-turn block always weighs most; a block may
 * be sealed no earlier than `parent.time + delay`, with delay = period (or producerDelay at a sprint
 * start, to let the previous producer's last block propagate) + succession × backupMultiplier.
 */
import { bytesToHex } from '../../util/bytes.ts';
import type { ProposerSet } from './interface.ts';
import type { BorParams } from './types.ts';
import { isSprintStart } from './extra.ts';

export class NotAProducerError extends Error {}

/** (signerIndex − proposerIndex) mod N; throws NotAProducerError when the signer is not in the set. */
export function succession(set: ProposerSet, signer: Uint8Array): number {
  const n = set.validators.length;
  const signerIndex = set.indexOf(signer);
  if (signerIndex < 0) throw new NotAProducerError(`${bytesToHex(signer)} is not in the producer set`);
  const proposerIndex = set.indexOf(set.proposer());
  return (((signerIndex - proposerIndex) % n) + n) % n;
}

export function difficultyFor(set: ProposerSet, signer: Uint8Array): bigint {
  return BigInt(set.validators.length - succession(set, signer));
}

/** Bor's `CalcProducerDelay`, in seconds. */
export function producerDelay(number: bigint, succ: number, p: BorParams): number {
  const base = isSprintStart(number, p.sprint) ? p.producerDelay : p.period;
  return base + succ * p.backupMultiplier;
}

/** The earliest timestamp block `number` may carry for a signer at `succ`. */
export function earliestTime(parentTime: bigint, number: bigint, succ: number, p: BorParams): bigint {
  return parentTime + BigInt(producerDelay(number, succ, p));
}

export const GAS_LIMIT_BOUND_DIVISOR = 1024n;
export const MIN_GAS_LIMIT = 5000n;

/** geth's `CalcGasLimit`: step from the parent's limit toward `desired` by less than parent/1024. */
export function calcGasLimit(parentGasLimit: bigint, desired: bigint): bigint {
  const delta = parentGasLimit / GAS_LIMIT_BOUND_DIVISOR - 1n;
  let limit = parentGasLimit;
  if (desired < MIN_GAS_LIMIT) desired = MIN_GAS_LIMIT;
  if (limit < desired) {
    limit = parentGasLimit + delta;
    if (limit > desired) limit = desired;
  } else if (limit > desired) {
    limit = parentGasLimit - delta;
    if (limit < desired) limit = desired;
  }
  return limit;
}

/** geth's `VerifyGaslimit`: the change from the parent is below parent/1024 and the limit ≥ 5000. */
export function gasLimitChangeOk(parentGasLimit: bigint, gasLimit: bigint): boolean {
  const diff = parentGasLimit > gasLimit ? parentGasLimit - gasLimit : gasLimit - parentGasLimit;
  return diff < parentGasLimit / GAS_LIMIT_BOUND_DIVISOR && gasLimit >= MIN_GAS_LIMIT;
}
