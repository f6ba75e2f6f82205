/**
 * Penalties (docs/slashing.md has the table). Each offense has a cut of the operator's own stake
 * (partners pro rata), a cut of the delegated stake (only double signing: delegators otherwise lose
 * only the jailed epochs' rewards), and a jail length in epochs. Escalation: the k-th finalized
 * offense of the same validator (k = 0 for the first) doubles both the cuts and the jail k times,
 * capped at 100% and `maxJailEpochs`.
 */
import type { Offense } from './evidence.ts';

export interface OffenseRule {
  /** Basis points of the operator's own stake. */
  selfBps: number;
  /** Basis points of the delegated stake. */
  delegatorBps: number;
  /** Epochs (checkpoints) in jail; 0 = no jail. */
  jailEpochs: number;
}

export type PenaltyTable = Record<Offense, OffenseRule>;

/** BTTC's Delivery genesis values where it has them (spec §10: double sign 5%, downtime 1%). */
export const DEFAULT_PENALTIES: PenaltyTable = {
  'double-sign': { selfBps: 500, delegatorBps: 500, jailEpochs: 4 },
  'double-seal': { selfBps: 500, delegatorBps: 0, jailEpochs: 4 },
  'checkpoint-equivocation': { selfBps: 500, delegatorBps: 0, jailEpochs: 4 },
  downtime: { selfBps: 100, delegatorBps: 0, jailEpochs: 1 },
};

export const MAX_BPS = 10_000;
export const MAX_JAIL_EPOCHS = 1_000;

/** The rule after `prior` finalized offenses of the same validator. */
export function escalate(rule: OffenseRule, prior: number, maxJailEpochs = MAX_JAIL_EPOCHS): OffenseRule {
  if (!Number.isSafeInteger(prior) || prior < 0) throw new Error(`prior offense count must be a non-negative integer, got ${prior}`);
  const factor = 2 ** Math.min(prior, 20);
  return {
    selfBps: Math.min(MAX_BPS, rule.selfBps * factor),
    delegatorBps: Math.min(MAX_BPS, rule.delegatorBps * factor),
    jailEpochs: Math.min(maxJailEpochs, rule.jailEpochs * factor),
  };
}

/** Stake of one validator, split by who holds it (wei). */
export interface StakeSplit {
  /** Operator's own stake; for a partnership, per partner (sums to the own stake). */
  partners: Record<string, bigint>;
  /** Delegated stake per delegator. */
  delegators: Record<string, bigint>;
  /** Delegators' stake sold and still unbonding (withdraw-pool claims, wei): cut at the delegator bps. */
  unbonding?: Record<string, bigint>;
  /** Partners' pending leaves (`leave()` not yet claimed, wei): cut at the own-stake bps. */
  leaving?: Record<string, bigint>;
}

export interface Amounts {
  self: bigint;
  delegators: bigint;
  perStaker: Record<string, bigint>;
}

/**
 * What each staker loses, rounded as the contracts round (own cut on the total, then pro rata per
 * partner, rounded down; delegator loss = stake before − stake after at the new exchange rate).
 * Unbonding stake is cut as the contracts cut it: each pending partner leave by floor(leave × own
 * bps), the withdraw pool (their sum) by floor(pool × delegator bps), each unbonding delegator's
 * claim pro rata (before − floor(before × pool after / pool); the contract pays it through
 * `withdrawExchangeRate`, which can round the claim down further when the rate is not exact).
 * `self` and `delegators` count these cuts, as `SlashApplied` does.
 */
export function amountsFor(rule: OffenseRule, stake: StakeSplit): Amounts {
  const own = Object.values(stake.partners).reduce((a, b) => a + b, 0n);
  const delegated = Object.values(stake.delegators).reduce((a, b) => a + b, 0n);
  const perStaker: Record<string, bigint> = {};
  const selfCutTotal = (own * BigInt(rule.selfBps)) / 10_000n;
  let self = 0n;
  const partnerKeys = Object.keys(stake.partners);
  for (const p of partnerKeys) {
    const s = stake.partners[p]!;
    // One owner: the whole cut; several partners: each floor(share × cut / total), as ValidatorPartnership.onSlash.
    const loss = partnerKeys.length === 1 ? selfCutTotal : own === 0n ? 0n : (s * selfCutTotal) / own;
    perStaker[p] = (perStaker[p] ?? 0n) + loss;
    self += loss;
  }
  const delegatorCut = (delegated * BigInt(rule.delegatorBps)) / 10_000n;
  for (const [d, s] of Object.entries(stake.delegators)) {
    const loss = delegated === 0n ? 0n : s - (s * (delegated - delegatorCut)) / delegated;
    perStaker[d] = (perStaker[d] ?? 0n) + loss;
  }
  for (const [p, s] of Object.entries(stake.leaving ?? {})) {
    const loss = (s * BigInt(rule.selfBps)) / 10_000n;
    perStaker[p] = (perStaker[p] ?? 0n) + loss;
    self += loss;
  }
  const pool = Object.values(stake.unbonding ?? {}).reduce((a, b) => a + b, 0n);
  const poolCut = (pool * BigInt(rule.delegatorBps)) / 10_000n;
  for (const [d, s] of Object.entries(stake.unbonding ?? {})) {
    const loss = s - (s * (pool - poolCut)) / pool;
    perStaker[d] = (perStaker[d] ?? 0n) + loss;
  }
  return { self, delegators: delegatorCut + poolCut, perStaker };
}
