/**
 * A small proposer-priority validator set for simulations (Tendermint's rotation, without the
 * rescaling that only matters for changing sets): proposer(h, r) is the set of height h advanced r
 * times, and each height advances the set once. The Delivery ValidatorSet (src/delivery/validators)
 * is the real one; this stands in for it so consensus can be simulated on its own.
 */
import { bytesToHex, compareBytes } from '../../../util/bytes.ts';
import type { ConsensusValidator, ValidatorSetView } from '../interface.ts';

export class SimValidators {
  readonly validators: readonly ConsensusValidator[];
  readonly totalVotingPower: number;
  private readonly byAddr: Map<string, ConsensusValidator>;
  /** Priorities at the start of each height (index = height). */
  private readonly priorities: number[][] = [];
  private readonly views = new Map<number, ValidatorSetView>();

  constructor(validators: ConsensusValidator[]) {
    this.validators = [...validators].sort((a, b) => compareBytes(a.address, b.address));
    this.totalVotingPower = this.validators.reduce((n, v) => n + v.votingPower, 0);
    this.byAddr = new Map(this.validators.map((v) => [bytesToHex(v.address), v]));
    const genesis = this.validators.map(() => 0);
    this.increment(genesis);
    this.priorities[1] = genesis;
  }

  /** Advances priorities once; returns the index of the proposer chosen. */
  private increment(prio: number[]): number {
    let best = 0;
    for (let i = 0; i < prio.length; i++) {
      prio[i]! += this.validators[i]!.votingPower;
      if (prio[i]! > prio[best]!) best = i;
    }
    prio[best]! -= this.totalVotingPower;
    return best;
  }

  private proposerIndex(prio: number[]): number {
    let best = 0;
    for (let i = 1; i < prio.length; i++) if (prio[i]! > prio[best]!) best = i;
    return best;
  }

  private prioritiesAt(height: number): number[] {
    if (height < 1) throw new Error(`no validator set for height ${height}`);
    for (let h = this.priorities.length; h <= height; h++) {
      const p = [...this.priorities[h - 1]!];
      this.increment(p);
      this.priorities[h] = p;
    }
    return this.priorities[height]!;
  }

  at(height: number): ValidatorSetView {
    let view = this.views.get(height);
    if (view) return view;
    const start = this.prioritiesAt(height);
    const byRound: ConsensusValidator[] = [];
    let cur = [...start];
    const self = this;
    view = {
      validators: this.validators,
      totalVotingPower: this.totalVotingPower,
      getByAddress: (hex) => self.byAddr.get(hex),
      proposer(round: number): ConsensusValidator {
        while (byRound.length <= round) {
          byRound.push(self.validators[self.proposerIndex(cur)]!);
          cur = [...cur];
          self.increment(cur);
        }
        return byRound[round]!;
      },
    };
    this.views.set(height, view);
    return view;
  }
}
