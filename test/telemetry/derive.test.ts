/**
 * Chain-derived telemetry: a hand-computed scenario (every number worked out on paper below), the
 * Bttc slot rule, and the property that the incremental path (collector + LevelDB, closed and
 * reopened at a random height) keeps exactly what a from-scratch fold over the same blocks gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LevelStore } from '../../src/db/level.ts';
import { encodeSideVotes } from '../../src/delivery/app/codec.ts';
import { SideVote, type DeliveryBlock } from '../../src/delivery/app/types.ts';
import { CHECKPOINT_TX, type CheckpointTx } from '../../src/delivery/modules/checkpoint/txs.ts';
import { applySlot, emptyBttcTotals, slotRecord } from '../../src/telemetry/chain/bttc.ts';
import { foldRecords, heightFacts, recordsFromFacts, type DecidingSet } from '../../src/telemetry/chain/delivery.ts';
import { TelemetryCollector } from '../../src/telemetry/collector.ts';
import { scoreValidator } from '../../src/telemetry/scorecard.ts';
import { TelemetryStore } from '../../src/telemetry/store.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';

const V = ['0x' + '0a'.repeat(20), '0x' + '0b'.repeat(20), '0x' + '0c'.repeat(20), '0x' + '0d'.repeat(20)];
const [A, B, C, D] = V as [string, string, string, string];

/** Proposer of (h, r) = V[(h + r) mod 4]: simple enough to work the expectation out by hand. */
function setAt(h: number): DecidingSet {
  return {
    validators: V.map((v) => ({ address: hexToBytes(v), publicKey: new Uint8Array(65), votingPower: 1 })),
    proposer: (r: number) => ({ address: hexToBytes(V[(h + r) % 4]!), publicKey: new Uint8Array(65), votingPower: 1 }),
  };
}

const SIG = new Uint8Array(65).fill(7);

function checkpointTx(start: number, end: number): CheckpointTx {
  return { type: CHECKPOINT_TX, rootChainId: 1, checkpoint: { proposer: B, start, end, rootHash: '0x' + '11'.repeat(32), accountRootHash: '0x' + '22'.repeat(32), borChainId: 199, epoch: 1 } };
}

/**
 * Block h carries the precommits of h − 1: `signers[h − 1]` in round `rounds[h − 1]`; `yes[h]` are the
 * validators whose precommit (carried in block h) votes Yes on tx 0 of block h − 2.
 */
function blocks(n: number, signers: Record<number, string[]>, rounds: Record<number, number>, cps: Record<number, CheckpointTx>, yes: Record<number, string[]>): DeliveryBlock[] {
  const out: DeliveryBlock[] = [];
  for (let h = 1; h <= n; h++) {
    const votes = (h === 1 ? [] : (signers[h - 1] ?? V)).map((v) => ({
      validator: hexToBytes(v),
      extension: yes[h]?.includes(v) ? encodeSideVotes([{ txIndex: 0, vote: SideVote.Yes, signature: SIG }]) : new Uint8Array(0),
      signature: SIG,
    }));
    out.push({ height: h, time: 2000 * h, lastCommit: { round: h === 1 ? 0 : (rounds[h - 1] ?? 0), votes }, txs: cps[h] ? [cps[h]!] : [] });
  }
  return out;
}

// The scenario: D is down for heights 2–3 (height 3 is decided in round 1: D's round-0 turn is missed),
// C misses height 6, height 7 is decided in round 2 (D's turn again), and block 5's checkpoint gets
// the Yes signatures of A, B and D (carried in block 7, the precommits of height 6).
const SCENARIO = blocks(9, { 2: [A, B, C], 3: [A, B, C], 6: [A, B, D] }, { 3: 1, 7: 2 }, { 5: checkpointTx(0, 255) }, { 7: [A, B, D] });

