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
}

export interface Amounts {
  self: bigint;
  delegators: bigint;
  perStaker: Record<string, bigint>;
}

/**
 * What each staker loses, rounded as the contracts round (own cut on the total, then pro rata per
 * partner, rounded down; delegator loss = stake before − stake after at the new exchange rate).
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
  return { self, delegators: delegatorCut, perStaker };
}
