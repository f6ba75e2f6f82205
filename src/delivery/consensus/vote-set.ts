/**
 * Votes of one type in one round of one height, tallied by voting power. The first vote from a
 * validator counts toward the any-value total (the f+1 and 2f+1-of-anything rules); a later,
 * different one is returned as a conflict (evidence). The conflicting vote is still kept for its own
 * value's tally, as CometBFT does for a peer-claimed majority: with at most f faulty validators two
 * values can never both reach 2f+1, so a commit certificate that contains an equivocator's vote is
 * still recognised by a node that happened to see that validator's other vote first. No validator
 * ever counts twice toward one tally.
 */
import { bytesToHex } from '../../util/bytes.ts';
import { isQuorum } from '../../protocol/quorum.ts';
import type { Vote, VoteType } from './types.ts';

export const NIL_KEY = 'nil';

export function valueKey(valueId: Uint8Array | null): string {
  return valueId ? bytesToHex(valueId) : NIL_KEY;
}

export type AddResult = { added: true } | { added: false; duplicate: true } | { added: false; duplicate: false; conflict: Vote };

export class VoteSet {
  readonly type: VoteType;
  readonly round: number;
  readonly totalPower: number;
  /** Sum of the power of every counted vote, whatever its value. */
  power = 0;
  private readonly byValidator = new Map<string, { vote: Vote; key: string }>();
  private readonly tally = new Map<string, number>();
  /** Conflicting second votes, by value key: they count toward that value only. */
  private readonly conflicting = new Map<string, Map<string, Vote>>();
  /** The first value key to reach > 2/3 (it is unique among counted votes). */
  private quorumKeyValue: string | null = null;
  private quorumId: Uint8Array | null = null;

  constructor(type: VoteType, round: number, totalPower: number) {
    this.type = type;
    this.round = round;
    this.totalPower = totalPower;
  }

  /** 'same' if this validator already voted this value, 'conflict' for a different value. */
  lookup(validatorHex: string, valueId: Uint8Array | null): 'none' | 'same' | 'conflict' {
    const prior = this.byValidator.get(validatorHex);
    if (!prior) return 'none';
    const key = valueKey(valueId);
    return prior.key === key || this.conflicting.get(key)?.has(validatorHex) ? 'same' : 'conflict';
  }

  add(vote: Vote, validatorHex: string, power: number): AddResult {
    const key = valueKey(vote.valueId);
    const prior = this.byValidator.get(validatorHex);
    if (prior) {
      if (prior.key === key) return { added: false, duplicate: true };
      let extra = this.conflicting.get(key);
      if (!extra) this.conflicting.set(key, (extra = new Map()));
      if (extra.has(validatorHex)) return { added: false, duplicate: true };
      extra.set(validatorHex, vote);
      this.bump(key, vote.valueId, power);
      return { added: false, duplicate: false, conflict: prior.vote };
    }
    this.byValidator.set(validatorHex, { vote, key });
    this.power += power;
    this.bump(key, vote.valueId, power);
    return { added: true };
  }

  private bump(key: string, valueId: Uint8Array | null, power: number): void {
    const p = (this.tally.get(key) ?? 0) + power;
    this.tally.set(key, p);
    if (this.quorumKeyValue === null && isQuorum(p, this.totalPower)) {
      this.quorumKeyValue = key;
      this.quorumId = valueId;
    }
  }

  powerFor(valueId: Uint8Array | null): number {
    return this.tally.get(valueKey(valueId)) ?? 0;
  }

  hasQuorumAny(): boolean {
    return isQuorum(this.power, this.totalPower);
  }

  /** The value (or nil) with > 2/3 of power, if any. `undefined`: none yet. Unique while at most f are faulty. */
  quorum(): { valueId: Uint8Array | null; key: string } | undefined {
    return this.quorumKeyValue === null ? undefined : { valueId: this.quorumId, key: this.quorumKeyValue };
  }

  /** Every vote for this value, conflicting second votes included (one per validator). */
  votesFor(key: string): Vote[] {
    const out: Vote[] = [];
    for (const v of this.byValidator.values()) if (v.key === key) out.push(v.vote);
    for (const v of this.conflicting.get(key)?.values() ?? []) out.push(v);
    return out;
  }

  all(): Vote[] {
    return [...this.byValidator.values()].map((v) => v.vote);
  }

  get size(): number {
    return this.byValidator.size;
  }
}
