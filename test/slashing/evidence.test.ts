/**
 * Evidence checks (issue 19), per offense: forged signature, wrong height (future / not in the set),
 * one vote seen twice is not a double sign, evidence older than the unbonding period, replay; the
 * canonical encoding (one evidence, one id); downtime counted from commit signatures and voided by
 * presence proofs; double seal over real Bttc headers. Properties with fast-check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testKey, type TestKey } from '../helpers/keys.ts';
import { encodeVote, voteDigest } from '../../src/delivery/consensus/codec.ts';
import type { Vote } from '../../src/delivery/consensus/types.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/util/bytes.ts';
import { checkEvidence, presenceProof, type CheckContext } from '../../src/slashing/checks.ts';
import { decodeEvidence, encodeEvidence, evidenceHash, parseEvidence, type DoubleSignEvidence, type DowntimeEvidence, type Evidence } from '../../src/slashing/evidence.ts';
import { amountsFor, DEFAULT_PENALTIES, escalate } from '../../src/slashing/penalty.ts';
import { decodeSlashBatch, encodeSlashBatch } from '../../src/slashing/batch.ts';
import { sealHeader, recoverSignerUncached } from '../../src/bttc/engine/seal.ts';
import { headerHash } from '../../src/bttc/engine/header.ts';
import { decodeHeader, encodeHeader } from '../../src/bttc/engine/header.ts';

const CHAIN = 'delivery-devnet';
const A = testKey('slash-ev-a');
const B = testKey('slash-ev-b');
const OUTSIDER = testKey('slash-ev-outsider');
const SET = new Set([A.addressHex, B.addressHex]);

function vote(k: TestKey, height: number, round: number, valueByte: number | null, type: 2 | 3 = 3, signer: TestKey = k): string {
  const v: Vote = {
    type,
    height,
    round,
    valueId: valueByte === null ? null : new Uint8Array(32).fill(valueByte),
    validator: hexToBytes(k.addressHex),
    extension: new Uint8Array(0),
    signature: new Uint8Array(65),
  };
  v.signature = signRsv(voteDigest(CHAIN, v), signer.secret);
  return bytesToHex(encodeVote(v));
}

function ctx(over: Partial<CheckContext> = {}): CheckContext {
  // Span producers and checkpoint approval heights: test/slashing/history.test.ts.
  return { chainId: CHAIN, height: 100, maxAgeHeights: 50, validatorsAt: () => SET, seen: () => false, producersAt: () => ({ producers: SET }), checkpointHeight: () => 90, ...over };
}

function ds(k: TestKey, h: number, a: number | null, b: number | null, opts: { signer?: TestKey; round?: number } = {}): DoubleSignEvidence {
  return { v: 1, offense: 'double-sign', chainId: CHAIN, voteA: vote(k, h, opts.round ?? 0, a), voteB: vote(k, h, opts.round ?? 0, b, 3, opts.signer ?? k) };
}

function code(e: Evidence, c = ctx()): string {
  const d = checkEvidence(e, c);
  return d.ok ? 'ok' : d.code;
}

describe('double sign', () => {
  it('two precommits for different values at one height/round is a double sign by that validator', () => {
    const d = checkEvidence(ds(A, 90, 1, 2), ctx());
    assert.ok(d.ok);
    assert.equal(d.validator, A.addressHex);
    assert.equal(d.height, 90);
    assert.equal(code(ds(A, 90, 1, null)), 'ok', 'a value and nil conflict');
  });
  it('forged: a vote signed by another key', () => assert.equal(code(ds(A, 90, 1, 2, { signer: B })), 'forged'));
  it('forged: evidence for another chain', () => assert.equal(code({ ...ds(A, 90, 1, 2), chainId: 'other' }), 'forged'));
  it('the same vote twice is not a double sign', () => assert.equal(code(ds(A, 90, 1, 1)), 'not-conflicting'));
  it('votes at different rounds or types are not a double sign', () => {
    assert.equal(code({ ...ds(A, 90, 1, 2), voteB: vote(A, 90, 1, 2) }), 'not-conflicting');
    assert.equal(code({ ...ds(A, 90, 1, 2), voteB: vote(A, 90, 0, 2, 2) }), 'not-conflicting');
    assert.equal(code({ ...ds(A, 90, 1, 2), voteB: vote(B, 90, 0, 2) }), 'not-conflicting');
  });
  it('wrong height: in the future, or a validator not in the set at that height', () => {
    assert.equal(code(ds(A, 101, 1, 2)), 'future');
    assert.equal(code(ds(OUTSIDER, 90, 1, 2)), 'not-in-set-at-height');
    assert.equal(code(ds(A, 90, 1, 2), ctx({ validatorsAt: (h) => (h === 90 ? new Set([B.addressHex]) : SET) })), 'not-in-set-at-height');
  });
  it('stale: older than the unbonding period (boundary exact)', () => {
    assert.equal(code(ds(A, 50, 1, 2)), 'ok');
    assert.equal(code(ds(A, 49, 1, 2)), 'stale');
  });
  it('replay: an id already seen is refused', () => {
    const e = ds(A, 90, 1, 2);
    const id = evidenceHash(e);
    assert.equal(code(e, ctx({ seen: (x) => x === id })), 'replayed');
  });
  it('malformed votes are refused with a reason', () => assert.equal(code({ ...ds(A, 90, 1, 2), voteA: '0x00' }), 'malformed'));

  it('property: a conflict is accepted iff the values differ, and any tampered signature byte is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 100 }),
        fc.integer({ min: 0, max: 3 }),
        fc.option(fc.integer({ min: 0, max: 255 })),
        fc.option(fc.integer({ min: 0, max: 255 })),
        fc.integer({ min: 0, max: 64 }),
        (h, r, a, b, flip) => {
          const e = ds(A, h, a, b, { round: r });
          assert.equal(code(e), a === b ? 'not-conflicting' : 'ok');
          if (a !== b) {
            const bytes = hexToBytes(e.voteB);
            // The signature is the vote encoding's last 65 bytes.
            bytes[bytes.length - 65 + flip]! ^= 1;
            const c = code({ ...e, voteB: bytesToHex(bytes) });
            assert.ok(c === 'forged' || c === 'malformed', c);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('canonical encoding and id', () => {
  it('round-trips; the id is keccak256 of the canonical bytes; non-canonical or unknown fields are refused naming the field', () => {
    const e = ds(A, 90, 1, 2);
    const bytes = encodeEvidence(e);
    assert.deepEqual(decodeEvidence(bytes), e);
    assert.equal(evidenceHash(e), bytesToHex(keccak256(bytes)));
    const spaced = new TextEncoder().encode(JSON.stringify(e, null, 1));
    assert.throws(() => decodeEvidence(spaced), /canonical/);
    assert.throws(() => parseEvidence({ ...e, extra: 1 }), /evidence\.extra: unknown field/);
    assert.throws(() => parseEvidence({ ...e, v: 2 }), /evidence\.v/);
    assert.throws(() => parseEvidence({ ...e, voteA: '0xAB' }), /evidence\.voteA/);
    assert.throws(() => parseEvidence({ v: 1, offense: 'downtime', validator: A.addressHex, toHeight: '010', window: '10' }), /evidence\.toHeight/);
  });
  it('property: different evidence, different id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (x, y) => {
        const mk = (n: number): DowntimeEvidence => ({ v: 1, offense: 'downtime', validator: A.addressHex, toHeight: String(n), window: '10' });
        assert.equal(evidenceHash(mk(x)) === evidenceHash(mk(y)), x === y);
      }),
    );
  });
});

describe('downtime (counted from commit signatures)', () => {
  // A signed every height except 81..88 (8 of the window 81..90 missed).
  const signedAt = (h: number): ReadonlySet<string> => (h >= 81 && h <= 88 ? new Set([B.addressHex]) : SET);
  const dctx = ctx({ signedAt, downtime: { window: 10, maxMissed: 5 } });
  const ev: DowntimeEvidence = { v: 1, offense: 'downtime', validator: A.addressHex, toHeight: '90', window: '10' };
  it('more than X of the last N missed is an offense; at most X is refused', () => {
    assert.equal(code(ev, dctx), 'ok');
    assert.equal(code({ ...ev, validator: B.addressHex }, dctx), 'not-enough-missed');
    assert.equal(code({ ...ev, toHeight: '95' }, dctx), 'not-enough-missed', '81..86 only: window 86..95 misses 3');
  });
  it('wrong height: not yet committed, missing commits, a window other than the configured one', () => {
    assert.equal(code({ ...ev, toHeight: '100' }, dctx), 'future');
    assert.equal(code(ev, { ...dctx, signedAt: (h) => (h === 85 ? undefined : signedAt(h)) }), 'malformed');
    assert.equal(code({ ...ev, window: '9' }, dctx), 'malformed');
    assert.equal(code({ ...ev, toHeight: '40' }, { ...dctx, signedAt: () => new Set() }), 'stale');
  });
  it('presence proof: valid precommits by the accused count as present; forged ones are rejected', () => {
    const proofs = [81, 82, 83].map((h) => vote(A, h, 0, 7));
    assert.deepEqual(presenceProof(ev, CHAIN, proofs), [81, 82, 83]);
    assert.match(String(presenceProof(ev, CHAIN, [vote(A, 81, 0, 7, 3, B)])), /not signed by/);
    assert.match(String(presenceProof(ev, CHAIN, [vote(A, 81, 0, null)])), /nil precommit/);
    assert.match(String(presenceProof(ev, CHAIN, [vote(A, 70, 0, 7)])), /outside the window/);
  });
});

describe('checkpoint equivocation and double seal', () => {
  const cp = (root: number, end = 255n): Uint8Array => {
    const w = (x: bigint): Uint8Array => hexToBytes('0x' + x.toString(16).padStart(64, '0'));
    return concatBytes(w(BigInt(A.addressHex)), w(0n), w(end), w(BigInt(root)), w(0n), w(199n), w(1n));
  };
  const sig = (d: Uint8Array, k: TestKey): string => {
    const s = signRsv(keccak256(concatBytes(Uint8Array.of(1), d)), k.secret);
    s[64]! += 27;
    return bytesToHex(s);
  };
  const eq = (rootB: number, endB = 255n, signerB = A): Evidence => ({
    v: 1,
    offense: 'checkpoint-equivocation',
    signer: A.addressHex,
    dataA: bytesToHex(cp(1)),
    sigA: sig(cp(1), A),
    dataB: bytesToHex(cp(rootB, endB)),
    sigB: sig(cp(rootB, endB), signerB),
  });
  it('two different checkpoints for one range signed by one validator', () => {
    assert.equal(code(eq(2)), 'ok');
    assert.equal(code(eq(1)), 'not-conflicting');
    assert.equal(code(eq(2, 300n)), 'not-conflicting');
    assert.equal(code(eq(2, 255n, B)), 'forged');
  });

  it('double seal: two different real Bttc headers at one number sealed by one signer', async () => {
    const { genesisHeader } = await import('../bttc/helpers.ts');
    const testHeader = (n: bigint, salt: number) => ({ ...genesisHeader(1_000_000n + BigInt(salt)), number: n });
    const recoverSeal = (rlp: Uint8Array) => {
      const h = decodeHeader(rlp);
      return { number: h.number, hash: bytesToHex(headerHash(h)), signer: bytesToHex(recoverSignerUncached(h)) };
    };
    const c = ctx({ recoverSeal });
    const h1 = bytesToHex(encodeHeader(sealHeader(testHeader(10n, 1), A.secret)));
    const h2 = bytesToHex(encodeHeader(sealHeader(testHeader(10n, 2), A.secret)));
    const h3 = bytesToHex(encodeHeader(sealHeader(testHeader(11n, 2), A.secret)));
    const hb = bytesToHex(encodeHeader(sealHeader(testHeader(10n, 2), B.secret)));
    assert.equal(code({ v: 1, offense: 'double-seal', headerA: h1, headerB: h2 }, c), 'ok');
    assert.equal(code({ v: 1, offense: 'double-seal', headerA: h1, headerB: h1 }, c), 'not-conflicting');
    assert.equal(code({ v: 1, offense: 'double-seal', headerA: h1, headerB: h3 }, c), 'not-conflicting');
    assert.equal(code({ v: 1, offense: 'double-seal', headerA: h1, headerB: hb }, c), 'not-conflicting');
    const forged = hexToBytes(h2);
    forged[forged.length - 2]! ^= 0xff;
    const f = code({ v: 1, offense: 'double-seal', headerA: h1, headerB: bytesToHex(forged) }, c);
    assert.ok(f === 'forged' || f === 'not-conflicting', f);
  });
});

describe('penalties and the batch payload', () => {
  it('escalation doubles cuts and jail per prior offense, capped at 100%', () => {
    assert.deepEqual(escalate(DEFAULT_PENALTIES['double-sign'], 0), DEFAULT_PENALTIES['double-sign']);
    assert.deepEqual(escalate(DEFAULT_PENALTIES.downtime, 2), { selfBps: 400, delegatorBps: 0, jailEpochs: 4 });
    assert.equal(escalate(DEFAULT_PENALTIES['double-sign'], 10).selfBps, 10_000);
  });
  it('property: per-staker amounts never exceed the cut and delegators lose nothing unless the offense shares', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 24n }), { maxLength: 5 }),
        fc.constantFrom('double-sign', 'downtime', 'double-seal'),
        (own, dels, offense) => {
          const delegators = Object.fromEntries(dels.map((d, i) => [`d${i}`, d]));
          const r = DEFAULT_PENALTIES[offense as 'downtime'];
          const a = amountsFor(r, { partners: { op: own }, delegators });
          assert.equal(a.perStaker.op, (own * BigInt(r.selfBps)) / 10_000n);
          const sum = dels.reduce((x, y) => x + y, 0n);
          const lost = dels.reduce((x, _, i) => x + a.perStaker[`d${i}`]!, 0n);
          if (r.delegatorBps === 0) assert.equal(lost, 0n);
          assert.ok(lost >= a.delegators && lost <= a.delegators + BigInt(dels.length), 'rounding favours nobody by more than 1 wei each');
          assert.ok(a.delegators <= sum);
        },
      ),
    );
  });
  it('the batch payload round-trips', () => {
    const s = [{ validatorId: 3n, selfBps: 500, delegatorBps: 500, jailEpochs: 4, evidenceHash: '0x' + 'ab'.repeat(32) }];
    assert.deepEqual(decodeSlashBatch(encodeSlashBatch(7n, A.addressHex, s)), { nonce: 7n, proposer: A.addressHex, slashes: s });
    assert.throws(() => encodeSlashBatch(1n, A.addressHex, []), /at least one/);
  });
});
