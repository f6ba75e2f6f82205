/**
 * Properties of closing a vote in Delivery (modules/gov/close.ts) over random ballot streams:
 * - the voters the proposer reads power for (votersOf: signature valid, at or below the close) are
 *   enough: the tally with only their powers equals the tally with everyone's;
 * - the record Delivery signs equals what `audit tally` recomputes from the same ballot set (the
 *   REST shape) and the same power, with the same refusals;
 * - exactly the ballots included above the close height are refused `closed`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { computeTally, votersOf } from '../../src/delivery/modules/gov/close.ts';
import type { GovProposal } from '../../src/delivery/modules/gov/state.ts';
import type { StoredBallot } from '../../src/delivery/modules/gov/store.ts';
import { GOV_TALLY_TX, type GovTallyTx } from '../../src/delivery/modules/gov/txs.ts';
import { recomputeTally } from '../../src/audit/tally.ts';
import { signBallot, signedBallotJson, type Ballot, type Support } from '../../src/gov/ballot.ts';
import { key } from './helpers.ts';

const GOVERNOR = '0x' + '66'.repeat(20);
const CHAIN_ID = 7n;
const PID = '0x' + '42'.repeat(32);
const voters = Array.from({ length: 6 }, (_, i) => key(60 + i, 3));
const proposal: GovProposal = { id: PID, proposer: voters[0]!.address, snapshot: 50, deadline: 60, rootBlock: 48, height: 3, ballots: 0, closeHeight: null };

const ballotArb = fc.record({
  voter: fc.nat({ max: voters.length - 1 }),
  signer: fc.nat({ max: voters.length - 1 }),
  honest: fc.boolean(),
  support: fc.constantFrom<Support>(0, 1, 2, 3),
  nonce: fc.nat({ max: 4 }),
  height: fc.integer({ min: 4, max: 30 }),
});

test('votersOf is enough power; Delivery tally = audit recomputation', () => {
  fc.assert(
    fc.property(
      fc.array(ballotArb, { maxLength: 25 }),
      fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { minLength: voters.length, maxLength: voters.length }),
      fc.integer({ min: 4, max: 30 }),
      (raw, powers, closeHeight) => {
        const sorted = [...raw].sort((a, b) => a.height - b.height);
        const stream: StoredBallot[] = sorted.map((r, index) => {
          const b: Ballot = { proposalId: PID, support: r.support, voter: voters[r.voter]!.address, nonce: BigInt(r.nonce), reason: '' };
          const sk = voters[r.honest ? r.voter : r.signer]!.secretKey;
          return { index, height: r.height, json: signedBallotJson({ ballot: b, signature: signBallot(b, { chainId: CHAIN_ID, governor: GOVERNOR }, sk) }), refusal: null };
        });
        const total = powers.reduce((a, b) => a + b, 0n) + 1n;
        const powerOf = (v: string) => powers[voters.findIndex((x) => x.address === v)] ?? 0n;
        const tx = (list: string[]): GovTallyTx => ({
          type: GOV_TALLY_TX,
          proposalId: PID,
          governor: GOVERNOR,
          chainId: CHAIN_ID,
          totalPower: total,
          powers: list.map((voter) => ({ voter, power: powerOf(voter) })),
        });
        const needed = votersOf(stream, closeHeight, { governor: GOVERNOR, chainId: CHAIN_ID });
        const everyone = voters.map((v) => v.address).sort();
        const mine = computeTally(proposal, stream, closeHeight, tx(needed));
        const full = computeTally(proposal, stream, closeHeight, tx(everyone));
        assert.deepEqual(mine.record, full.record);
        assert.deepEqual(mine.refusals, full.refusals);

        const audit = recomputeTally(
          { id: PID, snapshot: 50n, deadline: 60n, closeHeight },
          { proposalId: PID, closeHeight, ballots: stream.map((b) => ({ height: b.height, json: b.json })) },
          { block: 50n, total, accounts: new Map(everyone.map((v) => [v, powerOf(v)])), touched: new Set() },
          { chainId: CHAIN_ID, governor: GOVERNOR },
        );
        assert.equal(audit.tally.manifestRoot, mine.record.manifestRoot);
        assert.deepEqual(
          [audit.tally.forVotes, audit.tally.againstVotes, audit.tally.abstainVotes, audit.tally.vetoVotes],
          [mine.record.forVotes, mine.record.againstVotes, mine.record.abstainVotes, mine.record.vetoVotes],
        );
        assert.deepEqual(audit.refusals, mine.refusals);
        // Every ballot above the close is refused `closed`, none below it.
        for (const b of stream)
          assert.equal(
            mine.refusals.some((r) => r.index === b.index && r.code === 'closed'),
            b.height > closeHeight,
          );
      },
    ),
    { numRuns: 60 },
  );
});
