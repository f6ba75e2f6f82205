/**
 * Delivery liveness, derived only from consensus data, so every node computes the same numbers and
 * an outsider can recompute them from the blocks: pure functions, no I/O.
 *
 * - `heightFacts(block, set)`: what one committed block says (its time, its checkpoint txs, the
 *   precommits of the previous height it carries with their side votes) plus the set that decided it
 *   (members and proposer by round).
 * - `deriveRecord(f(h−1), f(h), f(h+1))`: height h's outcome. Who signed h and in which round it was
 *   decided are only known from block h+1's carried commit; checkpoint txs of block h−1 get their
 *   signatures in those same precommits (side votes ride one height later, see app/side-txs.ts).
 * - `applyRecord(totals, record)`: the fold. The incremental path (collector.ts) and a from-scratch
 *   recomputation call the same function, so they cannot drift apart.
 *
 * Signing latency: Delivery votes carry no timestamp (their sign bytes are type, height, round,
 * value id, extension), so "vote time − proposal time" is not on the chain. What the chain does carry
 * is each block's time: a precommit for h carried in block h+1 was cast between time(h) and
 * time(h+1). `signedWithinMs` sums that bound over the heights a validator signed.
 */
import type { ValidatorSetView } from '../../delivery/consensus/interface.ts';
import { decodeSideVotes } from '../../delivery/app/codec.ts';
import { SideVote, type DeliveryBlock } from '../../delivery/app/types.ts';
import { CHECKPOINT_TX, type CheckpointTx } from '../../delivery/modules/checkpoint/txs.ts';
import { bytesToHex } from '../../util/bytes.ts';

/** Proposers recorded per height (rounds 0..n−1); a height decided in a later round has proposer null. */
export const PROPOSER_ROUNDS = 8;

export interface CheckpointFact {
  txIndex: number;
  rootChainId: number;
  start: number;
  end: number;
  proposer: string;
}

/** One committed Delivery block, as telemetry needs it. Addresses are lower-case 0x-hex signers. */
export interface HeightFacts {
  height: number;
  /** Block time, ms (the proposal's time). */
  time: number;
  /** The validator set that decided this height, in set order. */
  validators: string[];
  /** Proposer of round r at index r. */
  proposers: string[];
  checkpoints: CheckpointFact[];
  /** The precommits of height − 1 this block carries. */
  carried: {
    round: number;
    signers: string[];
    /** Validator → indices of block (height − 2)'s side txs it voted Yes on with a signature. */
    yes: Record<string, number[]>;
  };
}

export interface CheckpointOutcome extends CheckpointFact {
  /** The Delivery height whose block holds the checkpoint tx. */
  height: number;
  /** Validators whose Yes signature the tally saw, in set order. */
  signed: string[];
  /** Set members without one. */
  missing: string[];
}

/** Height h's outcome. */
export interface HeightRecord {
  height: number;
  time: number;
  /** Time of block h + 1, which carried h's precommits. */
  nextTime: number;
  round: number;
  /** Round 0's proposer: whose turn it was. */
  scheduledProposer: string;
  /** The proposer of the deciding round (null past PROPOSER_ROUNDS). */
  proposer: string | null;
  validators: string[];
  signed: string[];
  /** Checkpoint txs of block h − 1, with the signatures carried for them in block h + 1. */
  checkpoints: CheckpointOutcome[];
}

export interface OutageSpan {
  fromHeight: number;
  /** First height signed again. */
  toHeight: number;
  heights: number;
  /** Block time from the first missed height to the one signed again. */
  ms: number;
}

export interface ValidatorCounters {
  /** Heights this validator was in the deciding set. */
  heights: number;
  commitsSigned: number;
  commitsMissed: number;
  proposalsMade: number;
  /** Heights it was round 0's proposer and another round decided. */
  proposalsMissed: number;
  /** Sum over signed heights of time(h+1) − time(h): an upper bound on its signing latency. */
  signedWithinMs: number;
  checkpointSigsIncluded: number;
  checkpointSigsMissing: number;
  outages: number;
  /** Sums over recovered outages (from first missed commit to the next signed one). */
  recoveryHeights: number;
  recoveryMs: number;
  maxRecoveryHeights: number;
  lastRecovery: OutageSpan | null;
  /** An outage still going on: its first missed height and that block's time. */
  openOutage: { fromHeight: number; fromTime: number } | null;
}

export interface DeliveryTotals {
  /** First and last height folded in (0 when none). */
  fromHeight: number;
  toHeight: number;
  heights: number;
  /** Signer → counters. */
  validators: Record<string, ValidatorCounters>;
}

export function emptyTotals(): DeliveryTotals {
  return { fromHeight: 0, toHeight: 0, heights: 0, validators: {} };
}

export function emptyCounters(): ValidatorCounters {
  return {
    heights: 0,
    commitsSigned: 0,
    commitsMissed: 0,
    proposalsMade: 0,
    proposalsMissed: 0,
    signedWithinMs: 0,
    checkpointSigsIncluded: 0,
    checkpointSigsMissing: 0,
    outages: 0,
    recoveryHeights: 0,
    recoveryMs: 0,
    maxRecoveryHeights: 0,
    lastRecovery: null,
    openOutage: null,
  };
}

