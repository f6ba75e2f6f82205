/**
 * Shadow election (issue 18): 5,000 voters with random power (a VotesMoved history: stake, delegate,
 * unstake, some only after the snapshot), and a random ballot stream with replacements, duplicates,
 * replays, older nonces, late, malformed, wrongly signed, high-s and unknown-proposal ballots.
 *   node  = src/gov (judgeBallots + tallyProposal) with power from the log recomputation
 *   test  = an independent recomputation written here: ethers' EIP-712 hashing and ecrecover, power
 *           from the generator's own ledger (not the logs), its own Merkle tree
 *   audit = src/audit/tally.ts's recomputeTally on the ballot set round-tripped through JSON, with
 *           power from VotesMoved logs encoded as eth_getLogs returns them
 * All three agree on counts, manifest root and outcome, and every refusal carries the code the
 * generator meant.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AbiCoder, keccak256 as ethersKeccak, recoverAddress, Signature, concat } from 'ethers';
import { ballotDigest, domainSeparator, signBallot, signedBallotJson, type Ballot, type Support } from '../../src/gov/ballot.ts';
import { judgeBallots, tallyProposal, type BallotEntry, type Judged, type ProposalInfo, type RefusalCode } from '../../src/gov/tally.ts';
import { judgeBallotsPooled } from '../../src/gov/tally-pooled.ts';
import { VerifyPool } from '../../src/pools/verifyPool.ts';
import { parseBallotSet, recomputeTally, recomputeTallyPooled } from '../../src/audit/tally.ts';
import { decodeVotesMoved, recomputeVotingPower, votesMovedTopic, type VotesMove } from '../../src/audit/voting-power.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { testKey, type TestKey } from '../helpers/keys.ts';
import { ethersBallotHash } from '../helpers/ballot-eip712.ts';

const VOTERS = Number(process.env.SHADOW_VOTERS ?? 5000);
const ZERO = '0x0000000000000000000000000000000000000000';
const GOVERNOR = testKey('shadow-governor').addressHex;
const DOMAIN = { chainId: 199n, governor: GOVERNOR };
const SEP = domainSeparator(DOMAIN);
const PID = `0x${'5a'.repeat(32)}`;
const OTHER_PID = `0x${'5b'.repeat(32)}`;
const SNAPSHOT = 100n;
const CLOSE_HEIGHT = 5000;

/** Deterministic PRNG (mulberry32): a failing seed can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

interface Generated {
  keys: TestKey[];
  moves: VotesMove[];
  /** The generator's own ledger: delegatee power at the snapshot (not derived from the logs). */
  ledgerPower: Map<string, bigint>;
  ledgerTotal: bigint;
  entries: BallotEntry[];
  expected: (RefusalCode | null)[];
}

