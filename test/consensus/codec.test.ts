import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError, decodeMessages, decodeProposal, decodeVote, encodeBundle, encodeProposal, encodeVote, signBytes, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType, type Vote } from '../../src/delivery/consensus/types.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const arbVote = fc
  .record({
    type: fc.constantFrom(MsgType.Prevote, MsgType.Precommit),
    height: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    round: fc.integer({ min: 0, max: 0x7fffffff }),
    valueId: fc.option(bytes(32), { nil: null }),
    validator: bytes(20),
    extension: fc.uint8Array({ maxLength: 200 }),
    signature: bytes(65),
  })
  .map((v) => ({ ...v, extension: v.type === MsgType.Precommit && v.valueId ? v.extension : new Uint8Array(0) }) as Vote);

test('votes round-trip through the codec', () => {
  fc.assert(
    fc.property(arbVote, (v) => {
      assert.deepEqual(decodeVote(encodeVote(v)), v);
    }),
  );
});

test('proposals round-trip, the value id is recomputed from the value', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 }), fc.uint8Array({ maxLength: 300 }), bytes(20), bytes(65), (height, round, value, proposer, signature) => {
      const p = { height, round, validRound: round - 1, proposer, value, valueId: valueIdOf(value), signature };
      assert.deepEqual(decodeProposal(encodeProposal(p)), p);
    }),
  );
});

test('bundles flatten to their messages; nesting and trailing bytes are rejected', () => {
  const v = encodeVote({ type: MsgType.Prevote, height: 5, round: 1, valueId: null, validator: new Uint8Array(20), extension: new Uint8Array(0), signature: new Uint8Array(65) });
  const b = encodeBundle([v, v]);
  assert.equal(decodeMessages(b).length, 2);
  assert.throws(() => decodeMessages(encodeBundle([b])), /nested/);
  assert.throws(() => decodeMessages(Uint8Array.from([...b, 0])), /trailing/);
});

test('malformed input fails with a CodecError that says what is wrong', () => {
  assert.throws(() => decodeMessages(new Uint8Array(0)), CodecError);
  assert.throws(() => decodeMessages(Uint8Array.of(7)), /unknown consensus message kind 7/);
  const v = encodeVote({ type: MsgType.Precommit, height: 1, round: 0, valueId: new Uint8Array(32), validator: new Uint8Array(20), extension: Uint8Array.of(1), signature: new Uint8Array(65) });
  assert.throws(() => decodeVote(v.subarray(0, v.length - 1)), /length/);
  const bad = v.slice();
  bad[13] = 2;
  assert.throws(() => decodeVote(bad), /hasValue/);
  assert.throws(
    () => encodeVote({ type: MsgType.Prevote, height: 1, round: 0, valueId: null, validator: new Uint8Array(20), extension: Uint8Array.of(1), signature: new Uint8Array(65) }),
    /extension/,
  );
  assert.throws(() => encodeVote({ type: MsgType.Prevote, height: -1, round: 0, valueId: null, validator: new Uint8Array(20), extension: new Uint8Array(0), signature: new Uint8Array(65) }), /height/);
});

test('sign bytes: any field change gives different bytes (unambiguous encoding)', () => {
  const id = new Uint8Array(32).fill(7);
  const base = { type: MsgType.Precommit, height: 10, round: 2, valueId: id, extension: Uint8Array.of(1, 2) } as const;
  const variants = [
    signBytes('bttc', base),
    signBytes('bttc', { ...base, type: MsgType.Prevote, extension: undefined }),
    signBytes('bttc', { ...base, height: 11 }),
    signBytes('bttc', { ...base, round: 3 }),
    signBytes('bttc', { ...base, valueId: null, extension: undefined }),
    signBytes('bttc', { ...base, valueId: new Uint8Array(32) }),
    signBytes('bttc', { ...base, extension: Uint8Array.of(1, 3) }),
    signBytes('bttc', { ...base, extension: undefined }),
    signBytes('bttc2', base),
    signBytes('bttc', { type: MsgType.Proposal, height: 10, round: 2, validRound: -1, valueId: id }),
    signBytes('bttc', { type: MsgType.Proposal, height: 10, round: 2, validRound: 1, valueId: id }),
  ];
  assert.equal(new Set(variants.map(bytesToHex)).size, variants.length);
  // Never a checkpoint vote (0x01 ‖ 224 bytes): the domain tag comes first.
  assert.notEqual(variants[0]![0], 0x01);
  assert.equal(voteDigest('bttc', { ...base }).length, 32);
});
