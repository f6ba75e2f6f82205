/**
 * Finding one field of an RLP-encoded transaction by skipping the fields before it, without decoding
 * the whole list. Decoding allocates a view per field; the hot paths that need one field (the
 * prefetcher's recipient, the transfer fast path's data check) skip instead.
 *
 * These are hints for callers that decode fully afterwards: they check only prefixes, never that
 * the whole encoding is valid, and give -1 for anything they cannot follow.
 */

/** Offset just past the plain (non-list) RLP item starting at `off`, or -1 (a nested list, past the end). */
export function skipItem(raw: Uint8Array, off: number): number {
  const f = raw[off];
  if (f === undefined) return -1;
  if (f < 0x80) return off + 1;
  if (f <= 0xb7) return off + 1 + (f - 0x80);
  if (f < 0xc0) {
    const ll = f - 0xb7;
    let n = 0;
    for (let i = 1; i <= ll; i++) n = n * 256 + (raw[off + i] ?? 0);
    return off + 1 + ll + n;
  }
  return -1;
}

/**
 * Offset of field `index` of the RLP list whose header starts at `listOff` (the fields before it
 * must be plain strings, as a transaction's leading fields are), or -1.
 */
export function listFieldOffset(raw: Uint8Array, listOff: number, index: number): number {
  const f = raw[listOff];
  if (f === undefined || f < 0xc0) return -1;
  let off = f <= 0xf7 ? listOff + 1 : listOff + 1 + (f - 0xf7);
  for (let i = 0; i < index && off >= 0; i++) off = skipItem(raw, off);
  return off < raw.length ? off : -1;
}