test('hand-computed scorecard numbers on a seeded scenario', () => {
  const facts = SCENARIO.map((b) => heightFacts(b, setAt(b.height)));
  const records = recordsFromFacts(facts);
  assert.equal(records.length, 8, 'block 9 finishes height 8');
  const t = foldRecords(records);
  assert.deepEqual([t.fromHeight, t.toHeight, t.heights], [1, 8, 8]);
  const a = t.validators[A]!;
  const c = t.validators[C]!;
  const d = t.validators[D]!;
  // Proposers: h1 B, h2 C, h3 (round 1) A, h4 A, h5 B, h6 C, h7 (round 2) B, h8 A.
  assert.deepEqual([a.commitsSigned, a.commitsMissed, a.proposalsMade, a.proposalsMissed, a.checkpointSigsIncluded, a.signedWithinMs], [8, 0, 3, 0, 1, 16000]);
  assert.deepEqual([t.validators[B]!.proposalsMade, t.validators[B]!.checkpointSigsIncluded], [3, 1]);
  assert.deepEqual([c.commitsSigned, c.commitsMissed, c.proposalsMade, c.checkpointSigsMissing, c.outages], [7, 1, 2, 1, 1]);
  assert.deepEqual(c.lastRecovery, { fromHeight: 6, toHeight: 7, heights: 1, ms: 2000 });
  assert.deepEqual([d.commitsSigned, d.commitsMissed, d.proposalsMade, d.proposalsMissed, d.checkpointSigsIncluded, d.outages, d.maxRecoveryHeights], [6, 2, 0, 2, 1, 1, 2]);
  assert.deepEqual(d.lastRecovery, { fromHeight: 2, toHeight: 4, heights: 2, ms: 4000 });
  assert.equal(d.openOutage, null);
  assert.deepEqual(records[4]!.checkpoints, [], 'the checkpoint of block 5 is tallied with height 6');
  assert.deepEqual(
    records[5]!.checkpoints.map((x) => [x.height, x.start, x.end, x.signed, x.missing]),
    [[5, 0, 255, [A, B, D], [C]]],
  );
  // Policy v1 (basis points): 0.5·commits + 0.2·proposals + 0.2·checkpoint sigs + 0.1·slots (no slots: rate 1).
  assert.deepEqual([scoreValidator(a, undefined).scoreBps, scoreValidator(a, undefined).grade], [10000, 'A']);
  assert.deepEqual(scoreValidator(d, undefined).ratesBps, { commits: 7500, proposals: 0, checkpointSigs: 10000, slots: 10000 });
  assert.deepEqual([scoreValidator(d, undefined).scoreBps, scoreValidator(d, undefined).grade], [6750, 'D']); // 0.5·6/8 + 0.2·0/2 + 0.2·1 + 0.1
  assert.equal(scoreValidator(c, undefined).scoreBps, 7375); // 0.5·7/8 + 0.2·2/2 + 0.2·0/1 + 0.1
  assert.equal(scoreValidator(d, { sealedInTurn: 1, sealedAsBackup: 0, slotsMissed: 3 }).scoreBps, 6000); // slots 1/4
});

test('an outage still going on at the last height is open, and flagged by the scorecard', () => {
  const t = foldRecords(recordsFromFacts(blocks(6, { 4: [A, B, C], 5: [A, B, C] }, {}, {}, {}).map((b) => heightFacts(b, setAt(b.height)))));
  const d = t.validators[D]!;
  assert.deepEqual([d.commitsMissed, d.outages, d.openOutage, d.lastRecovery], [2, 1, { fromHeight: 4, fromTime: 8000 }, null]);
  assert.deepEqual(scoreValidator(d, undefined).flags, ['down since height 4']);
});

