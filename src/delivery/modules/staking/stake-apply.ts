/**
 * What an approved stake event does to the stake records (stake-store.ts). The rules:
 *
 * - An event for a validator Delivery does not know yet is `early` (kept and retried): its Staked
 *   event is still on its way.
 * - Delegated stake and shares move by the amounts of ShareMinted / ShareBurned; a burn of more than
 *   the delegator holds is `early` (its mint has not been applied yet), never a negative balance.
 * - Total stake (own + delegated) is set, not added: StakeUpdate carries it as the StakeManager has
 *   it after the change; Staked sets it at a join and Unstaked takes the own part out. Own stake is
 *   total − delegated, so the order in which a contract logs StakeUpdate and the share event of one
 *   call does not matter (ours logs StakeUpdate first, BTTC's after). An older replay sequence than
 *   the last one that set it is `stale`.
 * - The commission rate is set by UpdateCommissionRate, likewise ordered by replay sequence.
 * - Partners join with an amount and shares, start leaving with an amount and a withdraw epoch, and
 *   leave when they claim; leaving more than a partner has, or claiming more than it has leaving,
 *   is `early`.
 * - Rewards claimed and restaked are recorded per delegator.
 * - Jailed / UnJailed set the validator record's `jailed` (through `setJailed`), ordered by replay
 *   sequence like the stake: the later event wins, an older one is `stale`. The StakeManager may log
 *   Jailed again for a jailed validator (a second slash extends the jail), so "already jailed" is
 *   not an error, and an UnJailed applied before an older Jailed leaves the validator out of jail.
 */
import type { ApplyOutcome } from '../context.ts';
import { emptyDelegation, emptyValidatorStake, type DelegationRecord, type PartnerRecord, type StakeView, type ValidatorStakeRecord } from './stake-store.ts';
import { STAKE_EVENT_NAMES, StakeKind, type StakeTx } from './stake-txs.ts';

export interface StakeApplyResult {
  outcome: ApplyOutcome;
  reason?: string;
}

const big = (s: string) => BigInt(s);

function early(reason: string): StakeApplyResult {
  return { outcome: 'early', reason };
}

/** A join: the validator's first stake record, all of it its own (the Staked amount). */
export function joinStakeRecord(validatorId: number, amount: bigint, sequence: bigint): ValidatorStakeRecord {
  return { ...emptyValidatorStake(validatorId), totalStake: amount.toString(), stakeSequence: sequence.toString() };
}

/**
 * Applies one approved stake event. `known` says whether Delivery has the validator's record
 * (its Staked event applied, or genesis).
 */
export async function applyStakeTx(tx: StakeTx, view: StakeView, known: boolean, setJailed?: (jailed: boolean) => void): Promise<StakeApplyResult> {
  const name = STAKE_EVENT_NAMES[tx.kind];
  if (!known) return early(`${name}: validator ${tx.validatorId} is not known yet`);
  const v = (await view.validator(tx.validatorId)) ?? emptyValidatorStake(tx.validatorId);
  const seq = tx.ref.sequence;
  const setTotal = (total: bigint): StakeApplyResult => {
    if (seq <= big(v.stakeSequence)) return { outcome: 'stale', reason: `${name}: an event after it already set the stake` };
    v.totalStake = total.toString();
    v.stakeSequence = seq.toString();
    view.putValidator(v);
    return { outcome: 'applied' };
  };
  switch (tx.kind) {
    case StakeKind.StakeUpdate:
      return setTotal(tx.amount);
    case StakeKind.ValidatorUnstaked:
      // The validator claimed its own stake back; delegated stake stays until its delegators sell.
      return setTotal(big(v.delegatedStake));
    case StakeKind.Jailed:
    case StakeKind.UnJailed: {
      if (!setJailed) return { outcome: 'rejected', reason: `${name}: no validator record to jail` };
      if (seq <= big(v.jailSequence ?? '-1')) return { outcome: 'stale', reason: `${name}: a later jail event already set it` };
      v.jailSequence = seq.toString();
      view.putValidator(v);
      setJailed(tx.kind === StakeKind.Jailed);
      return { outcome: 'applied' };
    }
    case StakeKind.UpdateCommissionRate: {
      if (seq <= big(v.commissionSequence)) return { outcome: 'stale', reason: `${name}: an event after it already set the rate` };
      v.commissionRate = tx.amount.toString();
      v.commissionSequence = seq.toString();
      view.putValidator(v);
      return { outcome: 'applied' };
    }
    case StakeKind.PartnerJoined:
    case StakeKind.PartnerLeaveInit:
    case StakeKind.PartnerLeft:
      return applyPartner(tx, v, view);
    default:
      return applyDelegator(tx, v, view);
  }
}

