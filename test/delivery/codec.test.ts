/** Delivery block / tx / side-vote codec: round trips, one encoding per value, clear errors on bad bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeliveryCodecError, decodeBlock, decodeSideVotes, decodeTx, encodeBlock, encodeSideVotes, encodeTx } from '../../src/delivery/app/codec.ts';
import { SideVote, StakingKind, TxType, type DeliveryBlock, type DeliveryTx } from '../../src/delivery/app/types.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(bytesToHex);
const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const ref = fc.record({
  rootChainId: fc.integer({ min: 0, max: 255 }),
  sequence: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  blockNumber: u53,
  logIndex: fc.integer({ min: 0, max: 0xffffffff }),
  txHash: hex(32),
});
const u256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });

const txArb: fc.Arbitrary<DeliveryTx> = fc.oneof(
  fc.record({
    type: fc.constant(TxType.Staking),
    ref,
    kind: fc.constantFrom(StakingKind.Join, StakingKind.Exit, StakingKind.SignerUpdate, StakingKind.StakeUpdate),
    validatorId: u53,
    nonce: u53,
    signer: hex(20),
    pubKey: fc.oneof(fc.constant('0x'), hex(65)),
    epoch: u53,
    amount: u256,
  }),
  fc.record({
    type: fc.constant(TxType.Checkpoint),
    rootChainId: fc.integer({ min: 0, max: 255 }),
    checkpoint: fc.record({ proposer: hex(20), start: u53, end: u53, rootHash: hex(32), accountRootHash: hex(32), borChainId: u53, epoch: u53 }),
  }),
  fc.record({ type: fc.constant(TxType.CheckpointAck), ref, headerBlockId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), proposer: hex(20), start: u53, end: u53, rootHash: hex(32) }),
  fc.record({ type: fc.constant(TxType.CheckpointNoAck), rootChainId: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ type: fc.constant(TxType.Span), spanId: u53, startBlock: u53, endBlock: u53, seed: hex(32), bttcChainId: u53 }),
  fc.record({ type: fc.constant(TxType.EventRecord), ref, stateId: u256, contract: hex(20), data: fc.uint8Array({ maxLength: 64 }).map(bytesToHex) }),
) as fc.Arbitrary<DeliveryTx>;

const blockArb: fc.Arbitrary<DeliveryBlock> = fc.record({
  height: u53,
  time: u53,
  lastCommit: fc.record({
    round: fc.integer({ min: 0, max: 0xffffffff }),
    votes: fc.array(
      fc.record({ validator: fc.uint8Array({ minLength: 20, maxLength: 20 }), extension: fc.uint8Array({ maxLength: 80 }), signature: fc.uint8Array({ minLength: 65, maxLength: 65 }) }),
      { maxLength: 4 },
    ),
  }),
  txs: fc.array(txArb, { maxLength: 5 }),
});

describe('delivery codec', () => {
  it('blocks round-trip, and the encoding is canonical', () => {
    fc.assert(
      fc.property(blockArb, (b) => {
        const bytes = encodeBlock(b);
        const back = decodeBlock(bytes);
        assert.deepEqual(back, structuredClone(b));
        assert.deepEqual(encodeBlock(back), bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('every truncation and any trailing byte is a DeliveryCodecError naming the problem', () => {
    fc.assert(
      fc.property(blockArb, fc.nat(), (b, cut) => {
        const bytes = encodeBlock(b);
        const n = cut % bytes.length;
        assert.throws(() => decodeBlock(bytes.subarray(0, n)), DeliveryCodecError);
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        assert.throws(() => decodeBlock(longer), /trailing byte/);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(txArb, (tx) => assert.deepEqual(decodeTx(encodeTx(tx)), structuredClone(tx))),
      { numRuns: 300 },
    );
    assert.throws(() => decodeTx(Uint8Array.of(99)), /unknown tx type 99/);
    assert.throws(() => decodeBlock(Uint8Array.of(2)), /unknown version 2/);
  });

  it('side votes: strict indices, vote values and signature lengths', () => {
    const sig = new Uint8Array(65).fill(7);
    const entries = [
      { txIndex: 0, vote: SideVote.Yes, signature: sig },
      { txIndex: 3, vote: SideVote.No, signature: new Uint8Array(0) },
    ];
    assert.deepEqual(decodeSideVotes(encodeSideVotes(entries)), entries);
    assert.throws(() => decodeSideVotes(encodeSideVotes([entries[1]!, entries[0]!])), /strictly ascending/);
    assert.throws(() => decodeSideVotes(Uint8Array.of(0, 1, 0, 0, 3, 0)), /vote must be 1 \(yes\) or 2 \(no\)/);
    assert.throws(() => decodeSideVotes(Uint8Array.of(0, 1, 0, 0, 1, 4, 1, 2, 3, 4)), /signature must be 0 or 65 bytes/);
  });
});
