/**
 * The validator set and its proposer-priority algorithm, as Heimdall's `types/validator-set.go`
 * (Tendermint 0.32 semantics) which BTTC Delivery and Bttc both use (protocol spec §6).
 * Everything is int64 on bigint: priorities saturate where Go uses safeAddClip/safeSubClip, divide
 * with truncation where Go uses `/`, and the average is Euclidean as big.Int.Div is.
 */
import { keccak256 } from '../../crypto/keccak.ts';
import { hexToBytes, uintToBytes } from '../../util/bytes.ts';
import type { ReadonlyValidatorSet, ValidatorSetJson } from './interface.ts';
import { INT64_MAX, INT64_MIN, MAX_TOTAL_VOTING_POWER, PRIORITY_WINDOW_SIZE_FACTOR, euclidDiv, safeAddClip, safeSubClip, truncDiv, wrapInt64 } from './int64.ts';
import { ValidatorError, compareSigner, copyValidator, isCurrentValidator, normalizeAddress, validatorFromJson, validatorToJson, type Validator } from './validator.ts';

export class ValidatorSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidatorSetError';
  }
}

export class ValidatorSet implements ReadonlyValidatorSet {
  /** Sorted by signer; owned by this set (never handed out without copying). */
  private vals: Validator[] = [];
  private proposer: Validator | null = null;
  /** Cached like Go's `totalVotingPower`: 0 means "recompute". */
  private total = 0n;

  /**
   * Tendermint's `NewValidatorSet`: every validator enters as new at −(P + P>>3), the set is rescaled
   * and centred, then incremented once. Duplicate signers or zero power are rejected.
   */
  static fromValidators(list: readonly Validator[]): ValidatorSet {
    const set = new ValidatorSet();
    set.updateWithChangeSetInternal(list, false);
    if (list.length > 0) set.incrementProposerPriority(1);
    return set;
  }

  /** Restores a persisted set exactly (priorities and proposer included), checking its invariants. */
  static fromJSON(json: unknown): ValidatorSet {
    if (json === null || typeof json !== 'object' || !Array.isArray((json as ValidatorSetJson).validators))
      throw new ValidatorSetError('validator set: expected {"validators": [...], "proposer": ...}');
    const j = json as ValidatorSetJson;
    const set = new ValidatorSet();
    set.vals = j.validators.map((v, i) => validatorFromJson(v, `validators[${i}]`));
    for (let i = 1; i < set.vals.length; i++) {
      if (compareSigner(set.vals[i - 1]!.signer, set.vals[i]!.signer) >= 0)
        throw new ValidatorSetError(`validator set: validators must be sorted strictly by signer (index ${i}: ${set.vals[i]!.signer})`);
    }
    set.proposer = j.proposer ? validatorFromJson(j.proposer, 'proposer') : null;
    set.updateTotalVotingPower();
    return set;
  }

  /** A set built from records whose priorities are already known (no genesis step). */
  static fromExisting(list: readonly Validator[], proposer: Validator | null = null): ValidatorSet {
    const set = new ValidatorSet();
    set.vals = list.map(copyValidator).sort((a, b) => compareSigner(a.signer, b.signer));
    for (let i = 1; i < set.vals.length; i++) if (set.vals[i - 1]!.signer === set.vals[i]!.signer) throw new ValidatorSetError(`duplicate signer ${set.vals[i]!.signer}`);
    set.proposer = proposer ? copyValidator(proposer) : null;
    set.updateTotalVotingPower();
    return set;
  }

  get size(): number {
    return this.vals.length;
  }

  isEmpty(): boolean {
    return this.vals.length === 0;
  }

  validators(): Validator[] {
    return this.vals.map(copyValidator);
  }

  /** Signers in set order (ascending address). */
  signers(): string[] {
    return this.vals.map((v) => v.signer);
  }

  copy(): ValidatorSet {
    const c = new ValidatorSet();
    c.vals = this.vals.map(copyValidator);
    c.proposer = this.proposer ? copyValidator(this.proposer) : null;
    c.total = this.total;
    return c;
  }

  totalVotingPower(): bigint {
    if (this.total === 0n) this.updateTotalVotingPower();
    return this.total;
  }

