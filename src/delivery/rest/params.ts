/**
 * Path and query parameters parsed as Delivery's handlers parse them (the Cosmos SDK's
 * ParseUint64OrReturnBadRequest / ParseInt64OrReturnBadRequest): Go's strconv rules, and the same
 * 400 message, `'x' is not a valid uint64`.
 */
import { HttpError } from './http-error.ts';

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MAX = (1n << 63n) - 1n;

/** strconv.ParseUint(s, 10, 64): decimal digits only. */
export function parseUint64(raw: string | null | undefined): bigint {
  const s = raw ?? '';
  if (!/^\d+$/.test(s) || BigInt(s) > UINT64_MAX) throw new HttpError(400, `'${s}' is not a valid uint64`);
  return BigInt(s);
}

/** strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits. */
export function parseInt64(raw: string | null | undefined): bigint {
  const s = raw ?? '';
  if (!/^[+-]?\d+$/.test(s)) throw new HttpError(400, `'${s}' is not a valid int64`);
  const n = BigInt(s);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw new HttpError(400, `'${s}' is not a valid int64`);
  return n;
}

/**
 * A parsed id as a JavaScript number, or null when it is past anything this node stores (ids are
 * safe integers), so the caller answers "not found" as Delivery would for an id it never wrote.
 */
export function storedId(n: bigint): number | null {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

/** A uint64 clamped into a safe integer (limits, pages: anything larger means "all"). */
export function clampedCount(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}