/** The set deciding a height, as the consensus view gives it (or a test builds it). */
export type DecidingSet = Pick<ValidatorSetView, 'validators' | 'proposer'>;

export function heightFacts(block: DeliveryBlock, set: DecidingSet): HeightFacts {
  const validators = set.validators.map((v) => bytesToHex(v.address));
  const proposers: string[] = [];
  for (let r = 0; r < PROPOSER_ROUNDS; r++) proposers.push(bytesToHex(set.proposer(r).address));
  const checkpoints: CheckpointFact[] = [];
  block.txs.forEach((tx, txIndex) => {
    if (tx.type !== CHECKPOINT_TX) return;
    const c = tx as CheckpointTx;
    checkpoints.push({ txIndex, rootChainId: c.rootChainId, start: Number(c.checkpoint.start), end: Number(c.checkpoint.end), proposer: String(c.checkpoint.proposer).toLowerCase() });
  });
  const yes: Record<string, number[]> = {};
  const signers: string[] = [];
  for (const v of block.lastCommit.votes) {
    const hex = bytesToHex(v.validator);
    signers.push(hex);
    if (v.extension.length === 0) continue;
    const idx = decodeSideVotes(v.extension)
      .filter((e) => e.vote === SideVote.Yes && e.signature.length > 0)
      .map((e) => e.txIndex);
    if (idx.length) yes[hex] = idx;
  }
  return { height: block.height, time: block.time, validators, proposers, checkpoints, carried: { round: block.lastCommit.round, signers, yes } };
}

/** Height `cur.height`'s outcome; `next` must be the following height, `prev` the one before (absent for height 1). */
export function deriveRecord(prev: HeightFacts | undefined, cur: HeightFacts, next: HeightFacts): HeightRecord {
  if (next.height !== cur.height + 1) throw new Error(`telemetry: height ${next.height} does not follow ${cur.height}`);
  if (prev && prev.height !== cur.height - 1) throw new Error(`telemetry: height ${prev.height} does not precede ${cur.height}`);
  const round = next.carried.round;
  const signedSet = new Set(next.carried.signers);
  const checkpoints: CheckpointOutcome[] = (prev?.checkpoints ?? []).map((c) => {
    const signed = cur.validators.filter((v) => next.carried.yes[v]?.includes(c.txIndex));
    return { ...c, height: cur.height - 1, signed, missing: cur.validators.filter((v) => !signed.includes(v)) };
  });
  return {
    height: cur.height,
    time: cur.time,
    nextTime: next.time,
    round,
    scheduledProposer: cur.proposers[0]!,
    proposer: cur.proposers[round] ?? null,
    validators: cur.validators,
    signed: cur.validators.filter((v) => signedSet.has(v)),
    checkpoints,
  };
}

/** The fold: totals after one more height (a new object; `t` is not changed). Heights must come in order. */
export function applyRecord(t: DeliveryTotals, r: HeightRecord): DeliveryTotals {
  if (t.heights > 0 && r.height !== t.toHeight + 1) throw new Error(`telemetry: height ${r.height} after ${t.toHeight}`);
  const validators: Record<string, ValidatorCounters> = {};
  for (const [k, c] of Object.entries(t.validators)) validators[k] = { ...c };
  const get = (v: string): ValidatorCounters => (validators[v] ??= emptyCounters());
  const signed = new Set(r.signed);
  for (const v of r.validators) {
    const c = get(v);
    c.heights++;
    if (signed.has(v)) {
      c.commitsSigned++;
      c.signedWithinMs += r.nextTime - r.time;
      if (c.openOutage) {
        const span: OutageSpan = { fromHeight: c.openOutage.fromHeight, toHeight: r.height, heights: r.height - c.openOutage.fromHeight, ms: r.time - c.openOutage.fromTime };
        c.recoveryHeights += span.heights;
        c.recoveryMs += span.ms;
        c.maxRecoveryHeights = Math.max(c.maxRecoveryHeights, span.heights);
        c.lastRecovery = span;
        c.openOutage = null;
      }
    } else {
      c.commitsMissed++;
      if (!c.openOutage) {
        c.outages++;
        c.openOutage = { fromHeight: r.height, fromTime: r.time };
      }
    }
  }
  if (r.proposer !== null) get(r.proposer).proposalsMade++;
  if (r.round > 0) get(r.scheduledProposer).proposalsMissed++;
  for (const cp of r.checkpoints) {
    for (const v of cp.signed) get(v).checkpointSigsIncluded++;
    for (const v of cp.missing) get(v).checkpointSigsMissing++;
  }
  return { fromHeight: t.heights === 0 ? r.height : t.fromHeight, toHeight: r.height, heights: t.heights + 1, validators };
}

/** Every record the facts of heights in order allow (the last height waits for its successor). */
export function recordsFromFacts(facts: readonly HeightFacts[]): HeightRecord[] {
  const out: HeightRecord[] = [];
  for (let i = 0; i + 1 < facts.length; i++) out.push(deriveRecord(i > 0 ? facts[i - 1] : undefined, facts[i]!, facts[i + 1]!));
  return out;
}

/** Totals from scratch: the same fold the incremental path applies one height at a time. */
export function foldRecords(records: readonly HeightRecord[], from: DeliveryTotals = emptyTotals()): DeliveryTotals {
  return records.reduce(applyRecord, from);
}
