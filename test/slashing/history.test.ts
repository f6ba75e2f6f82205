/**
 * Evidence about offenses outside Delivery heights is judged against the set at the offense (issue
 * 19): double seal against the producers of the span covering the Bttc block, checkpoint
 * equivocation against the Delivery set at the height that approved a checkpoint for the range.
 * The history is the slashing module's own (trackHistory over the block's span/checkpoint
 * notices), read through the same check context the module builds for every validator.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testKey, type TestKey } from '../helpers/keys.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/util/bytes.ts';
import { checkEvidence } from '../../src/slashing/checks.ts';
import type { Evidence } from '../../src/slashing/evidence.ts';
import { DEFAULT_PENALTIES } from '../../src/slashing/penalty.ts';
import type { SlashingParams } from '../../src/slashing/params.ts';
import { sealHeader, recoverSignerUncached } from '../../src/bttc/engine/seal.ts';
import { decodeHeader, encodeHeader, headerHash } from '../../src/bttc/engine/header.ts';
import { BlockOutput } from '../../src/delivery/app/effects.ts';
import { SPAN_COMMITTED } from '../../src/delivery/modules/span/notices.ts';
import { CHECKPOINT_APPROVED } from '../../src/delivery/modules/checkpoint/notices.ts';
import { trackHistory } from '../../src/delivery/modules/slashing/module.ts';
import { emptySlashingState, type SlashingState } from '../../src/delivery/modules/slashing/state.ts';
import { checkContext } from '../../src/delivery/modules/slashing/txs.ts';
import { auditSlash } from '../../src/slashing/audit.ts';
import { makeValidator } from '../../src/protocol/validators/validator.ts';
import { ValidatorSet } from '../../src/protocol/validators/validator-set.ts';
import { spanToJson } from '../../src/protocol/span/span.ts';
import { genesisHeader } from '../bttc/helpers.ts';

const CHAIN = 'delivery-devnet';
const BOR = 199;
const A = testKey('slash-hist-a');
const B = testKey('slash-hist-b');
const C = testKey('slash-hist-c');
const UNBONDING = 1000;

const params: SlashingParams = { enabled: true, penalties: DEFAULT_PENALTIES, downtime: { window: 20, maxMissed: 10 }, challengeWindow: 5, unbondingHeights: UNBONDING };
const recoverSeal = (rlp: Uint8Array) => {
  const h = decodeHeader(rlp);
  return { number: h.number, hash: bytesToHex(headerHash(h)), signer: bytesToHex(recoverSignerUncached(h)) };
};

function span(id: number, startBlock: number, endBlock: number, producers: TestKey[]) {
  const vals = producers.map((k, i) => makeValidator({ id: i + 1, signer: k.addressHex, votingPower: 1 }));
  return spanToJson({ id, startBlock, endBlock, validatorSet: ValidatorSet.fromValidators(vals), selectedProducers: vals, bttcChainId: BOR });
}

/** Data of a checkpoint for [start, end]: abi(proposer, start, end, root, accountRoot, borChainId, epoch). */
function cp(start: number, end: number, root: number): Uint8Array {
  const w = (x: bigint): Uint8Array => hexToBytes('0x' + x.toString(16).padStart(64, '0'));
  return concatBytes(w(BigInt(A.addressHex)), w(BigInt(start)), w(BigInt(end)), w(BigInt(root)), w(0n), w(BigInt(BOR)), w(1n));
}

function cpSig(d: Uint8Array, k: TestKey): string {
  const s = signRsv(keccak256(concatBytes(Uint8Array.of(1), d)), k.secret);
  s[64]! += 27;
  return bytesToHex(s);
}

function equivocation(k: TestKey, start: number, end: number): Evidence {
  return {
    v: 1,
    offense: 'checkpoint-equivocation',
    signer: k.addressHex,
    dataA: bytesToHex(cp(start, end, 1)),
    sigA: cpSig(cp(start, end, 1), k),
    dataB: bytesToHex(cp(start, end, 2)),
    sigB: cpSig(cp(start, end, 2), k),
  };
}

function doubleSeal(k: TestKey, block: number): Evidence {
  const h = (salt: number) => bytesToHex(encodeHeader(sealHeader({ ...genesisHeader(1_000_000n + BigInt(salt)), number: BigInt(block) }, k.secret)));
  return { v: 1, offense: 'double-seal', headerA: h(1), headerB: h(2) };
}

/**
 * Delivery history: {A, B} until height 50, then {B, C} (A left, C joined). Spans: 0 = [0, 63] by
 * A and B (genesis), 1 = [64, 127] by B and C (committed at 40). A checkpoint for [0, 63] was
 * approved at height 30, one for [64, 127] at 60.
 */
