/**
 * Governance tally throughput (issue 18): 100,000 signed ballots verified and tallied
 *   inline  judgeBallots on the main thread (parse, EIP-712 digest, ecrecover, rules) + tally
 *   pool    judgeBallotsPooled (src/gov/tally-pooled.ts), as `audit tally` runs it: ballots are
 *           parsed and digested chunk by chunk on the main thread while the verify pool (2 threads)
 *           recovers earlier chunks, and each chunk is judged as soon as its signers are back
 *   raw     libsecp256k1 recover of the same 100,000 signatures in a plain loop (no parsing, no
 *           hashing, no address): the floor
 * Targets: pool ≥ 1.7× inline ballots/s, pool total ≤ 1.3× raw. Also the gas of Governor.submitTally
 * with ⌊2n/3⌋+1 and with n signatures for n = 7, 21, 100 validators (TestChain, real contracts).
 */
import { availableParallelism, loadavg } from 'node:os';
import { report, QUICK, round } from './lib/harness.ts';
import { VerifyPool } from '../src/pools/verifyPool.ts';
import { recover } from '../src/crypto/secp256k1.ts';
import { keccak256 } from '../src/crypto/keccak.ts';
import { addressFromPublicKey } from '../src/crypto/address.ts';
import { publicKeyCreate } from '../src/crypto/secp256k1.ts';
import { domainSeparator, signBallot, signedBallotJson, type Support } from '../src/gov/ballot.ts';
import { ballotDigests, judgeBallots, tallyProposal, type BallotEntry, type ProposalInfo } from '../src/gov/tally.ts';
import { judgeBallotsPooled, TALLY_POOL_OPTIONS } from '../src/gov/tally-pooled.ts';
import { tallyRecord } from '../src/gov/tally-data.ts';
import { bytesToHex } from '../src/util/bytes.ts';
import { sortBySigner } from '../test/contracts/fixture.ts';
import { deployGovSet, submitTally } from '../test/contracts/gov-fixture.ts';
import { callAt } from '../test/contracts/staking-fixture.ts';

const N = QUICK ? 10_000 : 100_000;
const DOMAIN = { chainId: 199n, governor: `0x${'42'.repeat(20)}` };
const SEP = domainSeparator(DOMAIN);
const PID = `0x${'77'.repeat(32)}`;
const proposal: ProposalInfo = { id: PID, snapshot: 100n, deadline: 200n, closeHeight: null };

console.log(`signing ${N} ballots…`);
const entries: BallotEntry[] = [];
const power = new Map<string, bigint>();
for (let i = 0; i < N; i++) {
  const sk = keccak256(new TextEncoder().encode(`bench voter ${i}`));
  const voter = bytesToHex(addressFromPublicKey(publicKeyCreate(sk, false)));
  power.set(voter, BigInt(1 + (i % 1000)) * 10n ** 18n);
  const ballot = { proposalId: PID, support: (i % 4) as Support, voter, nonce: 1n, reason: i % 10 === 0 ? 'because' : '' };
  entries.push({ height: 1 + (i >> 8), json: signedBallotJson({ ballot, signature: signBallot(ballot, DOMAIN, sk) }) });
}
const total = [...power.values()].reduce((a, b) => a + b, 0n);
const deps = { domainSeparator: SEP, power: (_p: string, v: string) => power.get(v) ?? 0n };

function inline() {
  const j = judgeBallots(entries, new Map([[PID, proposal]]), deps);
  return tallyProposal(proposal, j.accepted.get(PID), total);
}

async function pooled(pool: VerifyPool) {
  const j = await judgeBallotsPooled(entries, new Map([[PID, proposal]]), deps, pool);
  return tallyProposal(proposal, j.accepted.get(PID), total);
}

function raw(items: { digest: Uint8Array; sig: Uint8Array; recid: number }[]) {
  for (const it of items) recover(it.sig, it.recid, it.digest);
}

