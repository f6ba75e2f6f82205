/**
 * Checkpoint signing stress for several validator counts: sign, gossip encode/decode, verify to
 * 2/3+1 (inline vs verify pool with 1 and 2 threads, side by side per N), submit to an embedded root
 * chain staked with N validators. Ratios: pool vs inline time to quorum at each N; submit gas per
 * signature. `--quick` runs small N only.
 */
import { loadavg } from 'node:os';
import { QUICK, report, round } from './lib/harness.ts';
import { runCheckpointStress, type CheckpointStressResult } from '../src/loadtest/checkpoint-stress.ts';

const COUNTS = QUICK ? [21, 100] : [21, 100, 300, 1000];
const THREADS = [0, 1, 2];
const results: CheckpointStressResult[] = [];
const ratios: Record<string, number> = {};
for (const n of COUNTS) {
  const byThreads = new Map<number, CheckpointStressResult>();
  for (const threads of THREADS) {
    const r = await runCheckpointStress({ validators: n, threads });
    byThreads.set(threads, r);
    results.push(r);
    console.log(`N=${n} threads=${threads}: quorum ${round(r.timeToQuorumSeconds * 1000)} ms, ${round(r.signaturesPerSec)} sig/s signing, ${round(r.verifiedPerSec)} verified/s, submit gas ${r.submit.gasUsed}`);
  }
  const inline = byThreads.get(0)!;
  ratios[`N=${n}: time to quorum, pool 1 thread / inline`] = byThreads.get(1)!.timeToQuorumSeconds / inline.timeToQuorumSeconds;
  ratios[`N=${n}: time to quorum, pool 2 threads / pool 1 thread`] = byThreads.get(2)!.timeToQuorumSeconds / byThreads.get(1)!.timeToQuorumSeconds;
  ratios[`N=${n}: submit gas per signature`] = Number(BigInt(inline.submit.gasUsed ?? '0')) / n;
}
report('checkpoint-stress', {
  rows: results.map((r) => ({ name: `N=${r.validators} threads=${r.threads}`, meanMs: r.timeToQuorumSeconds * 1000, opsPerSec: r.verifiedPerSec, samples: 1, signPerSec: round(r.signaturesPerSec), submitGas: r.submit.gasUsed, calldataBytes: r.calldataBytes, submitSeconds: round(r.submit.seconds) })),
  ratios,
  results,
  loadAverage: loadavg(),
  notes: ['meanMs = time from the first vote entering verification to the 2/3+1-th valid one (single run per cell)', 'the machine is shared with other work: compare cells of one run, not across runs'],
});