  private updateTotalVotingPower(): void {
    let sum = 0n;
    for (const v of this.vals) {
      sum = safeAddClip(sum, v.votingPower);
      if (sum > MAX_TOTAL_VOTING_POWER) throw new ValidatorSetError(`total voting power exceeds ${MAX_TOTAL_VOTING_POWER}`);
    }
    this.total = sum;
  }

  private indexOf(signer: string): number {
    let lo = 0;
    let hi = this.vals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.vals[mid]!.signer < signer) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.vals.length && this.vals[lo]!.signer === signer ? lo : -1;
  }

  getByAddress(signer: string): { index: number; validator: Validator } | null {
    const i = this.indexOf(signer.toLowerCase());
    return i < 0 ? null : { index: i, validator: copyValidator(this.vals[i]!) };
  }

  hasAddress(signer: string): boolean {
    return this.indexOf(signer.toLowerCase()) >= 0;
  }

  getByIndex(index: number): Validator | null {
    const v = this.vals[index];
    return v ? copyValidator(v) : null;
  }

  getById(id: number): Validator | null {
    const v = this.vals.find((x) => x.id === id);
    return v ? copyValidator(v) : null;
  }

  /**
   * The proposer picked by the last increment. Heimdall keeps a snapshot of that validator; we return
   * its current record when it is still in the set (same identity, fresher fields) and the snapshot
   * otherwise (a removal without an increment leaves the old proposer in place, as in Go).
   */
  getProposer(): Validator | null {
    if (this.vals.length === 0) return null;
    if (!this.proposer) this.proposer = copyValidator(this.findProposer());
    const i = this.indexOf(this.proposer.signer);
    return copyValidator(i >= 0 ? this.vals[i]! : this.proposer);
  }

  private findProposer(): Validator {
    let best = this.vals[0]!;
    for (const v of this.vals) if (v.proposerPriority > best.proposerPriority) best = v;
    return best;
  }

  /**
   * Tendermint's `IncrementProposerPriority(times)`: rescale so priorities span at most 2P, centre on
   * the average, then `times` rounds of (add power, pick the highest, subtract P from it).
   */
  incrementProposerPriority(times = 1): Validator {
    if (this.vals.length === 0) throw new ValidatorSetError('incrementProposerPriority: empty validator set');
    if (!Number.isInteger(times) || times <= 0) throw new ValidatorSetError(`incrementProposerPriority: times must be a positive integer, got ${times}`);
    this.rescalePriorities(PRIORITY_WINDOW_SIZE_FACTOR * this.totalVotingPower());
    this.shiftByAvgProposerPriority();
    let proposer = this.vals[0]!;
    for (let i = 0; i < times; i++) proposer = this.incrementOnce();
    this.proposer = copyValidator(proposer);
    return copyValidator(proposer);
  }

  /** A copy incremented `times`; this set is left unchanged. */
  copyIncrementProposerPriority(times: number): ValidatorSet {
    const c = this.copy();
    c.incrementProposerPriority(times);
    return c;
  }

  /**
   * The proposers of rounds 1..`rounds`, index r − 1 holding `copyIncrementProposerPriority(r).getProposer()`'s
   * signer: one copy, one rescale and centring, then one increment per round, since every r runs that
   * same prefix (r(r+1)/2 increments and r copies become r and one). This set is left unchanged.
   */
  proposerSignersByRound(rounds: number): string[] {
    if (this.vals.length === 0) throw new ValidatorSetError('proposerSignersByRound: empty validator set');
    if (!Number.isInteger(rounds) || rounds < 0) throw new ValidatorSetError(`proposerSignersByRound: rounds must be an integer >= 0, got ${rounds}`);
    const out: string[] = [];
    if (rounds === 0) return out;
    const c = this.copy();
    c.rescalePriorities(PRIORITY_WINDOW_SIZE_FACTOR * c.totalVotingPower());
    c.shiftByAvgProposerPriority();
    for (let r = 1; r <= rounds; r++) out.push(c.incrementOnce().signer);
    return out;
  }

  private incrementOnce(): Validator {
    const vals = this.vals;
    let best = vals[0]!;
    for (const v of vals) {
      v.proposerPriority = safeAddClip(v.proposerPriority, v.votingPower);
      // Ties go to the lower address: the list is in address order, so keep the first maximum.
      if (v.proposerPriority > best.proposerPriority) best = v;
    }
    best.proposerPriority = safeSubClip(best.proposerPriority, this.totalVotingPower());
    return best;
  }

  /** Divides every priority by ceil(diff / diffMax) when max − min exceeds diffMax (Go int64 math). */
  rescalePriorities(diffMax: bigint): void {
    if (this.vals.length === 0) throw new ValidatorSetError('rescalePriorities: empty validator set');
    if (diffMax <= 0n) return;
    const diff = this.maxMinPriorityDiff();
    const ratio = truncDiv(wrapInt64(diff + diffMax - 1n), diffMax);
    if (diff > diffMax) for (const v of this.vals) v.proposerPriority = truncDiv(v.proposerPriority, ratio);
  }

  private maxMinPriorityDiff(): bigint {
    let max = INT64_MIN;
    let min = INT64_MAX;
    for (const v of this.vals) {
      if (v.proposerPriority < min) min = v.proposerPriority;
      if (v.proposerPriority > max) max = v.proposerPriority;
    }
    // Go computes max − min in int64 (wrapping) and negates a negative result (wrapping again).
    const diff = wrapInt64(max - min);
    return diff < 0n ? wrapInt64(-diff) : diff;
  }

  /** floor(sum / n) with the sum taken exactly (big.Int), as Tendermint does. */
  averageProposerPriority(): bigint {
    let sum = 0n;
    for (const v of this.vals) sum += v.proposerPriority;
    return euclidDiv(sum, BigInt(this.vals.length));
  }

  shiftByAvgProposerPriority(): void {
    if (this.vals.length === 0) throw new ValidatorSetError('shiftByAvgProposerPriority: empty validator set');
    const avg = this.averageProposerPriority();
    for (const v of this.vals) v.proposerPriority = safeSubClip(v.proposerPriority, avg);
  }

  /**
   * Tendermint's `UpdateWithChangeSet`: a change with power 0 removes that signer, any other change
   * adds it (at −(P' + P'>>3), P' = total after the updates, before removals: Heimdall's rule) or
   * replaces its record keeping its priority. Then rescale to 2P and centre. On error the set is
   * unchanged. Delivery increments by one after each change: see `applyChanges`.
   */
  updateWithChangeSet(changes: readonly Validator[]): void {
    this.updateWithChangeSetInternal(changes, true);
  }

  /** What Delivery does with staking changes: update the set, then move the proposer by one. */
  applyChanges(changes: readonly Validator[]): void {
    if (changes.length === 0) return;
    this.updateWithChangeSet(changes);
    this.incrementProposerPriority(1);
  }

  /** Adds a new validator (or replaces the record of an existing signer). */
  add(v: Validator): void {
    if (v.votingPower <= 0n) throw new ValidatorSetError(`add: validator ${v.id} must have power > 0`);
    this.updateWithChangeSet([v]);
  }

  /** Removes a signer (a change with power 0). */
  remove(signer: string): void {
    const found = this.getByAddress(normalizeAddress(signer, 'remove: signer'));
    if (!found) throw new ValidatorSetError(`remove: signer ${signer} is not in the set`);
    this.updateWithChangeSet([{ ...found.validator, votingPower: 0n }]);
  }

  private updateWithChangeSetInternal(changesIn: readonly Validator[], allowDeletes: boolean): void {
    if (changesIn.length === 0) return;
    const changes = changesIn.map(copyValidator).sort((a, b) => compareSigner(a.signer, b.signer));
    const updates: Validator[] = [];
    const deletes: Validator[] = [];
    let prev = '';
    for (const c of changes) {
      if (c.signer === prev) throw new ValidatorSetError(`duplicate entry for signer ${c.signer} in changes`);
      if (c.votingPower < 0n) throw new ValidatorSetError(`validator ${c.id}: voting power can't be negative (${c.votingPower})`);
      if (c.votingPower > MAX_TOTAL_VOTING_POWER) throw new ValidatorSetError(`validator ${c.id}: voting power can't be higher than ${MAX_TOTAL_VOTING_POWER}`);
      (c.votingPower === 0n ? deletes : updates).push(c);
      prev = c.signer;
    }
    if (!allowDeletes && deletes.length > 0) throw new ValidatorSetError(`cannot process validators with voting power 0: ${deletes.map((d) => d.id).join(', ')}`);
    for (const d of deletes) if (this.indexOf(d.signer) < 0) throw new ValidatorSetError(`failed to find validator ${d.signer} to remove`);

    let updatedTotal = this.vals.length === 0 ? 0n : this.totalVotingPower();
    let numNew = 0;
    for (const u of updates) {
      const i = this.indexOf(u.signer);
      if (i < 0) {
        updatedTotal += u.votingPower;
        numNew++;
      } else updatedTotal += u.votingPower - this.vals[i]!.votingPower;
      if (updatedTotal > MAX_TOTAL_VOTING_POWER) throw new ValidatorSetError(`failed to add/update validator ${u.id}: total voting power would exceed ${MAX_TOTAL_VOTING_POWER}`);
    }
    if (numNew === 0 && this.vals.length === deletes.length) throw new ValidatorSetError('applying the validator changes would result in an empty set');

    for (const u of updates) {
      const i = this.indexOf(u.signer);
      u.proposerPriority = i < 0 ? -(updatedTotal + (updatedTotal >> 3n)) : this.vals[i]!.proposerPriority;
    }

    // Merge (both lists sorted by signer); an update replaces the existing record.
    const merged: Validator[] = [];
    let a = 0;
    let b = 0;
    while (a < this.vals.length && b < updates.length) {
      const cmp = compareSigner(this.vals[a]!.signer, updates[b]!.signer);
      if (cmp < 0) merged.push(this.vals[a++]!);
      else {
        if (cmp === 0) a++;
        merged.push(updates[b++]!);
      }
    }
    while (a < this.vals.length) merged.push(this.vals[a++]!);
    while (b < updates.length) merged.push(updates[b++]!);
    const deleted = new Set(deletes.map((d) => d.signer));
    this.vals = deleted.size ? merged.filter((v) => !deleted.has(v.signer)) : merged;

    this.updateTotalVotingPower();
    this.rescalePriorities(PRIORITY_WINDOW_SIZE_FACTOR * this.totalVotingPower());
    this.shiftByAvgProposerPriority();
  }

  /** Validators that count at this ack count (spec §6 current-validator rule). */
  currentValidators(ackCount: number | bigint): Validator[] {
    return this.vals.filter((v) => isCurrentValidator(v, ackCount)).map(copyValidator);
  }

  hash(): Uint8Array {
    const rec = 20 + 65 + 8;
    const buf = new Uint8Array(this.vals.length * rec);
    this.vals.forEach((v, i) => {
      buf.set(hexToBytes(v.signer), i * rec);
      if (v.pubKey !== '0x') buf.set(hexToBytes(v.pubKey), i * rec + 20);
      buf.set(uintToBytes(v.votingPower, 8), i * rec + 85);
    });
    return keccak256(buf);
  }

  toJSON(): ValidatorSetJson {
    return { validators: this.vals.map(validatorToJson), proposer: this.proposer ? validatorToJson(this.proposer) : null };
  }
}

/**
 * Heimdall's `GetUpdatedValidators`: the change set that brings `current` in line with all known
 * validators at this ack count (remove those no longer current, add new current ones, update power).
 */
export function getUpdatedValidators(current: ReadonlyValidatorSet, all: readonly Validator[], ackCount: number | bigint): Validator[] {
  const updates: Validator[] = [];
  for (const v of all) {
    const existing = current.getByAddress(v.signer);
    const isCurrent = isCurrentValidator(v, ackCount);
    if (existing && !isCurrent) updates.push({ ...v, votingPower: 0n });
    else if (!existing && isCurrent) updates.push(copyValidator(v));
    else if (existing && v.votingPower !== existing.validator.votingPower) updates.push(copyValidator(v));
  }
  return updates;
}

export { ValidatorError };
