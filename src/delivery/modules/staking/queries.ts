/**
 * Staking's read side over the committed state: the Delivery validator set, validators by id and
 * signer, proposers; and over its buckets: validators' stake, delegations, partners.
 */
import { copyValidator, isCurrentValidator, validatorToJson, type Validator, type ValidatorJson } from '../../../protocol/validators/validator.ts';
import type { CommittedState } from '../../app/state.ts';
import { stakingAckCount } from '../checkpoint/state.ts';
import type { DelegationRecord, StakeStore, ValidatorStakeRecord } from './stake-store.ts';
import { proposerSigner, stakingOf } from './state.ts';

export interface ValidatorSetJsonView {
  validators: ValidatorJson[];
  proposer: ValidatorJson | null;
  totalVotingPower: string;
}

export class StakingQueries {
  private readonly committed: CommittedState;
  private readonly stake: StakeStore;

  constructor(committed: CommittedState, stake: StakeStore) {
    this.committed = committed;
    this.stake = stake;
  }

  /** A validator's stake as the staking chain's events told Delivery; null for one seen only in genesis. */
  validatorStake(id: number): Promise<ValidatorStakeRecord | null> {
    return this.stake.validator(id);
  }

  /** Every delegation of `delegator` (lower-case 0x hex), by validator id. */
  delegations(delegator: string): Promise<DelegationRecord[]> {
    return this.stake.delegationsOf(delegator);
  }

  /** Addresses that delegated to a validator (now or before), at most `limit`. */
  delegators(validatorId: number, limit = 1000): Promise<string[]> {
    return this.stake.delegatorsOf(validatorId, limit);
  }

  validatorSet(): ValidatorSetJsonView {
    const set = stakingOf(this.committed.get()).deliverySet;
    return { ...set.toJSON(), totalVotingPower: set.totalVotingPower().toString() };
  }

  /** The Delivery set's validators (by signer) and its proposer, as copies. */
  deliverySet(): { validators: Validator[]; proposer: Validator | null } {
    const set = stakingOf(this.committed.get()).deliverySet;
    return { validators: set.validators(), proposer: set.getProposer() };
  }

  validator(id: number): ValidatorJson | null {
    const v = this.validatorRecord(id);
    return v ? validatorToJson(v) : null;
  }

  /** Every validator known from staking events (current or not), by id. */
  validatorRecord(id: number): Validator | null {
    const v = stakingOf(this.committed.get()).validators.get(id);
    return v ? copyValidator(v) : null;
  }

  /** A validator by its signer address (lower-case 0x hex). */
  validatorBySigner(signer: string): Validator | null {
    for (const v of stakingOf(this.committed.get()).validators.values()) if (v.signer === signer) return copyValidator(v);
    return null;
  }

  /** Heimdall's IsCurrentValidatorByAddress: known, and current at the staking chain's epoch. */
  isCurrentValidator(signer: string, stakingChainId: number): boolean {
    const v = this.validatorBySigner(signer);
    return v !== null && isCurrentValidator(v, stakingAckCount(this.committed.get(), stakingChainId));
  }

  totalVotingPower(): bigint {
    return stakingOf(this.committed.get()).deliverySet.totalVotingPower();
  }

  /** The Delivery set's proposer (Heimdall's GetCurrentProposer), a copy. */
  currentProposer(): Validator | null {
    return stakingOf(this.committed.get()).deliverySet.getProposer();
  }

  /** The next `times` proposers (at most one per validator): the proposer, then after each further increment (Heimdall's proposer query). */
  nextProposers(times: number): Validator[] {
    const set = stakingOf(this.committed.get()).deliverySet.copy();
    const out: Validator[] = [];
    for (let i = 0; i < Math.min(times, set.size); i++) {
      const p = set.getProposer();
      if (!p) break;
      out.push(p);
      set.incrementProposerPriority(1);
    }
    return out;
  }

  /** The Delivery set's proposer, who proposes the next checkpoint. */
  proposer(): string | null {
    return proposerSigner(this.committed.get());
  }
}