function history(): SlashingState {
  const s = emptySlashingState();
  s.slashingSets.push({ from: 0, signers: [A.addressHex, B.addressHex].sort() }, { from: 51, signers: [B.addressHex, C.addressHex].sort() });
  const at = (height: number, fill: (fx: BlockOutput) => void) => {
    const fx = new BlockOutput();
    fill(fx);
    trackHistory(s, fx, height, UNBONDING);
  };
  at(0, (fx) => fx.notify(SPAN_COMMITTED, span(0, 0, 63, [A, B])));
  at(30, (fx) =>
    fx.notify(CHECKPOINT_APPROVED, {
      rootChainId: 1,
      buffer: {
        checkpoint: { proposer: A.addressHex, start: 0, end: 63, rootHash: '0x' + '11'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: BOR, epoch: 1 },
        signatures: [],
        time: 0,
        height: 30,
      },
    }),
  );
  at(40, (fx) => fx.notify(SPAN_COMMITTED, span(1, 64, 127, [B, C])));
  at(60, (fx) =>
    fx.notify(CHECKPOINT_APPROVED, {
      rootChainId: 1,
      buffer: {
        checkpoint: { proposer: B.addressHex, start: 64, end: 127, rootHash: '0x' + '22'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: BOR, epoch: 2 },
        signatures: [],
        time: 0,
        height: 60,
      },
    }),
  );
  return s;
}

function code(s: SlashingState, e: Evidence, height = 100): string {
  const d = checkEvidence(e, checkContext(s, CHAIN, height + 1, { params, recoverSeal }));
  return d.ok ? `ok@${d.height}` : d.code;
}

describe('double seal against the span producers at the Bttc block', () => {
  it('a producer of the covering span is slashable even after leaving the Delivery set; a non-producer is refused', () => {
    const s = history();
    // A produced span 0 and has left the Delivery set (height 51): still slashable for block 10.
    assert.equal(code(s, doubleSeal(A, 10)), 'ok@100');
    // C is in the current Delivery set but produced nothing in span 0.
    assert.equal(code(s, doubleSeal(C, 10)), 'not-in-set-at-height');
    // In span 1 it is the other way round.
    assert.equal(code(s, doubleSeal(C, 100)), 'ok@100');
    assert.equal(code(s, doubleSeal(A, 100)), 'not-in-set-at-height');
  });

  it('a block no committed span covers yet is future; a span dropped past the unbonding period is stale', () => {
    const s = history();
    assert.equal(code(s, doubleSeal(B, 128)), 'future');
    // Two later spans committed more than the unbonding period ago retire span 0.
    const fx = new BlockOutput();
    fx.notify(SPAN_COMMITTED, span(2, 128, 191, [B, C]));
    trackHistory(s, fx, 41, UNBONDING);
    trackHistory(s, new BlockOutput(), 41 + UNBONDING + 1, UNBONDING);
    assert.deepEqual(
      s.slashingSpans.map((x) => x.id),
      [1, 2],
    );
    assert.equal(code(s, doubleSeal(A, 10), 41 + UNBONDING + 1), 'stale');
    assert.equal(code(s, doubleSeal(B, 100), 41 + UNBONDING + 1), 'ok@1042');
  });
});

describe('checkpoint equivocation against the Delivery set at the approval height', () => {
  it('the signer must have been in the set when the range was approved, not now', () => {
    const s = history();
    // [0, 63] approved at 30: set {A, B}. A has left since: still slashable; C joined later: refused.
    assert.equal(code(s, equivocation(A, 0, 63)), 'ok@30');
    assert.equal(code(s, equivocation(C, 0, 63)), 'not-in-set-at-height');
    // [64, 127] approved at 60: set {B, C}.
    assert.equal(code(s, equivocation(C, 64, 127)), 'ok@60');
    assert.equal(code(s, equivocation(A, 64, 127)), 'not-in-set-at-height');
  });

  it('a range never approved is future (above the last) or stale (below it); old approvals are forgotten', () => {
    const s = history();
    assert.equal(code(s, equivocation(B, 128, 191)), 'future');
    assert.equal(code(s, equivocation(B, 0, 31)), 'stale');
    trackHistory(s, new BlockOutput(), 31 + UNBONDING, UNBONDING);
    assert.deepEqual(
      s.slashingCheckpoints.map((c) => c.start),
      [64],
    );
    // Past the unbonding period the approval is gone: stale, as the evidence's age is.
    assert.equal(code(s, equivocation(A, 0, 63), 31 + UNBONDING), 'stale');
  });
});

describe('audit slash with the span producers', () => {
  it('double seal: refused for a signer not among the given span producers; unchecked (and said so) without spans', () => {
    const base = { chainId: CHAIN, height: 100, validators: [A, B, C].map((k) => ({ signer: k.addressHex })) };
    const spans = [{ startBlock: 0, endBlock: 63, producers: [A.addressHex, B.addressHex] }];
    const refused = auditSlash(doubleSeal(C, 10), params, { ...base, spans }, recoverSeal);
    assert.deepEqual([refused.decision, refused.code], ['refused', 'not-in-set-at-height']);
    assert.equal(auditSlash(doubleSeal(A, 10), params, { ...base, spans }, recoverSeal).decision, 'slash');
    assert.equal(auditSlash(doubleSeal(A, 64), params, { ...base, spans }, recoverSeal).code, 'future');
    const open = auditSlash(doubleSeal(C, 10), params, base, recoverSeal);
    assert.equal(open.decision, 'slash');
    assert.ok(open.notChecked.some((n) => n.startsWith('span producer membership')));
  });
});
