/** Order statistics for the load report (nearest-rank percentiles, as polycli reports them). */

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Summary {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
  return { count: s.length, mean, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : null };
}

/** Groups RPC refusal messages into kinds (numbers and hashes removed) so errors count by cause. */
export function errorKind(code: number | string, message: string): string {
  const m = message
    .toLowerCase()
    .replace(/0x[0-9a-f]+/g, 'X')
    .replace(/\d+/g, 'N')
    .slice(0, 80);
  return `${code}: ${m}`;
}
