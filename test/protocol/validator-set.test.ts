import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectors } from '../helpers/vectors.ts';
import { ValidatorSet, ValidatorSetError, getUpdatedValidators } from '../../src/protocol/validators/validator-set.ts';
import { makeValidator, isCurrentValidator, type Validator } from '../../src/protocol/validators/validator.ts';
import { INT64_MAX, INT64_MIN, euclidDiv, safeAddClip, safeSubClip, truncDiv } from '../../src/protocol/validators/int64.ts';

const gen = vectors.mainnetGenesisValidatorSet;

function genesisList(): Validator[] {
  // Deliberately not in address order: NewValidatorSet must sort.
  return [...gen.validators].reverse().map((v) => makeValidator({ id: v.id, signer: v.signer, pubKey: v.pubKey, votingPower: v.power }));
}

function addr(i: number): string {
  return '0x' + i.toString(16).padStart(40, '0');
}

test('mainnet genesis: NewValidatorSet gives the vector accums and proposer id 6', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  const byId = new Map(set.validators().map((v) => [v.id, v]));
  for (const v of gen.validators) assert.equal(byId.get(v.id)!.proposerPriority, BigInt(v.accumAfterGenesis), `accum of id ${v.id}`);
  assert.equal(set.getProposer()!.id, gen.proposerId);
  assert.deepEqual(
    set.validators().map((v) => v.signer),
    gen.validators.map((v) => v.signer),
    'sorted by signer',
  );
  assert.equal(set.totalVotingPower(), 7n);
});

test('genesis then one more increment gives [-5, -5, 2, ...] (spec §6) and rotates in address order', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  set.incrementProposerPriority(1);
  assert.deepEqual(
    set.validators().map((v) => v.proposerPriority),
    [-5n, -5n, 2n, 2n, 2n, 2n, 2n],
  );
  assert.equal(set.getProposer()!.signer, gen.validators[1]!.signer);
  // With equal powers the proposer walks the address order.
  const order: string[] = [];
  for (let i = 0; i < 14; i++) order.push(set.incrementProposerPriority(1).signer);
  const signers = gen.validators.map((v) => v.signer);
  assert.deepEqual(order, [...signers.slice(2), ...signers, ...signers.slice(0, 2)]);
});

test('incrementProposerPriority(3) from genesis: three rounds after one centring', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  const p = set.incrementProposerPriority(3);
  assert.deepEqual(
    set.validators().map((v) => v.proposerPriority),
    [-3n, -3n, -3n, -3n, 4n, 4n, 4n],
  );
  assert.equal(p.signer, gen.validators[3]!.signer);
  assert.equal(set.getProposer()!.signer, gen.validators[3]!.signer);
});

test('Tendermint proposer-selection vectors (TestProposerSelection1 style): powers 1000/300/330', () => {
  // Known sequence from Tendermint's validator_set_test.go for foo=1000, bar=300, baz=330 at genesis.
  const vals = [
    makeValidator({ id: 1, signer: addr(0xf00), votingPower: 1000 }),
    makeValidator({ id: 2, signer: addr(0xba2), votingPower: 300 }),
    makeValidator({ id: 3, signer: addr(0xba3), votingPower: 330 }),
  ];
  const set = ValidatorSet.fromValidators(vals);
  const names = new Map([
    [addr(0xf00), 'foo'],
    [addr(0xba2), 'bar'],
    [addr(0xba3), 'baz'],
  ]);
  const seq: string[] = [];
  for (let i = 0; i < 99; i++) {
    seq.push(names.get(set.getProposer()!.signer)!);
    set.incrementProposerPriority(1);
  }
  const expected =
    'foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo';
  assert.equal(seq.join(' '), expected);
});

test('new validator enters at -(P + P>>3) before centring; removal; update keeps priority', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  const before = set.copy();
  const newcomer = makeValidator({ id: 8, signer: '0x0000000000000000000000000000000000000008', votingPower: 1 });
  set.updateWithChangeSet([newcomer]);
  // P' = 8 → −9 before rescale/centre; recompute by hand.
  const prios = [...before.validators().map((v) => v.proposerPriority), -9n];
  const sum = prios.reduce((a, b) => a + b, 0n);
  const avg = euclidDiv(sum, BigInt(prios.length));
  const got = new Map(set.validators().map((v) => [v.id, v.proposerPriority]));
  assert.equal(got.get(8), -9n - avg);
  for (const v of before.validators()) assert.equal(got.get(v.id), v.proposerPriority - avg);
  assert.equal(set.validators()[0]!.id, 8, 'lowest address first');

  // Removal.
  set.remove(newcomer.signer);
  assert.equal(set.size, 7);
  assert.equal(set.hasAddress(newcomer.signer), false);
  // Update: same signer, new power, priority kept.
  const v0 = set.validators()[3]!;
  set.updateWithChangeSet([{ ...v0, votingPower: 3n, nonce: 9 }]);
  const v0after = set.getByAddress(v0.signer)!.validator;
  assert.equal(v0after.votingPower, 3n);
  assert.equal(v0after.nonce, 9);
  assert.equal(set.totalVotingPower(), 9n);
});

