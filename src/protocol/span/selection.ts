/**
 * Span producer selection (protocol spec §7), ported from Heimdall's bor/selection.go and the bor
 * keeper's SelectNextProducers as BTTC Delivery runs them. uint64 arithmetic is kept on bigint so
 * weights and the rejection bound behave exactly as in Go.
 */
import { GoRand, seedFromHash } from './go-rand.ts';
import { compareSigner, copyValidator, isCurrentValidator, type Validator } from '../validators/validator.ts';

const MAX_UINT64 = (1n << 64n) - 1n;

export interface WeightedRanges {
  /** Running sums of the weights (uint64, wrapping as Go's would). */
  cumulative: bigint[];
  total: bigint;
}

export function createWeightedRanges(weights: readonly (bigint | number)[]): WeightedRanges {
  const cumulative: bigint[] = [];
  let total = 0n;
  for (const w of weights) {
    total = BigInt.asUintN(64, total + BigInt(w));
    cumulative.push(total);
  }
  return { cumulative, total };
}

/** First index whose cumulative weight is ≥ target (Heimdall's binarySearch); −1 for an empty list. */
export function binarySearch(cumulative: readonly bigint[], target: bigint): number {
  if (cumulative.length === 0) return -1;
  let l = 0;
  let r = cumulative.length - 1;
  while (l < r) {
    const mid = (l + r) >>> 1;
    if (cumulative[mid]! >= target) r = mid;
    else l = mid + 1;
  }
  return l;
}

/** Unbiased draw in [min, max]: rejection below MaxUint64 − MaxUint64 % range − 1, as Heimdall does. */
export function randomRangeInclusive(rng: GoRand, min: bigint, max: bigint): bigint {
  if (max <= min) return max;
  const range = max - min + 1n;
  const maxAllowed = MAX_UINT64 - (MAX_UINT64 % range) - 1n;
  let r = rng.uint64();
  while (r >= maxAllowed) r = rng.uint64();
  return min + (r % range);
}

export interface Candidate {
  id: number;
  votingPower: bigint;
}

/**
 * Heimdall's `SelectNextProducers`: all ids when at most `producerCount` are eligible, otherwise
 * `producerCount` weighted draws with replacement seeded by the first 8 bytes of `seed`. Returns ids
 * in draw order (repeats mean more power).
 */
export function selectNextProducerIds(seed: Uint8Array, eligible: readonly Candidate[], producerCount: number): number[] {
  if (!Number.isInteger(producerCount) || producerCount < 0) throw new RangeError(`producerCount must be a non-negative integer, got ${producerCount}`);
  if (eligible.length <= producerCount) return eligible.map((v) => v.id);
  const rng = new GoRand(seedFromHash(seed));
  const { cumulative, total } = createWeightedRanges(eligible.map((v) => BigInt.asUintN(64, v.votingPower)));
  const picked: number[] = [];
  for (let i = 0; i < producerCount; i++) {
    const target = randomRangeInclusive(rng, 1n, total);
    picked.push(eligible[binarySearch(cumulative, target)]!.id);
  }
  return picked;
}

/** Span-eligible validators: current at this ack count and not unstaking (endEpoch 0), by signer. */
export function spanEligibleValidators(all: readonly Validator[], ackCount: number | bigint): Validator[] {
  return all
    .filter((v) => isCurrentValidator(v, ackCount) && v.endEpoch === 0)
    .map(copyValidator)
    .sort((a, b) => compareSigner(a.signer, b.signer));
}

export interface ProducerSelection {
  /** Ids in draw order; for the all-eligible case, the eligible ids in signer order. */
  picked: number[];
  /** The producer set: power = times drawn (or own power when all are eligible), sorted by signer. */
  producers: Validator[];
}

/**
 * The bor keeper's `SelectNextProducers`: eligible validators in signer order; with at most
 * `producerCount` of them all produce with their own power (BTTC mainnet), else draw and give each
 * picked validator a power equal to how often it was drawn.
 */
export function selectNextProducers(seed: Uint8Array, eligibleInOrder: readonly Validator[], producerCount: number): ProducerSelection {
  if (eligibleInOrder.length <= producerCount) {
    const producers = eligibleInOrder.map(copyValidator).sort((a, b) => compareSigner(a.signer, b.signer));
    return { picked: eligibleInOrder.map((v) => v.id), producers };
  }
  const picked = selectNextProducerIds(seed, eligibleInOrder, producerCount);
  const counts = new Map<number, bigint>();
  for (const id of picked) counts.set(id, (counts.get(id) ?? 0n) + 1n);
  const byId = new Map(eligibleInOrder.map((v) => [v.id, v]));
  const producers = [...counts].map(([id, n]) => ({ ...byId.get(id)!, votingPower: n })).sort((a, b) => compareSigner(a.signer, b.signer));
  return { picked, producers };
}
