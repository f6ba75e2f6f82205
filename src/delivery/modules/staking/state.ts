/**
 * Staking's slice of the Delivery state: every validator record known from staking events, the
 * Delivery validator set (its proposer is the checkpoint proposer) and the consensus sets
 * (Tendermint's copy, rotated once per height). Other modules read and move the Delivery set only
 * through the functions here.
 */
import { ValidatorSet } from '../../../protocol/validators/validator-set.ts';
import type { ValidatorSetJson } from '../../../protocol/validators/interface.ts';
import { makeValidator, validatorFromJson, validatorToJson, type Validator, type ValidatorJson } from '../../../protocol/validators/validator.ts';
import { addressFromPublicKey } from '../../../crypto/address.ts';
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { DeliveryGenesis } from '../../app/types.ts';
import type { StateSlot } from '../module.ts';

/** BTTC: one validator, one vote. */
export const BTTC_VOTING_POWER = 1n;

export interface StakingState {
  /** Every validator record known from staking events, by id (current or not). */
  validators: Map<number, Validator>;
  /** Delivery's validator set: its proposer is the checkpoint proposer, moved by acks and no-acks. */
  deliverySet: ValidatorSet;
  /** The consensus set deciding height + 1 (Tendermint's copy, rotated every height). */
  consensusSet: ValidatorSet;
  /** The consensus set that decided `height` (its precommits ride in the next block). */
  prevConsensusSet: ValidatorSet;
}

interface StakingJson {
  validators: ValidatorJson[];
  deliverySet: ValidatorSetJson;
  consensusSet: ValidatorSetJson;
  prevConsensusSet: ValidatorSetJson;
}

export const STAKING_STATE: StateSlot<StakingState> = {
  module: 'staking',
  keys: ['validators', 'deliverySet', 'consensusSet', 'prevConsensusSet'],
  toJson(s: StakingState): Record<string, unknown> {
    const j: StakingJson = {
      validators: [...s.validators.values()].sort((a, b) => a.id - b.id).map(validatorToJson),
      deliverySet: s.deliverySet.toJSON(),
      consensusSet: s.consensusSet.toJSON(),
      prevConsensusSet: s.prevConsensusSet.toJSON(),
    };
    return { ...j };
  },
  fromJson(snapshot: Readonly<Record<string, unknown>>): StakingState {
    const j = snapshot as unknown as StakingJson;
    return {
      validators: new Map(
        j.validators.map((v, i) => {
          const val = validatorFromJson(v, `state.validators[${i}]`);
          return [val.id, val];
        }),
      ),
      deliverySet: ValidatorSet.fromJSON(j.deliverySet),
      consensusSet: ValidatorSet.fromJSON(j.consensusSet),
      prevConsensusSet: ValidatorSet.fromJSON(j.prevConsensusSet),
    };
  },
  clone(s: StakingState): StakingState {
    return {
      validators: new Map([...s.validators].map(([k, v]) => [k, { ...v }])),
      deliverySet: s.deliverySet.copy(),
      consensusSet: s.consensusSet.copy(),
      prevConsensusSet: s.prevConsensusSet.copy(),
    };
  },
};

export function stakingOf(s: DeliveryState): StakingState {
  return s.get(STAKING_STATE);
}

/**
 * Genesis: the validators as given (power forced to 1, BTTC's rule), each signer checked against its
 * public key, and Tendermint's NewValidatorSet for the Delivery and consensus sets.
 */
export function genesisStakingState(genesis: DeliveryGenesis): StakingState {
  if (genesis.validators.length === 0) throw new Error('delivery genesis: at least one validator is needed');
  const vals = genesis.validators.map((v) => {
    if (!v.pubKey || v.pubKey === '0x') throw new Error(`delivery genesis: validator ${v.id} needs its 65-byte public key`);
    const val = makeValidator({ ...v, votingPower: BTTC_VOTING_POWER, startEpoch: v.startEpoch ?? 0 });
    if (bytesToHex(addressFromPublicKey(hexToBytes(val.pubKey))) !== val.signer) throw new Error(`delivery genesis: validator ${v.id} signer ${val.signer} does not match its public key`);
    return val;
  });
  const deliverySet = ValidatorSet.fromValidators(vals);
  const consensusSet = deliverySet.copy();
  return { validators: new Map(vals.map((v) => [v.id, v])), deliverySet, consensusSet, prevConsensusSet: consensusSet.copy() };
}

/** The Delivery set's proposer: the checkpoint proposer. */
export function proposerSigner(s: DeliveryState): string | null {
  return stakingOf(s).deliverySet.getProposer()?.signer ?? null;
}

/** Moves the Delivery set's proposer by one (an ack on the staking chain, a no-ack). */
export function rotateProposer(s: DeliveryState): void {
  stakingOf(s).deliverySet.incrementProposerPriority(1);
}

/** The Delivery set: checkpoint signatures are counted against it, spans draw producers from it. */
export function deliverySet(s: DeliveryState): ValidatorSet {
  return stakingOf(s).deliverySet;
}
