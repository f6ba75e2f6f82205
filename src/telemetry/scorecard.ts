/**
 * The scorecard: a pure, versioned scoring function over the raw chain-derived counters. The policy
 * (weights, thresholds) is data with a version, kept apart from the counters: a new policy rescores
 * the same data, and every answer names the policy version it used. Everything is in integer basis
 * points (10000 = 100 %), so every node computes the same score and REST carries it as an integer,
 * as Delivery's JSON carries only integers.
 */
import type { SlotCounters } from './chain/bttc.ts';
import type { ValidatorCounters } from './chain/delivery.ts';

export const BPS = 10_000;

export interface ScorePolicy {
  version: string;
  /** Weight of each rate in the score, basis points (they sum to 10000). */
  weightsBps: { commits: number; proposals: number; checkpointSigs: number; slots: number };
  /** A validator with more missed commits than this in the window is flagged. */
  maxWindowMissedCommits: number;
  /** Grades by minimum score (basis points), best first. */
  grades: { grade: string; minBps: number }[];
}

export const POLICY_V1: ScorePolicy = Object.freeze({
  version: 'v1',
  weightsBps: { commits: 5000, proposals: 2000, checkpointSigs: 2000, slots: 1000 },
  maxWindowMissedCommits: 10,
  grades: [
    { grade: 'A', minBps: 9900 },
    { grade: 'B', minBps: 9500 },
    { grade: 'C', minBps: 8000 },
    { grade: 'D', minBps: 0 },
  ],
});

export interface Score {
  policyVersion: string;
  /** 0..10000. */
  scoreBps: number;
  grade: string;
  /** Each rate that went in, basis points (rounded down); a duty never due counts as 10000 (nothing to miss). */
  ratesBps: { commits: number; proposals: number; checkpointSigs: number; slots: number };
  flags: string[];
}

function rateBps(done: number, missed: number): number {
  return done + missed === 0 ? BPS : Math.floor((done * BPS) / (done + missed));
}

/** Scores a validator from its counters over the window (cumulative ones are reported beside, not scored). */
export function scoreValidator(window: ValidatorCounters, slots: SlotCounters | undefined, policy: ScorePolicy = POLICY_V1): Score {
  const ratesBps = {
    commits: rateBps(window.commitsSigned, window.commitsMissed),
    proposals: rateBps(window.proposalsMade, window.proposalsMissed),
    checkpointSigs: rateBps(window.checkpointSigsIncluded, window.checkpointSigsMissing),
    slots: rateBps(slots?.sealedInTurn ?? 0, slots?.slotsMissed ?? 0),
  };
  const w = policy.weightsBps;
  const scoreBps = Math.round((ratesBps.commits * w.commits + ratesBps.proposals * w.proposals + ratesBps.checkpointSigs * w.checkpointSigs + ratesBps.slots * w.slots) / BPS);
  const grade = policy.grades.find((g) => scoreBps >= g.minBps)?.grade ?? policy.grades.at(-1)!.grade;
  const flags: string[] = [];
  if (window.commitsMissed > policy.maxWindowMissedCommits) flags.push(`missed ${window.commitsMissed} commits in the window (policy allows ${policy.maxWindowMissedCommits})`);
  if (window.openOutage) flags.push(`down since height ${window.openOutage.fromHeight}`);
  return { policyVersion: policy.version, scoreBps, grade, ratesBps, flags };
}
