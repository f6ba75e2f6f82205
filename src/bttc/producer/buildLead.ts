/**
 * How long before its release a block must start building, from the builds this node has timed.
 * A fixed lead (the old 1000 ms budget + 100 ms margin) snapshots the pool more than a second before
 * the slot although a build takes ~0.2 s: every transaction arriving in that second waits a whole
 * extra block. The estimate is a line through recent builds, time = base + perGas × gas, kept on the
 * slow side: `perGas` is the median (`rateQuantile`, default 0.5) of the rates seen over the
 * window and the result is scaled by `safety`. Until a build of real size has been seen it answers
 * the full budget. Not the largest rate: one cold build (the first big block after start, the JIT
 * still warming) measured ~10× the steady rate and held every lead near the full budget for the
 * whole window, so transactions waited ~0.8 s longer than the build needed. A slowdown seen in more
 * than half of recent builds (a loaded machine) still raises the lead; and a lead too short
 * only costs the transactions the budget cut off (the build stops at the budget, the block is on time).
 */

export interface BuildSample {
  /** Wall time of the build request (queue time in the executor included). */
  ms: number;
  gasUsed: bigint;
}

export interface BuildLeadOptions {
  /** Builds remembered (default 16). */
  window?: number;
  /** Multiplier on the estimate (default 1.5). */
  safety?: number;
  /** Added after the multiplier, for timer jitter (default 20 ms). */
  slackMs?: number;
  /** Below this lead the estimate never goes (default 40 ms). */
  minMs?: number;
  /** Gas a build must have used to teach the per-gas cost (default 1,000,000). */
  minGasForRate?: bigint;
  /** Quantile of the recent per-gas rates used (nearest rank, default 0.5; 1 = the largest). */
  rateQuantile?: number;
}

export class BuildLeadEstimator {
  private readonly samples: BuildSample[] = [];
  private readonly o: Required<BuildLeadOptions>;

  constructor(opts: BuildLeadOptions = {}) {
    this.o = { window: 16, safety: 1.5, slackMs: 20, minMs: 40, minGasForRate: 1_000_000n, rateQuantile: 0.5, ...opts };
  }

  record(s: BuildSample): void {
    this.samples.push(s);
    if (this.samples.length > this.o.window) this.samples.shift();
  }

  /** Lead in ms for a block of `gas`, capped at `maxMs` (what it answers while it knows too little). */
  leadMs(gas: bigint, maxMs: number): number {
    if (this.samples.length === 0) return maxMs;
    // Fixed cost: the cheapest recent build (system calls, commit and roots of a near-empty block).
    const base = Math.min(...this.samples.map((s) => s.ms));
    const rates: number[] = [];
    for (const s of this.samples) if (s.gasUsed >= this.o.minGasForRate) rates.push(Math.max(0, s.ms - base) / Number(s.gasUsed));
    rates.sort((a, b) => a - b);
    const perGas = rates.length ? rates[Math.min(rates.length - 1, Math.ceil(this.o.rateQuantile * rates.length) - 1)]! : -1;
    // Nothing big built yet: a large block is unknown territory, a small one costs about `base`.
    if (perGas < 0) return gas >= this.o.minGasForRate ? maxMs : Math.min(maxMs, Math.max(this.o.minMs, base * this.o.safety + this.o.slackMs));
    const est = (base + perGas * Number(gas)) * this.o.safety + this.o.slackMs;
    return Math.min(maxMs, Math.max(this.o.minMs, est));
  }
}
