/**
 * Go int64 semantics on bigint. The proposer-priority algorithm must match Tendermint/Heimdall bit for
 * bit, including where Go saturates (safeAddClip), wraps (plain int64 subtraction) and truncates
 * (integer division rounds toward zero); Number would lose precision above 2^53.
 */

export const INT64_MAX = (1n << 63n) - 1n;
export const INT64_MIN = -(1n << 63n);
/** Tendermint's cap on total voting power: keeps every intermediate priority inside int64. */
export const MAX_TOTAL_VOTING_POWER = INT64_MAX / 8n;
/** Priorities are kept within PRIORITY_WINDOW_SIZE_FACTOR × total power of each other. */
export const PRIORITY_WINDOW_SIZE_FACTOR = 2n;

/** Two's-complement wrap, as Go's int64 arithmetic does on overflow. */
export function wrapInt64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

export function isInt64(x: bigint): boolean {
  return x >= INT64_MIN && x <= INT64_MAX;
}

/** Go `safeAddClip`: a + b, saturating at the int64 bounds instead of wrapping. */
export function safeAddClip(a: bigint, b: bigint): bigint {
  const c = a + b;
  if (c > INT64_MAX) return INT64_MAX;
  if (c < INT64_MIN) return INT64_MIN;
  return c;
}

/** Go `safeSubClip`: a − b, saturating. */
export function safeSubClip(a: bigint, b: bigint): bigint {
  const c = a - b;
  if (c > INT64_MAX) return INT64_MAX;
  if (c < INT64_MIN) return INT64_MIN;
  return c;
}

/** Go's `/` on int64: truncates toward zero (bigint division already does), and MinInt64 / −1 wraps. */
export function truncDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('integer divide by zero');
  return wrapInt64(a / b);
}

/** big.Int.Div: Euclidean division (remainder always ≥ 0); for a positive divisor this is floor. */
export function euclidDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new RangeError('integer divide by zero');
  const q = a / b;
  const r = a - q * b;
  if (r < 0n) return b > 0n ? q - 1n : q + 1n;
  return q;
}
