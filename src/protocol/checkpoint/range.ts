/**
 * Which block range the Delivery proposer checkpoints next (spec §5), as Heimdall's bridge computes
 * it: start after the last end on that root chain; end so the range is a multiple of avgLength
 * (capped at maxLength) of blocks that have enough confirmations; when fewer than avgLength are
 * ready, force whatever is ready once forcePushAfter seconds have passed since the last checkpoint.
 */
import type { CheckpointConfig } from '../../config/types.ts';

export type RangeParams = Pick<CheckpointConfig, 'avgLength' | 'maxLength' | 'forcePushAfter' | 'bttcConfirmations'>;

export interface RangeInput {
  /** End block of the last checkpoint on this root chain; null before the first one. */
  lastEnd: number | null;
  /** Newest Bttc block number. */
  latest: number;
  /** Seconds: now, and when the last checkpoint was taken (root-chain createdAt). */
  now: number;
  lastCheckpointTime: number;
}

export type RangeChoice = { ready: true; start: number; end: number; forced: boolean } | { ready: false; start: number; reason: string };

export function chooseCheckpointRange(input: RangeInput, p: RangeParams): RangeChoice {
  for (const k of ['avgLength', 'maxLength'] as const) if (!Number.isSafeInteger(p[k]) || p[k] <= 0) throw new RangeError(`checkpoint.${k} must be a positive integer, got ${p[k]}`);
  if (!Number.isSafeInteger(input.latest) || input.latest < 0) throw new RangeError(`latest block must be a non-negative integer, got ${input.latest}`);
  if (input.lastEnd !== null && (!Number.isSafeInteger(input.lastEnd) || input.lastEnd < 0)) throw new RangeError(`lastEnd must be a non-negative integer or null, got ${input.lastEnd}`);
  const start = input.lastEnd === null ? 0 : input.lastEnd + 1;
  const confirmed = input.latest - p.bttcConfirmations;
  // Heimdall's diff is uint64 and would wrap here; having nothing confirmed simply means "not yet".
  const diff = confirmed - start + 1;
  if (diff <= 0) return { ready: false, start, reason: `no confirmed blocks after ${start - 1} (latest ${input.latest}, ${p.bttcConfirmations} confirmations)` };
  let expected = diff - (diff % p.avgLength);
  if (expected > 0) expected -= 1;
  if (expected > p.maxLength - 1) expected = p.maxLength - 1;
  const end = start + expected;
  if (end > start && diff >= p.avgLength) return { ready: true, start, end, forced: false };
  const waited = input.now - input.lastCheckpointTime;
  if (waited > p.forcePushAfter) {
    if (confirmed > start) return { ready: true, start, end: confirmed, forced: true };
    return { ready: false, start, reason: `force push due but only ${diff} confirmed block(s); a checkpoint needs at least 2` };
  }
  return { ready: false, start, reason: `only ${diff} confirmed block(s), need ${p.avgLength} or ${p.forcePushAfter - waited + 1} more second(s) to force` };
}
