import { test } from 'node:test';
import assert from 'node:assert/strict';
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
