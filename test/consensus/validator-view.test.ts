import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { vectors } from '../helpers/vectors.ts';
import { ValidatorSet } from '../../src/protocol/validators/validator-set.ts';
import { makeValidator } from '../../src/protocol/validators/validator.ts';
import { validatorSetView } from '../../src/delivery/consensus/validator-view.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const genesis = vectors.mainnetGenesisValidatorSet;
const set = ValidatorSet.fromValidators(genesis.validators.map((v) => makeValidator({ id: v.id, signer: v.signer, pubKey: v.pubKey, votingPower: v.power })));
const sorted = [...genesis.validators].sort((a, b) => (a.signer.toLowerCase() < b.signer.toLowerCase() ? -1 : 1));

test('round 0 proposer of the mainnet genesis set is the vector proposer', () => {
  const view = validatorSetView(set);
  const want = genesis.validators.find((v) => v.id === genesis.proposerId)!;
  assert.equal(bytesToHex(view.proposer(0).address), want.signer.toLowerCase());
  assert.equal(view.totalVotingPower, 7);
  assert.ok(view.getByAddress(want.signer.toLowerCase()));
});

test('later rounds advance the priorities: power-1 validators take turns in address order (accum [−6,1,…] → [−5,−5,2,…])', () => {
  const view = validatorSetView(set);
  for (let r = 0; r < 14; r++) assert.equal(bytesToHex(view.proposer(r).address), sorted[r % 7]!.signer.toLowerCase(), `round ${r}`);
  // The next height's set is this one advanced once: its round 0 is this height's round 1.
  const next = validatorSetView(set.copyIncrementProposerPriority(1));
  assert.equal(bytesToHex(next.proposer(0).address), bytesToHex(view.proposer(1).address));
});

test('the view is a snapshot: changing the set afterwards does not move its proposers', () => {
  const s = set.copy();
  const view = validatorSetView(s);
  const before = bytesToHex(view.proposer(0).address);
  s.incrementProposerPriority(3);
  assert.equal(bytesToHex(view.proposer(0).address), before);
});

// The view computes rounds 1..n in one pass (ValidatorSet.proposerSignersByRound); these pin it to
// the per-round computation it replaced, `copyIncrementProposerPriority(r).getProposer()`.
const addr = (i: number) => '0x' + i.toString(16).padStart(40, '0');

test('proposerSignersByRound equals copyIncrementProposerPriority(r) for every round (random sets, priorities and power changes)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.tuple(fc.nat(11), fc.integer({ min: 0, max: 5_000_000 })), { maxLength: 6 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 30 }),
      fc.option(fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { minLength: 12, maxLength: 12 })),
      (powers, changes, advance, rounds, priorities) => {
        const list = powers.map((p, i) => makeValidator({ id: i + 1, signer: addr(((i * 7919) % 4096) + 1), votingPower: p, proposerPriority: priorities?.[i] ?? 0n }));
        // Stored priorities as given (spread beyond 2P, off-centre), or a fresh set.
        const s = priorities ? ValidatorSet.fromExisting(list) : ValidatorSet.fromValidators(list);
        // Power changes and long advances leave priorities uneven, so the rescale and the centring matter.
        // (Changes and advances rescale the set, so a set with stored priorities is taken as it is.)
        for (const [i, p] of priorities ? [] : changes) {
          const v = s.validators()[i % s.size];
          if (v && (p > 0 || s.size > 1)) s.updateWithChangeSet([{ ...v, votingPower: BigInt(p) }]);
        }
        if (advance > 0 && !priorities) s.incrementProposerPriority(advance);
        const before = s.validators().map((v) => v.proposerPriority);
        const got = s.proposerSignersByRound(rounds);
        assert.deepEqual(
          s.validators().map((v) => v.proposerPriority),
          before,
          'the set is left unchanged',
        );
        const want = Array.from({ length: rounds }, (_, i) => s.copyIncrementProposerPriority(i + 1).getProposer()!.signer);
        assert.deepEqual(got, want);
      },
    ),
    { numRuns: 300 },
  );
});

test('the view answers every round, in any order, as copyIncrementProposerPriority(r) (rounds past the first batch too)', () => {
  const base = set.copyIncrementProposerPriority(3);
  const old = (r: number) => (r === 0 ? base.getProposer()! : base.copyIncrementProposerPriority(r).getProposer()!).signer;
  for (const order of [
    [0, 1, 2, 3, 4, 5, 6, 7],
    [7, 0, 3, 12, 1, 25, 8],
    [30, 29, 2],
  ]) {
    const view = validatorSetView(base);
    for (const r of order) assert.equal(bytesToHex(view.proposer(r).address), old(r), `round ${r} of order ${order.join(',')}`);
  }
});
