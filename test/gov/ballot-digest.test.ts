/**
 * The ballot digest (src/gov/ballot.ts, written out for speed) against ethers' EIP-712 encoder over
 * random ballots: any proposal id, support, voter, nonce up to 2^256 − 1, empty and non-ASCII reasons.
 * (test/contracts/governor.test.ts pins one ballot against the Governor's own hashBallot too.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ballotDigest, ballotDigestBatch, BallotError, domainSeparator, type Ballot, type Support } from '../../src/gov/ballot.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { ethersBallotHash } from '../helpers/ballot-eip712.ts';

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b));

test('ballotDigest equals ethers TypedDataEncoder.hash for random ballots and domains', () => {
  fc.assert(
    fc.property(
      hex(32),
      fc.integer({ min: 0, max: 3 }),
      hex(20),
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.constant('too risky ✓')),
      fc.bigInt({ min: 1n, max: 1n << 64n }),
      hex(20),
      (proposalId, support, voter, nonce, reason, chainId, governor) => {
        const b: Ballot = { proposalId, support: support as Support, voter, nonce, reason };
        const ours = bytesToHex(ballotDigest(b, domainSeparator({ chainId, governor })));
        const theirs = ethersBallotHash({ chainId, governor }, { ...b });
        assert.equal(ours, theirs);
      },
    ),
    { numRuns: 300 },
  );
});

test('ballotDigest refuses a proposal id or voter that is not hex of the right length', () => {
  const ok: Ballot = { proposalId: `0x${'12'.repeat(32)}`, support: 1, voter: `0x${'ab'.repeat(20)}`, nonce: 1n, reason: '' };
  const sep = domainSeparator({ chainId: 2n, governor: `0x${'42'.repeat(20)}` });
  assert.throws(() => ballotDigest({ ...ok, proposalId: `0x${'12'.repeat(31)}zz` }, sep), BallotError);
  assert.throws(() => ballotDigest({ ...ok, proposalId: `0x${'12'.repeat(33)}` }, sep), BallotError);
  assert.throws(() => ballotDigest({ ...ok, voter: `0x${'ab'.repeat(19)}` }, sep), BallotError);
  assert.throws(() => ballotDigest({ ...ok, voter: `0x${'ab'.repeat(19)}g0` }, sep), BallotError);
});

test('ballotDigestBatch equals ethers TypedDataEncoder.hash for every ballot of a random batch', () => {
  const ballot = fc.record({
    proposalId: hex(32),
    support: fc.integer({ min: 0, max: 3 }).map((x) => x as Support),
    voter: hex(20),
    nonce: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
    reason: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })),
  });
  fc.assert(
    fc.property(fc.array(ballot, { minLength: 0, maxLength: 20 }), hex(20), (ballots: Ballot[], governor) => {
      const domain = { chainId: 199n, governor };
      const batch = ballotDigestBatch(ballots, domainSeparator(domain));
      assert.equal(batch.length, 32 * ballots.length);
      ballots.forEach((b, i) => assert.equal(bytesToHex(batch.subarray(32 * i, 32 * i + 32)), ethersBallotHash({ chainId: 199n, governor }, { ...b }), `ballot ${i}`));
    }),
    { numRuns: 100 },
  );
});