test('Bttc slots: difficulty N is in turn; a backup seal is the in-turn producer missing its slot', () => {
  const producers = [D, A, C, B]; // sorted inside: A B C D
  let t = emptyBttcTotals();
  // block 1: A seals at difficulty 4 (in turn). block 2: C seals at difficulty 3 (succession 1: B's turn).
  // block 3: A seals at difficulty 2 (succession 2: C's turn). block 4: an outsider seals.
  t = applySlot(t, slotRecord({ number: 1, time: 2, difficulty: 4, sealer: A, producers }));
  t = applySlot(t, slotRecord({ number: 2, time: 4, difficulty: 3, sealer: C, producers }));
  t = applySlot(t, slotRecord({ number: 3, time: 8, difficulty: 2, sealer: A, producers }));
  t = applySlot(t, slotRecord({ number: 4, time: 10, difficulty: 4, sealer: '0x' + 'ee'.repeat(20), producers }));
  assert.deepEqual(t.producers[A], { sealedInTurn: 1, sealedAsBackup: 1, slotsMissed: 0 });
  assert.deepEqual(t.producers[B], { sealedInTurn: 0, sealedAsBackup: 0, slotsMissed: 1 });
  assert.deepEqual(t.producers[C], { sealedInTurn: 0, sealedAsBackup: 1, slotsMissed: 1 });
  assert.equal(t.unattributed, 1);
  assert.throws(() => applySlot(t, slotRecord({ number: 6, time: 1, difficulty: 4, sealer: A, producers })), /block 6 after 4/);
});

test('property: the incremental collector (LevelDB, reopened mid-way) equals the fold from scratch', async (t) => {
  const dir = tempDir(t, 'telemetry');
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 3, max: 40 }),
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.subarray(V, { minLength: 0, maxLength: 4 })), { maxLength: 30 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 9 })), { maxLength: 6 }),
      fc.integer({ min: 1, max: 40 }),
      async (n, win, misses, rounds, reopenAt) => {
        const signers: Record<number, string[]> = {};
        for (const [h, s] of misses) signers[h] = V.filter((v) => !s.includes(v));
        const rs: Record<number, number> = Object.fromEntries(rounds);
        const cps: Record<number, CheckpointTx> = { 2: checkpointTx(0, 9) };
        const chain = blocks(n, signers, rs, cps, { 4: [A, C] });
        const path = `${dir}/run-${run++}`;
        let db = await LevelStore.open(path);
        let col = new TelemetryCollector({ windowHeights: win }, { store: new TelemetryStore(db) });
        await col.open(null);
        for (const b of chain) {
          await col.onCommitted(b, setAt(b.height));
          if (b.height === reopenAt) {
            await db.close();
            db = await LevelStore.open(path);
            col = new TelemetryCollector({ windowHeights: win }, { store: new TelemetryStore(db) });
            // The last block is handed in again, as a node does after a crash: it must not count twice.
            await col.open({ block: b, set: setAt(b.height) });
          }
        }
        const records = recordsFromFacts(chain.map((b) => heightFacts(b, setAt(b.height))));
        assert.deepEqual(col.cumulative(), foldRecords(records));
        assert.deepEqual(col.windowTotals(), foldRecords(records.slice(-win)));
        const stored = (await new TelemetryStore(db).all()).flatMap((e) => (e.record ? [e.record] : []));
        assert.deepEqual(stored, records);
        await db.close();
      },
    ),
    { numRuns: 40, seed: 17 },
  );
});

test('a crash between the app commit and telemetry: the block is taken in on open, once', async (t) => {
  const dir = tempDir(t, 'telemetry-gap');
  const chain = blocks(6, { 3: [A, B] }, {}, {}, {});
  const db = await LevelStore.open(dir);
  t.after(() => db.close());
  const col = new TelemetryCollector({ windowHeights: 10 }, { store: new TelemetryStore(db) });
  await col.open(null);
  for (const b of chain.slice(0, 5)) await col.onCommitted(b, setAt(b.height));
  // Block 6 committed in the app, then the process died: the reopened collector reads it from the app.
  const again = new TelemetryCollector({ windowHeights: 10 }, { store: new TelemetryStore(db) });
  await again.open({ block: chain[5]!, set: setAt(6) });
  assert.deepEqual(again.cumulative(), foldRecords(recordsFromFacts(chain.map((b) => heightFacts(b, setAt(b.height))))));
  assert.equal(again.cumulative().validators[C]!.commitsMissed, 1);
});
