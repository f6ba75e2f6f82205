/** Staking's read side over the committed state: the Delivery validator set, one validator, the proposer. */
import { validatorToJson, type ValidatorJson } from '../../../protocol/validators/validator.ts';
import type { CommittedState } from '../../app/state.ts';
import { proposerSigner, stakingOf } from './state.ts';

export interface ValidatorSetJsonView {
  validators: ValidatorJson[];
  proposer: ValidatorJson | null;
  totalVotingPower: string;
}

export class StakingQueries {
  private readonly committed: CommittedState;

  constructor(committed: CommittedState) {
    this.committed = committed;
  }

  validatorSet(): ValidatorSetJsonView {
    const set = stakingOf(this.committed.get()).deliverySet;
    return { ...set.toJSON(), totalVotingPower: set.totalVotingPower().toString() };
  }

  validator(id: number): ValidatorJson | null {
    const v = stakingOf(this.committed.get()).validators.get(id);
    return v ? validatorToJson(v) : null;
  }

  /** The Delivery set's proposer, who proposes the next checkpoint. */
  proposer(): string | null {
    return proposerSigner(this.committed.get());
  }
}
