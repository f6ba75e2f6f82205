/**
 * Delivery's gov module through four validators driven height by height (real app, LevelDB, side
 * votes in precommits): a Governor proposal mirrored, ballots pooled and included, a tally each
 * validator recomputes from its own staking-chain reads and signs, approved at 2/3+1 (one validator
 * reading different power votes No and is outvoted), refusal codes, a late ballot `closed`, the
 * submission's calldata, TallyAnchored mirrored back; then the REST routes over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DeliveryState } from '../../src/delivery/app/state.ts';
import { includeBallot } from '../../src/delivery/modules/gov/ballots.ts';
import type { GovRootReader } from '../../src/delivery/modules/gov/reader.ts';
import { GOV_STATE } from '../../src/delivery/modules/gov/state.ts';
import { GovTallySubmission } from '../../src/delivery/modules/gov/submission.ts';
import { GOV_BALLOT_TX } from '../../src/delivery/modules/gov/txs.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { domainSeparator, signBallot, signedBallotJson, type Ballot, type Support } from '../../src/gov/ballot.ts';
import { judgeBallots, tallyProposal } from '../../src/gov/tally.ts';
import { decodeTallyRecord, SUBMIT_TALLY_SELECTOR, tallyVoteHash } from '../../src/gov/tally-data.ts';
import { recoverSigner } from '../../src/gov/ballot.ts';
import type { TallySubmission } from '../../src/root/submitter.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';

const config = devConfig();
const GOVERNOR = '0x' + '55'.repeat(20);
const CHAIN_ID = 31337n;
const domain = { chainId: CHAIN_ID, governor: GOVERNOR };
const voters = Array.from({ length: 5 }, (_, i) => key(20 + i, 91));
// Voter 4 has no power at the snapshot; the rest of the supply sits with holders who do not vote.
const POWER = [400n, 300n, 200n, 100n, 0n].map((p) => p * 10n ** 18n);
const TOTAL = 2000n * 10n ** 18n;

/** One validator's view of the staking chain: a power table and a head the test moves. */
class TableReader implements GovRootReader {
  readonly governor = GOVERNOR;
  head = 0;
  skew = 0n;
  reads = 0;
  chainId = async () => CHAIN_ID;
  confirmedHead = async () => this.head;
  async pastVotes(voter: string, _block: number): Promise<bigint> {
    this.reads++;
    const i = voters.findIndex((v) => v.address === voter);
    return (i < 0 ? 0n : POWER[i]!) + (i === 0 ? this.skew : 0n);
  }
  pastTotalSupply = async () => TOTAL;
  anchored = async () => false;
}

function ballot(i: number, support: Support, nonce: bigint, proposalId: string, reason = '', signer = i): unknown {
  const b: Ballot = { proposalId, support, voter: voters[i]!.address, nonce, reason };
  return signedBallotJson({ ballot: b, signature: signBallot(b, domain, voters[signer]!.secretKey) });
}

let nodes: NodeHandle[] = [];
const readers: TableReader[] = [];
const root = new FakeRoot();
const clock = {
  t: GENESIS_TIME,
  now() {
    return this.t;
  },
};
const metrics = new Registry();
const proposalId = '0x' + 'ab'.repeat(32);
let snapshot = 0;
let deadline = 0;

async function step(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.t += 2000;
    await deliverEvents(nodes, root);
    await decideHeight(nodes, config.delivery.chainId);
  }
}

async function stepUntil(what: string, cond: () => Promise<boolean> | boolean, max = 20): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await cond()) return;
    await step();
  }
  assert.fail(`${what}: not after ${max} heights`);
}

before(async () => {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 31));
  const genesis = genesisOf(keys);
  for (let i = 0; i < 4; i++) readers.push(new TableReader());
  nodes = await Promise.all(keys.map((k, i) => openNode(k, genesis, { clock, gov: readers[i]!, ...(i === 0 ? { metrics } : {}) })));
});

