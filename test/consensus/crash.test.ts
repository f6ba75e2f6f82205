/**
 * Crash and restart from the write-ahead log: the restarted validator resumes its round, keeps its
 * lock, re-sends exactly what it signed before, and refuses to sign anything different for a
 * height/round/step it already signed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SingleNodeHarness } from '../../src/delivery/consensus/sim/scripted.ts';
import { FileWal, MemoryWal, MemoryWalDisk } from '../../src/delivery/consensus/wal.ts';
import { valueIdOf } from '../../src/delivery/consensus/codec.ts';
import { ConsensusState, RoundStep } from '../../src/delivery/consensus/state.ts';
import { DoubleSignError } from '../../src/delivery/consensus/signer.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { SIM_TIMEOUTS } from '../../src/delivery/consensus/sim/cluster.ts';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { cluster, evidenceAgainst, reach } from './sim-helpers.ts';
import { tempDir } from '../helpers/tmp.ts';
import { sleep, tick } from '../helpers/until.ts';

const PV = MsgType.Prevote;
const PC = MsgType.Precommit;

/** A second engine for the same validator over the same WAL and application: the process after a restart. */
function restarted(h: SingleNodeHarness, wal: FileWal | MemoryWal): ConsensusState {
  return new ConsensusState(
    { chainId: h.chainId, secretKey: h.keys[h.self]!, startHeight: h.app.lastHeight + 1, timeouts: SIM_TIMEOUTS, gossipIntervalMs: 1_000_000 },
    { app: h.app, transport: h.transport, clock: h.clock, verifier: new InlineVerifier(), wal, evidence: h.evidence },
  );
}

test('file WAL: crash after locking and precommitting; the restarted validator keeps its lock and will not double-sign', async (t) => {
  const path = join(tempDir(t, 'cs-wal'), 'consensus.wal');
  // Pick a seed where the engine proposes neither round 0 nor round 1 of height 1.
  let seed = 1;
  for (; ; seed++) {
    const p = new SingleNodeHarness({ validators: 4, seed });
    if (p.proposerIndex(1, 1) !== p.self) break;
  }
  const h = new SingleNodeHarness({ validators: 4, seed, wal: await FileWal.open(path) });
  await h.state.start();
  await h.settle();
  const p0 = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p0);
  const id = valueIdOf(v);
  const [a, b] = h.peers().filter((i) => i !== p0);
  await h.deliver(h.proposal(p0, 1, 0, v), h.vote(p0, PV, 1, 0, id), h.vote(a!, PV, 1, 0, id));
  assert.equal(h.state.step, RoundStep.Precommit);
  const sentBefore = h.transport.sent.length;
  const before = h.transport
    .messages()
    .filter((m) => m.kind === 'vote')
    .map((m) => (m.kind === 'vote' ? bytesToHex(m.vote.signature) : ''));
  assert.equal(before.length, 2, 'prevote and precommit sent');

  // Crash: the object is dropped without any shutdown; only the file remains.
  h.state.abandon();
  const wal2 = await FileWal.open(path);
  const s2 = restarted(h, wal2);
  h.state = s2;
  await s2.start();
  await h.settle();
  await sleep(20);
  await s2.whenIdle();
  assert.equal(s2.height, 1);
  assert.equal(s2.round, 0);
  assert.equal(s2.step, RoundStep.Precommit, 'resumed at the step it had reached');
  assert.equal(s2.lockedRound, 0, 'lock restored from the WAL');
  assert.ok(equalBytes(s2.lockedValue!, v));
  const resent = h.transport.sent.slice(sentBefore).flatMap((s) => (s.to === null ? [s.data] : []));
  assert.ok(resent.length > 0, 'own messages re-gossiped after the restart');
  const resentSigs = h.transport
    .messages()
    .slice(-2)
    .map((m) => (m.kind === 'vote' ? bytesToHex(m.vote.signature) : ''));
  assert.deepEqual(resentSigs.sort(), [...before].sort(), 're-sent byte for byte, not re-signed');

  // Try to make it double-sign: a different prevote and precommit for round 0.
  await assert.rejects(s2.signer!.signVote({ type: PV, height: 1, round: 0, valueId: null }), DoubleSignError);
  await assert.rejects(s2.signer!.signVote({ type: PC, height: 1, round: 0, valueId: null }), DoubleSignError);
  await assert.rejects(s2.signer!.signVote({ type: PC, height: 1, round: 0, valueId: valueIdOf(Uint8Array.of(1)) }), DoubleSignError);
  // Through the protocol: timeouts for round 0 must not make it vote nil now.
  const nVotes = () => h.transport.messages().filter((m) => m.kind === 'vote' && m.vote.round === 0 && m.vote.valueId === null).length;
  await h.deliver(h.vote(a!, PC, 1, 0, null), h.vote(b!, PC, 1, 0, null));
  await h.advance(SIM_TIMEOUTS.precommit);
  assert.equal(nVotes(), 0, 'no nil vote for round 0 after the restart');
  // Round 1 brings a different proposal: locked on v, it prevotes nil (the lock outlived the crash).
  assert.equal(s2.round, 1);
  const p1 = h.proposerIndex(1, 1);
  const w = h.value(1, 1, p1);
  await h.deliver(h.proposal(p1, 1, 1, w));
  await s2.whenIdle();
  const pv1 = h.transport.messages().filter((m) => m.kind === 'vote' && m.vote.type === PV && m.vote.round === 1);
  assert.equal(pv1.length, 1);
  assert.equal(pv1[0]!.kind === 'vote' && pv1[0]!.vote.valueId, null);
  assert.equal(s2.stats.doubleSignRefused, 0, 'the protocol itself never asked for a conflicting signature');
  await s2.stop();
  await wal2.close();
});

