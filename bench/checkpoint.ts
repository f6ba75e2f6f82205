/**
 * The checkpoint round as the node runs it (`bttc-node bench checkpoint`, src/loadtest/checkpoint-stress.ts)
 * for N = 4, 100 and 1000 validators: checkpoint signatures in precommit side-vote extensions, the
 * H+2 block carrying the N precommits (bytes), the receiver's N precommit verifies and SignatureSet
 * tally to ⌊2n/3⌋+1 in the verify pool (time to quorum, to all N), the submitCheckpoint calldata, and
 * its gas on an embedded root chain staked with the N validators. secp256k1 only: the BLS aggregate
 * (src/protocol/checkpoint/bls-aggregate.ts) is library-only and not part of the node's path.
 *
 *   node bench/checkpoint.ts [--quick] [--threads 2] [--validators 4,100,1000] [--rounds 5]
 */
import { loadavg } from 'node:os';
import { QUICK, report, round } from './lib/harness.ts';
import { runCheckpointStress, formatCheckpointStress, type CheckpointStressResult } from '../src/loadtest/checkpoint-stress.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const COUNTS = (arg('--validators') ?? (QUICK ? '4,100' : '4,100,1000')).split(',').map(Number);
const THREADS = Number(arg('--threads') ?? 2);
const ROUNDS = Number(arg('--rounds') ?? (QUICK ? 2 : 5));

const results: CheckpointStressResult[] = [];
for (const n of COUNTS) {
  const r = await runCheckpointStress({ validators: n, threads: THREADS, rounds: ROUNDS });
  process.stdout.write(formatCheckpointStress(r));
  if (!r.approved || r.submit?.outcome !== 'submitted') throw new Error(`bench: N=${n} was not approved and submitted`);
  results.push(r);
}
const ms = (s: number | null) => (s === null ? null : round(s * 1000));
const summary = results.map((r) => ({
  N: r.validators,
  threads: r.threads,
  blockBytes: r.blockBytes,
  carriedCommitBytes: r.carriedCommitBytes,
  precommitVerifyMs: ms(r.precommitVerifySeconds),
  timeToQuorumMs: ms(r.timeToQuorumSeconds),
  verifyAllMs: ms(r.verifyAllSeconds),
  calldataBytes: r.calldataBytes,
  gas: r.submit?.gasUsed ?? null,
}));
console.table(summary);
report('checkpoint', {
  summary,
  results,
  ratios: Object.fromEntries(
    results.flatMap((r) => [
      [`N=${r.validators}: carried commit bytes per validator`, r.carriedCommitBytes / r.validators],
      [`N=${r.validators}: tally of all N / precommit verify of all N`, (r.verifyAllSeconds ?? NaN) / r.precommitVerifySeconds],
      [`N=${r.validators}: submit gas per signature`, Number(r.submit?.gasUsed ?? NaN) / r.validators],
    ]),
  ),
  loadAverage: loadavg(),
  notes: [
    `timings are the median of ${ROUNDS} rounds of stages a–c; one submission per N (gas is deterministic)`,
    'precommitVerifyMs: the carried-vote checks (member, once each, side-vote extension, vote digest) + N secp256k1-verify items in one priority batch, as DeliveryApp.carriedVotesError; decodeBlock is timed apart',
    'timeToQuorumMs / verifyAllMs: SignatureSet.add of the Yes signatures in pool-task-sized slices (secp256k1-recover), to the ⌊2n/3⌋+1-th valid one and to all N (checkpoint.tallyCheckpoint waits for all N)',
    "with N ≤ 128 the Yes signatures fit one pool task (as the app's single add packs them), so time to quorum equals time to all N and one thread does the work",
    'signSeconds in results is all N validators signing on one thread; each validator in a network signs once',
    'the machine has 2 cores shared with other work: compare rows of one run, not across runs',
  ],
});
