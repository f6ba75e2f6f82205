/**
 * Consensus's view of the Delivery validator set (src/protocol/validators, spec §6): proposer(h, r) is
 * the height's set advanced `r` times by the proposer-priority algorithm (CometBFT's
 * `CopyIncrementProposerPriority(round)`), and the next height's set is this one advanced once when
 * nothing changed.
 */
import { hexToBytes } from '../../util/bytes.ts';
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import type { Validator } from '../../protocol/validators/validator.ts';
import type { ConsensusValidator, ValidatorSetView } from './interface.ts';

function toConsensus(v: Validator): ConsensusValidator {
  if (v.pubKey === '0x') throw new Error(`validator ${v.signer} has no public key: it cannot take part in consensus`);
  if (v.votingPower > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`validator ${v.signer}: voting power ${v.votingPower} is too large for consensus tallies`);
  return { address: hexToBytes(v.signer), publicKey: hexToBytes(v.pubKey), votingPower: Number(v.votingPower) };
}

/** Rounds whose proposers are computed together on the first call past round 0. */
const BATCH_ROUNDS = 8;

/** The set deciding one height. `set` is copied: later changes to it do not leak in. */
export function validatorSetView(set: ValidatorSet): ValidatorSetView {
  const base = set.copy();
  // The set is the active one (the application removes jailed and zero-power validators before it gets here).
  const records = base.validators();
  const validators = records.map(toConsensus);
  const byAddress = new Map(records.map((v, i) => [v.signer, validators[i]!]));
  const totalVotingPower = validators.reduce((n, v) => n + v.votingPower, 0);
  const proposers: ConsensusValidator[] = [];
  return {
    validators,
    totalVotingPower,
    getByAddress: (hex) => byAddress.get(hex.toLowerCase()),
    proposer(round: number): ConsensusValidator {
      let p = proposers[round];
      if (!p) {
        if (round === 0) proposers[0] = byAddress.get(base.getProposer()!.signer)!;
        else {
          // Rounds 1..n in one pass (each round's proposer is one more increment of the same
          // rescaled copy); telemetry asks for rounds 0..7 of every height, consensus rarely past 0.
          const signers = base.proposerSignersByRound(Math.max(round, BATCH_ROUNDS));
          signers.forEach((signer, i) => {
            proposers[i + 1] = byAddress.get(signer)!;
          });
        }
        p = proposers[round]!;
      }
      return p;
    },
  };
}