after(async () => {
  for (const n of nodes) await closeNode(n);
});

describe('gov module', () => {
  it('mirrors a Governor ProposalCreated once > 2/3 saw it', async () => {
    snapshot = root.block + 3;
    deadline = snapshot + 10;
    root.governorEvent('ProposalCreated', {
      proposalId: BigInt(proposalId),
      proposer: voters[0]!.address,
      targets: [],
      values: [],
      signatures: [],
      calldatas: [],
      voteStart: BigInt(snapshot),
      voteEnd: BigInt(deadline),
      description: 'lower the checkpoint reward',
    });
    await stepUntil('proposal mirrored', async () => (await nodes[0]!.app.queries.gov.proposal(proposalId)) !== null);
    for (const n of nodes) {
      const p = await n.app.queries.gov.proposal(proposalId);
      assert.deepEqual({ snapshot: p?.snapshot, deadline: p?.deadline, status: p?.status, closeHeight: p?.closeHeight }, { snapshot, deadline, status: 'active', closeHeight: null });
    }
  });

  it('includes pooled ballots in blocks, in one order on every node; tallies once the deadline is past', async () => {
    const q = (i: number) => nodes[i]!.app.queries.gov;
    const submitAll = (json: unknown) => nodes.map((_, i) => q(i).submit(json).status);
    // As gossip would: every node's pool gets each ballot.
    assert.deepEqual(submitAll(ballot(0, 1, 1n, proposalId)), ['pooled', 'pooled', 'pooled', 'pooled']);
    assert.deepEqual(submitAll(ballot(0, 1, 1n, proposalId)), ['duplicate', 'duplicate', 'duplicate', 'duplicate'], 'same ballot twice is one');
    submitAll(ballot(1, 0, 1n, proposalId));
    submitAll(ballot(2, 3, 1n, proposalId, '', 3)); // signed by voter 3's key: bad-signature
    submitAll(ballot(4, 1, 1n, proposalId)); // no power
    await step(2);
    submitAll(ballot(1, 1, 2n, proposalId, 'changed my mind')); // replaces voter 1's against
    submitAll(ballot(0, 0, 1n, proposalId, 'replay with the same nonce')); // stale-nonce
    submitAll(ballot(3, 2, 5n, proposalId));
    await step(2);
    const streams = await Promise.all(nodes.map((n) => n.app.queries.gov.ballots(proposalId)));
    assert.equal(streams[0]!.length, 7);
    for (const s of streams) assert.deepEqual(s, streams[0], 'every node holds the same ballot stream');
    assert.ok(
      streams[0]!.every((b) => b.refusal === null),
      'nothing decided before the tally',
    );
    for (const n of nodes) assert.equal(n.app.queries.gov.pooled, 0, 'included ballots leave every pool');
    assert.equal(q(2).submit(ballot(0, 1, 1n, proposalId)).status, 'duplicate', 'a late copy of an included ballot is not pooled again');

    // Voting closes on the staking chain; validator 3 reads a different power for voter 0 and votes No.
    readers[3]!.skew = 1n;
    for (const r of readers) r.head = deadline + 1;
    await stepUntil('tally approved', async () => (await nodes[0]!.app.queries.gov.tally(proposalId)) !== null);
    await step(1);
    const tallies = await Promise.all(nodes.map((n) => n.app.queries.gov.tally(proposalId)));
    for (const t of tallies) assert.deepEqual(t, tallies[0], 'every node stores the same tally');
    const t = tallies[0]!;
    assert.equal(t.signatures.length, 3, 'three Yes signatures: validator 3 voted No');

    // Independent recomputation in the test: the final choices by hand, refusals by code.
    const E = 10n ** 18n;
    assert.deepEqual(
      { for: t.tally.forVotes, against: t.tally.againstVotes, abstain: t.tally.abstainVotes, veto: t.tally.vetoVotes, total: t.tally.totalPower, n: t.tally.ballotCount, outcome: t.tally.outcome },
      { for: String(700n * E), against: '0', abstain: String(100n * E), veto: '0', total: String(TOTAL), n: 3, outcome: 'passed' },
    );
    const p = { id: proposalId, snapshot: BigInt(snapshot), deadline: BigInt(deadline), closeHeight: t.closeHeight };
    const judged = judgeBallots(
      streams[0]!.map((b) => ({ json: b.json, height: b.height })),
      new Map([[proposalId, p]]),
      { power: (_id, v) => POWER[voters.findIndex((x) => x.address === v)] ?? 0n, domainSeparator: domainSeparator(domain) },
    );
    assert.equal(t.tally.manifestRoot, tallyProposal(p, judged.accepted.get(proposalId), TOTAL).manifestRoot);
    assert.deepEqual(
      t.refusals.map((r) => [r.voter, r.code]),
      [
        [voters[2]!.address, 'bad-signature'],
        [voters[4]!.address, 'no-power-at-snapshot'],
        [voters[0]!.address, 'stale-nonce'],
      ],
    );
    // The signed data is the 12-word record; each signature recovers to a validator.
    const record = decodeTallyRecord(hexToBytes(t.data));
    assert.equal(record.manifestRoot, t.tally.manifestRoot);
    assert.equal(record.governor, GOVERNOR);
    const validators = new Set(nodes.map((n) => n.key.address));
    for (const s of t.signatures) {
      const sig = hexToBytes(s.signature);
      const v = sig.slice();
      v[64] = v[64]! < 27 ? v[64]! + 27 : v[64]!;
      assert.equal(recoverSigner(tallyVoteHash(record), v), s.signer);
      assert.ok(validators.has(s.signer));
    }
    assert.equal((await nodes[0]!.app.queries.gov.proposal(proposalId))?.status, 'tallied');
  });

  it('a ballot included after the close is refused `closed`; the submission sends submitTally calldata', async () => {
    const late = ballot(3, 1, 9n, proposalId);
    for (const n of nodes) n.app.queries.gov.submit(late);
    await step(2);
    const stream = await nodes[0]!.app.queries.gov.ballots(proposalId);
    assert.equal(stream.at(-1)?.refusal?.code, 'closed');

    const t = (await nodes[0]!.app.queries.gov.tally(proposalId))!;
    // What each node's submission listener would send, recorded instead of sent.
    const submitted = async (n: NodeHandle): Promise<TallySubmission[]> => {
      const sent: TallySubmission[] = [];
      const sub = new GovTallySubmission({
        submitter: { submitTally: async (r) => (sent.push(r), { outcome: 'submitted', txHash: '0x', attempts: 1, gasUsed: 0n, blockNumber: 0 }) },
        anchored: async () => false,
        address: n.app.address,
      });
      sub.attach(n.app);
      await sub.whenSettled();
      return sent;
    };
    const owner = nodes.find((n) => n.key.address === t.submitter)!;
    const sent = await submitted(owner);
    assert.equal(sent.length, 1, 'the submitter re-sends an approved, unanchored tally on attach');
    assert.equal(bytesToHex(sent[0]!.calldata.subarray(0, 4)), SUBMIT_TALLY_SELECTOR);
    assert.equal((await submitted(nodes.find((n) => n !== owner)!)).length, 0, 'only the tally submitter submits');

    root.governorEvent('TallyAnchored', {
      proposalId: BigInt(proposalId),
      manifestRoot: t.tally.manifestRoot,
      forVotes: 0n,
      againstVotes: 0n,
      abstainVotes: 0n,
      vetoVotes: 0n,
      totalPower: TOTAL,
      ballotCount: 3n,
      outcome: 0n,
      signed: 3n,
    });
    await stepUntil('anchored mirrored', async () => (await nodes[0]!.app.queries.gov.proposal(proposalId))?.status === 'anchored');
    const a = (await nodes[0]!.app.queries.gov.tally(proposalId))!.anchored;
    assert.equal(a?.signed, '3');
    const text = await metrics.metrics();
    assert.match(text, /bttc_delivery_gov_ballots_total\{outcome="refused-stale-nonce"\} 1/);
    assert.match(text, /bttc_delivery_gov_ballots_total\{outcome="counted"\} 3/);
    assert.match(text, /bttc_delivery_gov_tallies_total\{outcome="applied",result="passed"\} 1/);
  });

  it('serves POST /gov/ballots and the proposal, ballot-set and tally routes', async () => {
    const server = new DeliveryRestServer({}, { app: nodes[0]!.app });
    const addr = await server.listen();
    const base = `http://127.0.0.1:${addr.port}`;
    try {
      const post = (body: unknown) => fetch(`${base}/gov/ballots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const bad = await post({ ...(ballot(0, 1, 3n, proposalId) as object), support: 7 });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /^malformed: ballot\.support/);
      const ok = await post(ballot(0, 1, 3n, proposalId));
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { result: unknown }).result, { proposalId, voter: voters[0]!.address, nonce: '3', status: 'pooled' });

      const list = (await (await fetch(`${base}/gov/proposals`)).json()) as { result: { id: string; status: string }[] };
      assert.deepEqual(
        list.result.map((p) => [p.id, p.status]),
        [[proposalId, 'anchored']],
      );
      assert.equal((await fetch(`${base}/gov/proposals/${'0x' + '01'.repeat(32)}`)).status, 404);
      assert.equal((await fetch(`${base}/gov/proposals/nope`)).status, 400);
      const byDecimal = (await (await fetch(`${base}/gov/proposals/${BigInt(proposalId)}`)).json()) as { result: { id: string } };
      assert.equal(byDecimal.result.id, proposalId);

      const set = ((await (await fetch(`${base}/gov/proposals/${proposalId}/ballots`)).json()) as { result: Record<string, unknown> }).result;
      assert.deepEqual(Object.keys(set), ['proposalId', 'closeHeight', 'ballots', 'counted', 'refused']);
      assert.equal((set.ballots as unknown[]).length, 8);
      assert.deepEqual(
        (set.refused as { code: string }[]).map((r) => r.code),
        ['bad-signature', 'no-power-at-snapshot', 'stale-nonce', 'closed'],
      );
      const tally = ((await (await fetch(`${base}/gov/proposals/${proposalId}/tally`)).json()) as { result: Record<string, unknown> }).result;
      assert.equal(tally.outcome, 'passed');
      assert.equal(tally.ballotCount, 3);
      assert.equal((tally.anchored as { signed: string }).signed, '3');
    } finally {
      await server.close();
    }
  });

  it('at inclusion: unparseable and unknown-proposal ballots go to the unattributed stream with their code', () => {
    const s = DeliveryState.genesis(0, [GOV_STATE]);
    s.init(GOV_STATE, { govProposals: new Map(), govUnattributed: 0, govParams: [] });
    const ctx = { config, stakingChainId: 2, height: 5, blockTime: 0, state: s };
    const enc = (x: string) => ({ type: GOV_BALLOT_TX, body: new TextEncoder().encode(x) }) as const;
    const a = includeBallot(enc('{"proposalId":'), ctx);
    assert.equal(a.ballot.refusal?.code, 'malformed');
    assert.match(a.ballot.refusal!.detail, /not JSON/);
    const b = includeBallot(enc(JSON.stringify({ proposalId: '0x01', support: 9 })), ctx);
    assert.equal(b.ballot.refusal?.code, 'malformed');
    assert.match(b.ballot.refusal!.detail, /support/);
    const c = includeBallot(enc(JSON.stringify(ballot(0, 1, 1n, '0x' + '77'.repeat(32)))), ctx);
    assert.deepEqual([c.proposalId, c.ballot.refusal?.code, c.ballot.index], ['0x' + '00'.repeat(32), 'unknown-proposal', 2]);
  });
});