function generate(seed: number): Generated {
  const r = rng(seed);
  const keys = Array.from({ length: VOTERS }, (_, i) => testKey(`shadow-voter-${i}`));
  const moves: VotesMove[] = [];
  const units = new Map<string, bigint>();
  const delegatee = new Map<string, string>();
  const power = new Map<string, bigint>();
  let total = 0n;
  let ledgerPower = new Map<string, bigint>();
  let ledgerTotal = 0n;
  const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v);
  // A history over blocks 1..160; the snapshot (100) is frozen from the ledger as it passes.
  const events: { block: bigint; run: () => void }[] = [];
  for (const k of keys) {
    const a = k.addressHex;
    const block = BigInt(1 + r.int(150));
    const amount = BigInt(1 + r.int(1_000_000)) * 10n ** 15n;
    events.push({
      block,
      run: () => {
        const to = delegatee.get(a) ?? a;
        units.set(a, (units.get(a) ?? 0n) + amount);
        add(power, to, amount);
        total += amount;
        moves.push({ account: a, from: ZERO, to, amount, block });
      },
    });
    if (r.chance(0.1)) {
      const target = keys[r.int(keys.length)]!.addressHex;
      const dblock = BigInt(1 + r.int(150));
      events.push({
        block: dblock,
        run: () => {
          const from = delegatee.get(a) ?? a;
          delegatee.set(a, target);
          const u = units.get(a) ?? 0n;
          if (from !== target && u > 0n) {
            add(power, from, -u);
            add(power, target, u);
            moves.push({ account: a, from, to: target, amount: u, block: dblock });
          }
        },
      });
    }
    if (r.chance(0.05)) {
      const bblock = BigInt(1 + r.int(150));
      events.push({
        block: bblock,
        run: () => {
          const u = units.get(a) ?? 0n;
          if (u === 0n) return;
          const burn = u / 2n + 1n;
          const from = delegatee.get(a) ?? a;
          units.set(a, u - burn);
          add(power, from, -burn);
          total -= burn;
          moves.push({ account: a, from, to: ZERO, amount: burn, block: bblock });
        },
      });
    }
  }
  events.sort((x, y) => (x.block < y.block ? -1 : x.block > y.block ? 1 : 0));
  let frozen = false;
  for (const e of events) {
    if (!frozen && e.block > SNAPSHOT) {
      ledgerPower = new Map(power);
      ledgerTotal = total;
      frozen = true;
    }
    e.run();
  }
  if (!frozen) {
    ledgerPower = new Map(power);
    ledgerTotal = total;
  }

  // Ballots.
  const entries: BallotEntry[] = [];
  const expected: (RefusalCode | null)[] = [];
  const acceptedNonce = new Map<string, bigint>();
  const powerAt = (a: string) => ledgerPower.get(a) ?? 0n;
  let height = 10;
  const push = (json: unknown, code: RefusalCode | null, h = height) => {
    entries.push({ json, height: h });
    expected.push(code);
    height += r.int(2);
  };
  const signed = (k: TestKey, b: Ballot) => signedBallotJson({ ballot: b, signature: signBallot(b, DOMAIN, k.secret) });
  const valid = (k: TestKey, b: Ballot) => {
    const a = k.addressHex;
    if (powerAt(a) === 0n) return push(signed(k, b), 'no-power-at-snapshot');
    const prev = acceptedNonce.get(a);
    if (prev !== undefined && b.nonce <= prev) return push(signed(k, b), 'stale-nonce');
    acceptedNonce.set(a, b.nonce);
    push(signed(k, b), null);
  };
  const order = keys.map((_, i) => i).sort(() => r.next() - 0.5);
  for (const i of order) {
    const k = keys[i]!;
    const base = (): Ballot => ({ proposalId: PID, support: r.int(4) as Support, voter: k.addressHex, nonce: BigInt(1 + r.int(3)), reason: r.chance(0.2) ? `reason ${i} ✓` : '' });
    if (r.chance(0.85)) {
      const b = base();
      valid(k, b);
      if (r.chance(0.15)) valid(k, { ...b, nonce: b.nonce + BigInt(1 + r.int(3)), support: r.int(4) as Support }); // replaces
      if (r.chance(0.1)) {
        const json = signed(k, b); // the exact same ballot again: a replay
        const prev = acceptedNonce.get(k.addressHex);
        push(json, powerAt(k.addressHex) === 0n ? 'no-power-at-snapshot' : prev !== undefined && b.nonce <= prev ? 'stale-nonce' : null);
      }
    }
    const roll = r.next();
    if (roll < 0.03) {
      const other = keys[(i + 1) % keys.length]!;
      const b = base();
      push(signedBallotJson({ ballot: b, signature: signBallot(b, DOMAIN, other.secret) }), 'bad-signature');
    } else if (roll < 0.05) {
      const b = base();
      const sig = Signature.from(bytesToHex(signBallot(b, DOMAIN, k.secret)));
      // The same signature with s → n − s: plain ecrecover accepts it, EIP-2 does not.
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const high = concat([sig.r, `0x${(N - BigInt(sig.s)).toString(16).padStart(64, '0')}`, sig.v === 27 ? '0x1c' : '0x1b']);
      push({ ...signedBallotJson({ ballot: b, signature: new Uint8Array(65) }), signature: high }, 'bad-signature');
    } else if (roll < 0.07) {
      const variants = [
        { ...signed(k, base()), support: 7 },
        { ...signed(k, base()), voter: 'alice' },
        { ...signed(k, base()), signature: '0x1234' },
        { ...signed(k, base()), nonce: -1 },
        { ...signed(k, base()), reason: 'x'.repeat(300) },
        'not an object',
        null,
      ];
      push(variants[r.int(variants.length)], 'malformed');
    } else if (roll < 0.09) {
      push(signed(k, { ...base(), proposalId: OTHER_PID }), 'unknown-proposal');
    } else if (roll < 0.11) {
      push(signed(k, { ...base(), nonce: 99n }), 'closed', CLOSE_HEIGHT + 1 + r.int(10));
    } else if (roll < 0.13) {
      // A right signature over a different domain (another Governor): recovers to someone else.
      const b = base();
      push(signedBallotJson({ ballot: b, signature: signBallot(b, { ...DOMAIN, governor: ZERO }, k.secret) }), 'bad-signature');
    }
  }
  assert.ok(height < CLOSE_HEIGHT, 'the on-time ballots fit before the close');
  return { keys, moves, ledgerPower, ledgerTotal, entries, expected };
}