test('change-set errors leave the set unchanged', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  const json = JSON.stringify(set.toJSON());
  const v = set.validators()[0]!;
  assert.throws(() => set.updateWithChangeSet([v, { ...v }]), /duplicate/);
  assert.throws(() => set.updateWithChangeSet([{ ...v, votingPower: -1n }]), /negative/);
  assert.throws(() => set.updateWithChangeSet([{ ...v, signer: addr(99), votingPower: 0n }]), /failed to find/);
  assert.throws(() => set.updateWithChangeSet(set.validators().map((x) => ({ ...x, votingPower: 0n }))), /empty set/);
  assert.throws(() => ValidatorSet.fromValidators([{ ...v, votingPower: 0n }]), ValidatorSetError);
  assert.equal(JSON.stringify(set.toJSON()), json);
});

test('rescale divides by ceil(diff/2P) truncating toward zero', () => {
  const set = ValidatorSet.fromExisting([
    makeValidator({ id: 1, signer: addr(1), votingPower: 1, proposerPriority: -100 }),
    makeValidator({ id: 2, signer: addr(2), votingPower: 1, proposerPriority: 7 }),
    makeValidator({ id: 3, signer: addr(3), votingPower: 1, proposerPriority: 93 }),
  ]);
  set.rescalePriorities(6n); // diff 193 → ratio ceil(193/6) = 33
  assert.deepEqual(
    set.validators().map((v) => v.proposerPriority),
    [-3n, 0n, 2n],
  );
});

test('int64 helpers: saturation, truncation, Euclidean average', () => {
  assert.equal(safeAddClip(INT64_MAX, 1n), INT64_MAX);
  assert.equal(safeAddClip(INT64_MIN, -1n), INT64_MIN);
  assert.equal(safeSubClip(INT64_MIN, 1n), INT64_MIN);
  assert.equal(safeSubClip(INT64_MAX, -1n), INT64_MAX);
  assert.equal(truncDiv(-7n, 2n), -3n);
  assert.equal(truncDiv(INT64_MIN, -1n), INT64_MIN);
  assert.equal(euclidDiv(-7n, 2n), -4n);
  assert.equal(euclidDiv(7n, 2n), 3n);
  // Saturating add inside an increment: a priority at MaxInt64 stays there.
  const set = ValidatorSet.fromExisting([
    makeValidator({ id: 1, signer: addr(1), votingPower: 1, proposerPriority: INT64_MAX }),
    makeValidator({ id: 2, signer: addr(2), votingPower: 1, proposerPriority: INT64_MIN }),
  ]);
  // Go computes max − min in int64: MaxInt64 − MinInt64 wraps to −1, |−1| = 1 ≤ 2P, so no rescale.
  // Centre: floor(−1/2) = −1, MaxInt64 + 1 saturates. Then +1 each (saturating), winner − P.
  set.incrementProposerPriority(1);
  assert.deepEqual(
    set.validators().map((v) => v.proposerPriority),
    [INT64_MAX - 2n, INT64_MIN + 2n],
  );
});

test('JSON round trip is exact and stable', () => {
  const set = ValidatorSet.fromValidators(genesisList());
  set.incrementProposerPriority(3);
  const text = JSON.stringify(set.toJSON());
  const back = ValidatorSet.fromJSON(JSON.parse(text));
  assert.equal(JSON.stringify(back.toJSON()), text);
  assert.equal(back.getProposer()!.signer, set.getProposer()!.signer);
  assert.deepEqual(back.hash(), set.hash());
  assert.equal(typeof JSON.parse(text).validators[0].proposerPriority, 'string');
  assert.throws(() => ValidatorSet.fromJSON({ validators: [...JSON.parse(text).validators].reverse(), proposer: null }), /sorted/);
  assert.throws(() => ValidatorSet.fromJSON({ validators: [{ id: 1, signer: '0x12', votingPower: '1' }], proposer: null }), /signer/);
});

test('hash ignores priorities but sees power and membership', () => {
  const a = ValidatorSet.fromValidators(genesisList());
  const b = a.copy();
  b.incrementProposerPriority(2);
  assert.deepEqual(a.hash(), b.hash());
  b.remove(gen.validators[0]!.signer);
  assert.notDeepEqual(a.hash(), b.hash());
});

test('current-validator rule and GetUpdatedValidators', () => {
  const v = makeValidator({ id: 1, signer: addr(1), votingPower: 1, startEpoch: 2, endEpoch: 5 });
  assert.equal(isCurrentValidator(v, 0), false, 'epoch 1 < start');
  assert.equal(isCurrentValidator(v, 1), true, 'epoch 2 = start');
  assert.equal(isCurrentValidator(v, 3), true, 'epoch 4 < end');
  assert.equal(isCurrentValidator(v, 4), false, 'epoch 5 = end');
  assert.equal(isCurrentValidator({ ...v, jailed: true }, 1), false);
  assert.equal(isCurrentValidator({ ...v, votingPower: 0n }, 1), false);
  assert.equal(isCurrentValidator({ ...v, endEpoch: 0 }, 100), true);

  const set = ValidatorSet.fromValidators(genesisList());
  const all = set.validators();
  all[0] = { ...all[0]!, endEpoch: 3 };
  all.push(makeValidator({ id: 9, signer: addr(9), votingPower: 1, startEpoch: 1 }));
  const changes = getUpdatedValidators(set, all, 2);
  assert.deepEqual(
    changes.map((c) => [c.id, c.votingPower]),
    [
      [all[0]!.id, 0n],
      [9, 1n],
    ],
  );
  set.applyChanges(changes);
  assert.equal(set.size, 7);
  assert.equal(set.hasAddress(addr(9)), true);
});
