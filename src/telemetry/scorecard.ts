/**
 * The scorecard: a pure, versioned scoring function over the raw chain-derived counters. The policy
 * (weights, thresholds) is data with a version, kept apart from the counters: a new policy rescores
 * the same data, and every answer names the policy version it used.
 */
import type { SlotCounters } from './chain/bttc.ts';
import type { ValidatorCounters } from './chain/delivery.ts';

export interface ScorePolicy {
  version: string;
  /** Weights of each rate in the score (they sum to 1). */
  weights: { commits: number; proposals: number; checkpointSigs: number; slots: number };
  /** A validator with more missed commits than this in the window is flagged. */
  maxWindowMissedCommits: number;
  /** Grades by minimum score, best first. */
  grades: { grade: string; min: number }[];
}

export const POLICY_V1: ScorePolicy = Object.freeze({
  version: 'v1',
  weights: { commits: 0.5, proposals: 0.2, checkpointSigs: 0.2, slots: 0.1 },
  maxWindowMissedCommits: 10,
  grades: [
    { grade: 'A', min: 0.99 },
    { grade: 'B', min: 0.95 },
    { grade: 'C', min: 0.8 },
    { grade: 'D', min: 0 },
  ],
});

export interface Score {
  policyVersion: string;
  /** 0..1, 4 decimals. */
  score: number;
  grade: string;
  /** Each rate (0..1) that went in; a rate with no duties is 1 (nothing to miss). */
  rates: { commits: number; proposals: number; checkpointSigs: number; slots: number };
  flags: string[];
}

function rate(done: number, missed: number): number {
  return done + missed === 0 ? 1 : done / (done + missed);
}

/** Scores a validator from its counters over a window (`window`) — cumulative ones are reported beside, not scored. */
export function scoreValidator(window: ValidatorCounters, slots: SlotCounters | undefined, policy: ScorePolicy = POLICY_V1): Score {
  const rates = {
    commits: rate(window.commitsSigned, window.commitsMissed),
    proposals: rate(window.proposalsMade, window.proposalsMissed),
    checkpointSigs: rate(window.checkpointSigsIncluded, window.checkpointSigsMissing),
    slots: rate(slots?.sealedInTurn ?? 0, slots?.slotsMissed ?? 0),
  };
  const w = policy.weights;
  const raw = rates.commits * w.commits + rates.proposals * w.proposals + rates.checkpointSigs * w.checkpointSigs + rates.slots * w.slots;
  const score = Math.round(raw * 10_000) / 10_000;
  const grade = policy.grades.find((g) => score >= g.min)?.grade ?? policy.grades.at(-1)!.grade;
  const flags: string[] = [];
  if (window.commitsMissed > policy.maxWindowMissedCommits) flags.push(`missed ${window.commitsMissed} commits in the window (policy allows ${policy.maxWindowMissedCommits})`);
  if (window.openOutage) flags.push(`down since height ${window.openOutage.fromHeight}`);
  return { policyVersion: policy.version, score, grade, rates, flags };
}