/** The test's own recomputation: ethers for hashing and recovery, the ledger for power. */
function independent(g: Generated) {
  const latest = new Map<string, { support: number; nonce: bigint; hash: string }>();
  const codes: (RefusalCode | null)[] = [];
  const HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
  g.entries.forEach((e) => {
    const o = e.json as Record<string, unknown> | null;
    const ok =
      o !== null &&
      typeof o === 'object' &&
      [0, 1, 2, 3].includes(o.support as number) &&
      typeof o.voter === 'string' &&
      /^0x[0-9a-f]{40}$/.test(o.voter) &&
      typeof o.signature === 'string' &&
      o.signature.length === 132 &&
      typeof o.nonce === 'string' &&
      typeof o.reason === 'string' &&
      Buffer.byteLength(o.reason) <= 256;
    if (!ok) return codes.push('malformed');
    if (o.proposalId !== PID) return codes.push('unknown-proposal');
    if (e.height > CLOSE_HEIGHT) return codes.push('closed');
    const value = { proposalId: BigInt(o.proposalId as string), support: o.support, voter: o.voter, nonce: BigInt(o.nonce as string), reason: o.reason };
    const hash = ethersBallotHash(DOMAIN, value);
    let signer = '';
    try {
      const sig = Signature.from(o.signature as string);
      if (BigInt(sig.s) > HALF) throw new Error('high s');
      signer = recoverAddress(hash, sig).toLowerCase();
    } catch {
      signer = '';
    }
    if (signer !== o.voter) return codes.push('bad-signature');
    if ((g.ledgerPower.get(o.voter as string) ?? 0n) === 0n) return codes.push('no-power-at-snapshot');
    const prev = latest.get(o.voter as string);
    if (prev && value.nonce <= prev.nonce) return codes.push('stale-nonce');
    latest.set(o.voter as string, { support: o.support as number, nonce: value.nonce, hash });
    codes.push(null);
  });
  const counts = [0n, 0n, 0n, 0n];
  const voters = [...latest.keys()].sort();
  const coder = AbiCoder.defaultAbiCoder();
  let layer = voters.map((v) => {
    const b = latest.get(v)!;
    const p = g.ledgerPower.get(v)!;
    counts[b.support] = counts[b.support]! + p;
    return ethersKeccak(coder.encode(['address', 'uint8', 'uint256', 'bytes32'], [v, b.support, p, b.hash]));
  });
  let width = 1;
  while (width < layer.length) width *= 2;
  while (layer.length < width) layer.push(`0x${'00'.repeat(32)}`);
  while (layer.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(ethersKeccak(concat([layer[i]!, layer[i + 1]!])));
    layer = next;
  }
  const [against, forV, abstain, veto] = counts as [bigint, bigint, bigint, bigint];
  const voted = against + forV + abstain + veto;
  const T = g.ledgerTotal;
  const outcome = voted * 1000n < 334n * T ? 'no-quorum' : abstain === voted ? 'all-abstain' : veto * 1000n > 334n * voted ? 'vetoed' : forV * 2n > voted - abstain ? 'passed' : 'rejected';
  return { codes, forVotes: forV, againstVotes: against, abstainVotes: abstain, vetoVotes: veto, ballotCount: voters.length, manifestRoot: layer[0] ?? `0x${'00'.repeat(32)}`, outcome };
}