const rawItems = ballotDigests(entries, SEP).map((p) => ({ digest: p!.digest, sig: p!.signed.signature.subarray(0, 64), recid: p!.signed.signature[64]! - 27 }));
const pool = new VerifyPool({ ...TALLY_POOL_OPTIONS, threads: 2 });
// Five rounds: a round's pool/inline ratio moves by ±0.1 with what else the machine does.
const ROUNDS = QUICK ? 1 : 5;
const times = { inline: [] as number[], pool: [] as number[], raw: [] as number[] };
let roots: string[] = [];
// warm-up
await pooled(pool);
for (let r = 0; r < ROUNDS; r++) {
  let t = performance.now();
  raw(rawItems);
  times.raw.push(performance.now() - t);
  t = performance.now();
  const a = inline();
  times.inline.push(performance.now() - t);
  t = performance.now();
  const b = await pooled(pool);
  times.pool.push(performance.now() - t);
  roots = [a.manifestRoot, b.manifestRoot];
  if (a.manifestRoot !== b.manifestRoot || a.forVotes !== b.forVotes || a.ballots.length !== N) throw new Error('inline and pool tallies differ');
}
await pool.close();
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const m = { inline: med(times.inline), pool: med(times.pool), raw: med(times.raw) };

console.log('submitTally gas…');
const gas: { validators: number; signatures: number; gasUsed: bigint }[] = [];
for (const n of QUICK ? [7] : [7, 21, 100]) {
  const set = await deployGovSet({ validators: n, params: { validatorThreshold: 200n } });
  const vals = sortBySigner(set.vals);
  for (const count of [Math.floor((2 * n) / 3) + 1, n]) {
    const out = await set.chain.send(set.vals[0]!.owner, 'Governor', set.governor, 'propose', [[set.stakeManager], [0n], ['0x'], `bench ${n} ${count}`]);
    const ev = out.logs.find((l) => l.name === 'ProposalCreated')!;
    const p: ProposalInfo = { id: `0x${(ev.args.proposalId as bigint).toString(16).padStart(64, '0')}`, snapshot: ev.args.voteStart, deadline: ev.args.voteEnd, closeHeight: null };
    set.chain.number = p.deadline + 1n;
    const tot = (await callAt(set.chain, 'StakeVotes', set.stakeVotes, 'getPastTotalSupply', [p.snapshot]))[0] as bigint;
    const t = tallyProposal(p, new Map(), tot);
    const rec = { ...tallyRecord(t, set.governor, 2n), forVotes: tot, ballotCount: BigInt(n), manifestRoot: `0x${'ab'.repeat(32)}` };
    const res = await submitTally(set, set.gov, rec, vals.slice(0, count));
    if (!res.ok) throw new Error(`submitTally n=${n}: ${res.revert}`);
    gas.push({ validators: n, signatures: count, gasUsed: res.gasUsed });
  }
}

report('tally', {
  ballots: N,
  rows: [
    { name: 'inline (main thread)', meanMs: m.inline, opsPerSec: (N / m.inline) * 1000, samples: ROUNDS },
    { name: 'verify pool, 2 threads', meanMs: m.pool, opsPerSec: (N / m.pool) * 1000, samples: ROUNDS },
    { name: 'raw native ecrecover', meanMs: m.raw, opsPerSec: (N / m.raw) * 1000, samples: ROUNDS },
  ],
  ratios: { 'pool ballots/s ÷ inline (target ≥ 1.7)': m.inline / m.pool, 'pool total ÷ raw ecrecover (target ≤ 1.3)': m.pool / m.raw },
  perRound: times.raw.map((raw, r) => ({ rawMs: round(raw), inlineMs: round(times.inline[r]!), poolMs: round(times.pool[r]!), poolOverInline: round(times.inline[r]! / times.pool[r]!, 3) })),
  submitTallyGas: gas.map((g) => ({ ...g, gasUsed: Number(g.gasUsed), perSignature: round(Number(g.gasUsed) / g.signatures) })),
  manifestRoot: roots[0],
  notes: [
    `median of ${ROUNDS} rounds, side by side (raw, inline, pool in each round); load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${availableParallelism()} cores`,
    'inline and pool share the batched parse and digest (judgeBallots prepares 1024 ballots at a time); they differ only in where ecrecover runs',
    `pool settings as audit tally uses them: ${JSON.stringify(TALLY_POOL_OPTIONS)}, chunks of 1024 ballots`,
  ],
});
