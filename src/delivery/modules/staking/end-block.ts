/**
 * Staking's end-block: the validator sets follow the validator records once per block, after the
 * block's transactions, so every tx of a block is judged against the same sets.
 */
import { getUpdatedValidators } from '../../../protocol/validators/validator-set.ts';
import type { Validator } from '../../../protocol/validators/validator.ts';
import type { StakingState } from './state.ts';

/**
 * Brings the Delivery set in line with the validator records at the staking chain's ack count
 * (joins that became current, exits that reached their end epoch, changed signers), then moves its
 * proposer by one if anything changed (Delivery's rule), and derives the consensus set for the next
 * height (Tendermint's copy: the same changes, then one increment per height). Returns the changes
 * applied (power 0 = removal).
 */
export function endBlockValidatorUpdates(s: StakingState, ackCount: number): Validator[] {
  const all = [...s.validators.values()];
  const changes = getUpdatedValidators(s.deliverySet, all, ackCount);
  // A signer update leaves the old signer in the set under no record: remove it explicitly.
  const signers = new Set(all.map((v) => v.signer));
  for (const v of s.deliverySet.validators()) if (!signers.has(v.signer)) changes.push({ ...v, votingPower: 0n });
  const next = s.consensusSet.copy();
  if (changes.length > 0) {
    try {
      const trial = s.deliverySet.copy();
      trial.applyChanges(changes);
      next.updateWithChangeSet(changes);
      s.deliverySet = trial;
    } catch {
      // The set would become empty or invalid: keep the old one (deterministic on every node).
      changes.length = 0;
    }
  }
  next.incrementProposerPriority(1);
  s.prevConsensusSet = s.consensusSet;
  s.consensusSet = next;
  return changes;
}