describe(`shadow election: ${VOTERS} voters`, { timeout: 600_000 }, () => {
  it('node tally == independent recomputation == audit tally (inline and pooled); every refusal has the intended code', async () => {
    const g = generate(Number(process.env.SHADOW_SEED ?? 18));
    const proposal: ProposalInfo = { id: PID, snapshot: SNAPSHOT, deadline: SNAPSHOT + 50n, closeHeight: CLOSE_HEIGHT };

    // Node: power from the logs (as a node's event index would hold it).
    const power = recomputeVotingPower(g.moves, SNAPSHOT);
    const judged = judgeBallots(g.entries, new Map([[PID, proposal]]), { domainSeparator: SEP, power: (_id, v) => power.accounts.get(v) ?? 0n });
    const node = tallyProposal(proposal, judged.accepted.get(PID), power.total);

    // Independent.
    const ind = independent(g);
    assert.deepEqual(ind.codes, g.expected, 'the independent recomputation reads the stream as the generator meant it');

    // Audit: ballot set through JSON, power through eth_getLogs-shaped logs.
    const set = parseBallotSet(JSON.parse(JSON.stringify({ proposalId: PID, closeHeight: CLOSE_HEIGHT, ballots: g.entries.map((e) => ({ height: e.height, ballot: e.json })) })), 'ballots');
    const word = (x: string | bigint) => `0x${(typeof x === 'bigint' ? x.toString(16) : x.slice(2)).padStart(64, '0')}`;
    const logs = g.moves.map((m) => ({
      address: ZERO,
      topics: [votesMovedTopic(), word(m.account), word(m.from), word(m.to)],
      data: `${word(m.amount)}${word(m.block).slice(2)}`,
      blockNumber: `0x${m.block.toString(16)}`,
    }));
    const auditPower = recomputeVotingPower(
      logs.map((l) => decodeVotesMoved(l)).filter((m) => m.block <= SNAPSHOT),
      SNAPSHOT,
    );
    const audit = recomputeTally(proposal, set, auditPower, DOMAIN);
    // The same with recoveries in a real verify pool, in chunks that split replacements and replays
    // across task boundaries: verdicts depend on order, so a chunk judged out of turn would show.
    const pool = new VerifyPool({ threads: 2, maxBatchSize: 64 });
    let pooled: Judged;
    let auditPooled: Awaited<ReturnType<typeof recomputeTallyPooled>>;
    try {
      pooled = await judgeBallotsPooled(g.entries, new Map([[PID, proposal]]), { domainSeparator: SEP, power: (_id, v) => power.accounts.get(v) ?? 0n }, pool, { chunkSize: 97 });
      auditPooled = await recomputeTallyPooled(proposal, set, auditPower, DOMAIN, pool);
    } finally {
      await pool.close();
    }
    assert.deepEqual(pooled.refusals, judged.refusals, 'pooled judge: the same refusals, in the same order');
    assert.deepEqual(pooled.accepted, judged.accepted, 'pooled judge: the same counted ballots');
    assert.deepEqual(auditPooled.refusals, audit.refusals, 'pooled audit: the same refusals');
    assert.equal(auditPooled.tally.manifestRoot, audit.tally.manifestRoot, 'pooled audit: the same manifest root');

    // Power: logs vs ledger.
    assert.equal(power.total, g.ledgerTotal);
    for (const [a, p] of g.ledgerPower) assert.equal(power.accounts.get(a) ?? 0n, p, a);

    const nodeCodes: (RefusalCode | null)[] = g.entries.map(() => null);
    for (const r of judged.refusals) nodeCodes[r.index] = r.code;
    assert.deepEqual(nodeCodes, g.expected, 'node refusals');
    const auditCodes: (RefusalCode | null)[] = g.entries.map(() => null);
    for (const r of audit.refusals) auditCodes[r.index] = r.code;
    assert.deepEqual(auditCodes, g.expected, 'audit refusals');

    const view = (t: { forVotes: bigint; againstVotes: bigint; abstainVotes: bigint; vetoVotes: bigint; manifestRoot: string; outcome: string }, n: number) => ({
      forVotes: t.forVotes,
      againstVotes: t.againstVotes,
      abstainVotes: t.abstainVotes,
      vetoVotes: t.vetoVotes,
      manifestRoot: t.manifestRoot,
      outcome: t.outcome,
      ballotCount: n,
    });
    assert.deepEqual(view(node, node.ballots.length), view(ind, ind.ballotCount), 'node == independent');
    assert.deepEqual(view(audit.tally, audit.tally.ballots.length), view(node, node.ballots.length), 'audit == node');
    assert.equal(audit.tally.totalPower, g.ledgerTotal);

    // The stream really exercised every code and some replacements.
    const byCode = new Map<string, number>();
    for (const c of g.expected) byCode.set(c ?? 'accepted', (byCode.get(c ?? 'accepted') ?? 0) + 1);
    for (const c of ['accepted', 'malformed', 'unknown-proposal', 'closed', 'bad-signature', 'no-power-at-snapshot', 'stale-nonce']) assert.ok((byCode.get(c) ?? 0) > 0, `no ${c} ballot generated`);
    assert.ok(node.ballots.length > VOTERS / 2);

    // One changed ballot changes the root (the manifest commits to every counted ballot).
    const tampered = [...g.entries];
    const firstOk = g.expected.indexOf(null);
    const o = tampered[firstOk]!.json as Record<string, unknown>;
    const b: Ballot = { proposalId: PID, support: ((Number(o.support) + 1) % 4) as Support, voter: o.voter as string, nonce: BigInt(o.nonce as string), reason: o.reason as string };
    const k = g.keys.find((x) => x.addressHex === b.voter)!;
    tampered[firstOk] = { ...tampered[firstOk]!, json: signedBallotJson({ ballot: b, signature: signBallot(b, DOMAIN, k.secret) }) };
    const again = judgeBallots(tampered, new Map([[PID, proposal]]), { domainSeparator: SEP, power: (_id, v) => power.accounts.get(v) ?? 0n });
    assert.notEqual(tallyProposal(proposal, again.accepted.get(PID), power.total).manifestRoot, node.manifestRoot);
    assert.ok(bytesToHex(ballotDigest(b, SEP)).startsWith('0x'));
  });
});