async function applyDelegator(tx: StakeTx, v: ValidatorStakeRecord, view: StakeView): Promise<StakeApplyResult> {
  const name = STAKE_EVENT_NAMES[tx.kind];
  const found = await view.delegation(tx.account, tx.validatorId);
  const d: DelegationRecord = found ?? emptyDelegation(tx.validatorId, tx.account);
  if (!found && tx.kind !== StakeKind.ShareMinted) return early(`${name}: ${tx.account} has no delegation to validator ${tx.validatorId} yet`);
  const shares = big(d.shares);
  const stake = big(d.stake);
  switch (tx.kind) {
    case StakeKind.ShareMinted:
      if (shares === 0n) v.delegators++;
      d.shares = (shares + tx.aux).toString();
      d.stake = (stake + tx.amount).toString();
      v.totalShares = (big(v.totalShares) + tx.aux).toString();
      v.delegatedStake = (big(v.delegatedStake) + tx.amount).toString();
      break;
    case StakeKind.ShareBurned:
      if (tx.aux > shares || tx.amount > stake) return early(`${name}: ${tx.account} burns ${tx.aux} shares for ${tx.amount} of validator ${tx.validatorId} but holds ${shares} shares for ${stake}`);
      d.shares = (shares - tx.aux).toString();
      d.stake = (stake - tx.amount).toString();
      d.unbonding = (big(d.unbonding) + tx.amount).toString();
      if (shares === tx.aux) v.delegators--;
      v.totalShares = (big(v.totalShares) - tx.aux).toString();
      v.delegatedStake = (big(v.delegatedStake) - tx.amount).toString();
      break;
    case StakeKind.DelegatorUnstaked: {
      const unbonding = big(d.unbonding);
      if (tx.amount > unbonding) return early(`${name}: ${tx.account} claims ${tx.amount} from validator ${tx.validatorId} with ${unbonding} unbonding`);
      d.unbonding = (unbonding - tx.amount).toString();
      break;
    }
    case StakeKind.DelegatorClaimedRewards:
      d.rewardsClaimed = (big(d.rewardsClaimed) + tx.amount).toString();
      break;
    case StakeKind.DelegatorRestaked:
      // Restaking buys shares: its ShareMinted (logged in the same call) moved the stake. This event
      // only reports the total after it (the contract's shares × rate), so it changes no record; it
      // never waits either, since a rounding difference from the records would keep it waiting forever.
      return { outcome: 'applied' };
    default:
      return { outcome: 'stale', reason: `${name}: not a delegator event` };
  }
  view.putDelegation(d, !found);
  view.putValidator(v);
  return { outcome: 'applied' };
}

function applyPartner(tx: StakeTx, v: ValidatorStakeRecord, view: StakeView): StakeApplyResult {
  const name = STAKE_EVENT_NAMES[tx.kind];
  const i = v.partners.findIndex((p) => p.address === tx.account);
  const p: PartnerRecord | undefined = v.partners[i];
  if (tx.kind === StakeKind.PartnerJoined) {
    const next: PartnerRecord = p ?? { address: tx.account, amount: '0', shares: '0', leaving: '0', withdrawEpoch: 0 };
    next.amount = (big(next.amount) + tx.amount).toString();
    next.shares = (big(next.shares) + tx.aux).toString();
    if (!p) v.partners.push(next);
    v.partners.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  } else if (!p) return early(`${name}: ${tx.account} is not a partner of validator ${tx.validatorId} yet`);
  else if (tx.kind === StakeKind.PartnerLeaveInit) {
    const amount = big(p.amount);
    if (tx.amount > amount) return early(`${name}: ${tx.account} leaves with ${tx.amount} of validator ${tx.validatorId} but has ${amount}`);
    // Shares go with the stake, pro rata (all of them when it all leaves).
    const shares = big(p.shares);
    p.shares = (amount === 0n ? 0n : shares - (shares * tx.amount) / amount).toString();
    p.amount = (amount - tx.amount).toString();
    p.leaving = (big(p.leaving) + tx.amount).toString();
    p.withdrawEpoch = Number(tx.aux);
  } else {
    const leaving = big(p.leaving);
    if (tx.amount > leaving) return early(`${name}: ${tx.account} claims ${tx.amount} from validator ${tx.validatorId} with ${leaving} leaving`);
    p.leaving = (leaving - tx.amount).toString();
    if (p.leaving === '0') p.withdrawEpoch = 0;
    if (p.leaving === '0' && p.amount === '0') v.partners.splice(i, 1);
  }
  view.putValidator(v);
  return { outcome: 'applied' };
}
