/**
 * Staking: validator joins, exits, signer updates and stake updates mirrored from the staking root
 * chain's StakeManager events (Heimdall's staking module as BTTC runs it). Each event applies once
 * (its replay sequence is marked processed) and in nonce order per validator; the validator sets
 * change only at the end of the block (see `endBlockValidatorUpdates`). BTTC fixes every validator's
 * voting power at 1, so a stake update changes the nonce, not the power.
 */
import type { RootEvent } from '../../../root/abi.ts';
import { getUpdatedValidators, ValidatorSet } from '../../../protocol/validators/validator-set.ts';
import { makeValidator, type Validator } from '../../../protocol/validators/validator.ts';
import type { StateData } from '../../app/state.ts';
import { StakingKind, TxType, type EventRef, type StakingTx } from '../../app/types.ts';
import { argBigInt, argHex, argNumber, type ApplyOutcome, type ModuleContext } from '../context.ts';

const ZERO_ADDRESS = '0x' + '00'.repeat(20);
/** BTTC: one validator, one vote. */
export const BTTC_VOTING_POWER = 1n;

function refOf(ev: RootEvent): EventRef {
  return { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() };
}

/** The StakeManager's 64-byte (x ‖ y) key as the 65-byte uncompressed form validator records keep. */
function uncompressed(pub: string): string {
  return '0x04' + pub.slice(2);
}

/** The Delivery tx mirroring a StakeManager event, or null for events staking does not track. */
export function stakingTxFromEvent(ev: RootEvent): StakingTx | null {
  if (ev.contract !== 'StakeManager') return null;
  const a = ev.args;
  const base = { type: TxType.Staking, ref: refOf(ev) } as const;
  switch (ev.name) {
    case 'Staked':
      return { ...base, kind: StakingKind.Join, validatorId: argNumber(a, 'validatorId', ev.name), nonce: argNumber(a, 'nonce', ev.name), signer: argHex(a, 'signer', ev.name, 20), pubKey: uncompressed(argHex(a, 'signerPubkey', ev.name, 64)), epoch: argNumber(a, 'activationEpoch', ev.name), amount: argBigInt(a, 'amount', ev.name) };
    case 'UnstakeInit':
      return { ...base, kind: StakingKind.Exit, validatorId: argNumber(a, 'validatorId', ev.name), nonce: argNumber(a, 'nonce', ev.name), signer: ZERO_ADDRESS, pubKey: '0x', epoch: argNumber(a, 'deactivationEpoch', ev.name), amount: argBigInt(a, 'amount', ev.name) };
    case 'SignerChange':
      return { ...base, kind: StakingKind.SignerUpdate, validatorId: argNumber(a, 'validatorId', ev.name), nonce: argNumber(a, 'nonce', ev.name), signer: argHex(a, 'newSigner', ev.name, 20), pubKey: uncompressed(argHex(a, 'signerPubkey', ev.name, 64)), epoch: 0, amount: 0n };
    case 'StakeUpdate':
      return { ...base, kind: StakingKind.StakeUpdate, validatorId: argNumber(a, 'validatorId', ev.name), nonce: argNumber(a, 'nonce', ev.name), signer: ZERO_ADDRESS, pubKey: '0x', epoch: 0, amount: argBigInt(a, 'newAmount', ev.name) };
    default:
      return null;
  }
}

/** Deterministic checks before inclusion (the effect waits for the side votes). */
export function validateStakingTx(tx: StakingTx, ctx: ModuleContext): string | null {
  if (tx.ref.rootChainId !== ctx.stakingChainId) return `staking events come from root chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}`;
  if (tx.validatorId < 1) return 'validator ids start at 1';
  if ((tx.kind === StakingKind.Join || tx.kind === StakingKind.SignerUpdate) && (tx.pubKey === '0x' || tx.signer === ZERO_ADDRESS)) return 'join / signer update needs a signer and its public key';
  return null;
}

function signerInUse(s: StateData, signer: string, exceptId: number): boolean {
  for (const v of s.validators.values()) if (v.signer === signer && v.id !== exceptId) return true;
  return false;
}

/** Applies an approved staking event to the validator records (not yet to the sets). */
export function applyStakingTx(s: StateData, tx: StakingTx): ApplyOutcome {
  const existing = s.validators.get(tx.validatorId);
  if (tx.kind === StakingKind.Join) {
    if (existing) return 'stale';
    if (signerInUse(s, tx.signer, tx.validatorId)) return 'stale';
    s.validators.set(tx.validatorId, makeValidator({ id: tx.validatorId, signer: tx.signer, pubKey: tx.pubKey, votingPower: BTTC_VOTING_POWER, startEpoch: tx.epoch, endEpoch: 0, nonce: tx.nonce }));
    return 'applied';
  }
  // Updates need the validator and the next nonce; an earlier update still on its way means "not yet".
  if (!existing) return 'early';
  if (tx.nonce <= existing.nonce) return 'stale';
  if (tx.nonce > existing.nonce + 1) return 'early';
  const v: Validator = { ...existing, nonce: tx.nonce };
  if (tx.kind === StakingKind.Exit) v.endEpoch = tx.epoch;
  else if (tx.kind === StakingKind.SignerUpdate) {
    if (signerInUse(s, tx.signer, tx.validatorId)) return 'stale';
    v.signer = tx.signer;
    v.pubKey = tx.pubKey;
  }
  s.validators.set(tx.validatorId, v);
  return 'applied';
}

/**
 * End of block: bring the Delivery set in line with the validator records at the staking chain's ack
 * count (joins that became current, exits that reached their end epoch, changed signers), then move
 * its proposer by one if anything changed (Delivery's rule), and derive the consensus set for the
 * next height (Tendermint's copy: the same changes, then one increment per height). Returns the
 * changes applied (power 0 = removal).
 */
export function endBlockValidatorUpdates(s: StateData, ackCount: number): Validator[] {
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

/** Genesis sets from the validator list (Tendermint's NewValidatorSet for both). */
export function genesisSets(validators: readonly Validator[]): { deliverySet: ValidatorSet; consensusSet: ValidatorSet } {
  const deliverySet = ValidatorSet.fromValidators(validators);
  return { deliverySet, consensusSet: deliverySet.copy() };
}
