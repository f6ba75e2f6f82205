/**
 * The validator schedule of a simulation: the Delivery ValidatorSet (spec §6) built at genesis, each
 * height's set being the previous one advanced once (Tendermint's rule for an unchanged set), and
 * proposer(h, r) the height's set advanced r times (validatorSetView).
 */
import { bytesToHex, compareBytes } from '../../../util/bytes.ts';
import { ValidatorSet } from '../../../protocol/validators/validator-set.ts';
import { makeValidator } from '../../../protocol/validators/validator.ts';
import type { ConsensusValidator, ValidatorSetView } from '../interface.ts';
import { validatorSetView } from '../validator-view.ts';

export class SimValidators {
  readonly validators: readonly ConsensusValidator[];
  readonly totalVotingPower: number;
  /** Set at the start of each height (index = height). */
  private readonly sets: ValidatorSet[] = [];
  private readonly views = new Map<number, ValidatorSetView>();

  constructor(validators: ConsensusValidator[]) {
    this.validators = [...validators].sort((a, b) => compareBytes(a.address, b.address));
    this.totalVotingPower = this.validators.reduce((n, v) => n + v.votingPower, 0);
    this.sets[1] = ValidatorSet.fromValidators(this.validators.map((v, i) => makeValidator({ id: i + 1, signer: bytesToHex(v.address), pubKey: bytesToHex(v.publicKey), votingPower: v.votingPower })));
  }

  setAt(height: number): ValidatorSet {
    if (height < 1) throw new Error(`no validator set for height ${height}`);
    for (let h = this.sets.length; h <= height; h++) this.sets[h] = this.sets[h - 1]!.copyIncrementProposerPriority(1);
    return this.sets[height]!;
  }

  at(height: number): ValidatorSetView {
    let view = this.views.get(height);
    if (!view) {
      view = validatorSetView(this.setAt(height));
      this.views.set(height, view);
    }
    return view;
  }
}
