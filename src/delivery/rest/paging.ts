/**
 * Delivery's list queries page through a store whose keys end in the id as a decimal string
 * (strconv.FormatUint): spans, checkpoints and event records come back in the string order of
 * their ids ("1", "10", "11", …, "2", …), `limit` per page from page 1. `decimalOrderPage` gives the
 * ids of one such page over the contiguous ids [first, last] without listing them all.
 *
 * Page 0 makes Delivery's unsigned skip `(page − 1) · limit` wrap past every key, so it is empty;
 * so is limit 0.
 */

/** How many of 1..n start with the decimal digits of `prefix` (≥ 1). */
function countWithPrefix(prefix: number, n: number): number {
  let count = 0;
  let lo = prefix;
  let hi = prefix;
  while (lo <= n) {
    count += Math.min(hi, n) - lo + 1;
    lo *= 10;
    hi = hi * 10 + 9;
  }
  return count;
}

/** The id after `cur` among 1..n in decimal string order, or null after the last. */
function nextInOrder(cur: number, n: number): number | null {
  if (cur * 10 <= n) return cur * 10;
  let c = cur;
  while (c % 10 === 9 || c + 1 > n) {
    c = Math.floor(c / 10);
    if (c === 0) return null;
  }
  return c + 1;
}

/** Ids in [first, last] (first is 0 or 1), in decimal string order, page `page` (1-based) of `limit`. */
export function decimalOrderPage(first: 0 | 1, last: number, page: number, limit: number): number[] {
  const out: number[] = [];
  if (page < 1 || limit < 1 || last < first) return out;
  let skip = (page - 1) * limit;
  if (!Number.isSafeInteger(skip)) return out;
  // "0" sorts before every other id.
  if (first === 0) {
    if (skip === 0) out.push(0);
    else skip--;
  }
  if (out.length >= limit || last < 1) return out;
  if (skip >= last) return out;
  // Walk down to the skip-th id of 1..last: skip whole prefixes that lie before it.
  let cur = 1;
  while (skip > 0) {
    const below = countWithPrefix(cur, last);
    if (below <= skip) {
      skip -= below;
      cur += 1;
    } else {
      cur *= 10;
      skip -= 1;
    }
  }
  for (let c: number | null = cur; c !== null && out.length < limit; c = nextInOrder(c, last)) out.push(c);
  return out;
}