test('crash during the WAL write: the vote was never sent, the torn record is cut, and it is signed once after restart', async () => {
  const disk = new MemoryWalDisk();
  const h = new SingleNodeHarness({ validators: 4, seed: 2, wal: new MemoryWal(disk) });
  await h.state.start();
  await h.settle();
  const p0 = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p0);
  disk.tearNextWrite = true;
  h.inject(h.proposal(p0, 1, 0, v));
  await tick();
  await tick();
  assert.equal(h.transport.messages().filter((m) => m.kind === 'vote').length, 0, 'nothing sent before the record is durable');
  h.state.abandon();
  const s2 = restarted(h, new MemoryWal(disk));
  h.state = s2;
  await s2.start();
  await h.settle();
  await s2.whenIdle();
  assert.equal(s2.step, RoundStep.Propose, 'no vote survived: back at the propose step');
  h.inject(h.proposal(p0, 1, 0, v));
  await tick();
  await s2.whenIdle();
  const pv = h.transport.messages().filter((m) => m.kind === 'vote' && m.vote.type === PV);
  assert.equal(pv.length, 1);
  assert.ok(pv[0]!.kind === 'vote' && equalBytes(pv[0]!.vote.valueId!, valueIdOf(v)));
  await s2.stop();
});

for (const [n, seeds] of [
  [4, [1, 2, 3]],
  [7, [1, 2]],
] as const) {
  test(`${n} validators: a validator crashed at random points and restarted from its WAL never equivocates, and catches up`, async () => {
    for (const seed of seeds) {
      const c = await cluster({ validators: n, seed, network: { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 } });
      const victim = 1 + (seed % (n - 1));
      let midHeight = 0;
      for (let cycle = 0; cycle < 6; cycle++) {
        await c.runFor(c.prng.int(50, 1500));
        c.crash(victim);
        await c.runFor(c.prng.int(0, 1500));
        await c.restart(victim);
        await c.settle();
        if (c.nodes[victim]!.state!.stats.restoredFromWal > 0) midHeight++;
      }
      assert.ok(midHeight > 0, 'at least one crash hit a height the validator had already voted in');
      await reach(c, Math.max(...c.nodes.map((x) => x.app.lastHeight)) + 2, 60_000, `seed ${seed}`);
      assert.equal(c.nodes[victim]!.restarts, 6);
      assert.equal((await evidenceAgainst(c)).size, 0, 'no evidence against anyone');
      assert.equal(c.nodes[victim]!.state!.stats.doubleSignRefused, 0);
      await c.stop();
    }
  });
}

test('7 validators: f validators crash together mid-height and come back from their WALs', async () => {
  const c = await cluster({ validators: 7, seed: 4, network: { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 } });
  await reach(c, 2, 30_000, 'start');
  await c.runFor(37);
  c.crash(2);
  c.crash(5);
  const h = c.minHeight(c.nodes.filter((x) => x.state));
  assert.ok(await c.runUntil(() => c.minHeight(c.nodes.filter((x) => x.state)) >= h + 2, 30_000), 'the other 5 keep deciding');
  await c.restart(2);
  await c.restart(5);
  await reach(c, Math.max(...c.nodes.map((x) => x.app.lastHeight)) + 1, 30_000, 'after restart');
  assert.equal((await evidenceAgainst(c)).size, 0);
  await c.stop();
});
