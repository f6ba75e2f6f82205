/**
 * Algorithm 1 rule by rule, on one real engine with scripted, really signed peers (4 validators of
 * power 1: 2f+1 = 3, f+1 = 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleNodeHarness } from '../../src/delivery/consensus/sim/scripted.ts';
import { SIM_TIMEOUTS } from '../../src/delivery/consensus/sim/cluster.ts';
import { valueIdOf } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { RoundStep } from '../../src/delivery/consensus/state.ts';
import { equalBytes } from '../../src/util/bytes.ts';

const PV = MsgType.Prevote;
const PC = MsgType.Precommit;

async function started(): Promise<SingleNodeHarness> {
  const h = new SingleNodeHarness({ validators: 4 });
  await h.state.start();
  await h.settle();
  return h;
}

/** Two peers other than the engine and `not`. */
function others(h: SingleNodeHarness, not: number): number[] {
  return h.peers().filter((i) => i !== not);
}

test('happy path: prevote the proposal, lock on 2f+1 prevotes, decide on 2f+1 precommits with side votes', async () => {
  const h = await started();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  const id = valueIdOf(v);
  await h.deliver(h.proposal(p, 1, 0, v));
  assert.equal(h.state.step, RoundStep.Prevote);
  assert.ok(equalBytes(h.sentVotes(PV, 1, 0)[0]!.valueId!, id), 'prevoted the proposal (L22)');
  const [a, b] = others(h, p);
  await h.deliver(h.vote(p, PV, 1, 0, id));
  assert.equal(h.sentVotes(PC, 1, 0).length, 0, 'two prevotes of four are not 2f+1');
  await h.deliver(h.vote(a!, PV, 1, 0, id));
  assert.equal(h.state.lockedRound, 0, 'locked (L36)');
  const pc = h.sentVotes(PC, 1, 0);
  assert.equal(pc.length, 1);
  assert.ok(equalBytes(pc[0]!.valueId!, id));
  assert.ok(pc[0]!.extension.length > 0, 'precommit carries the side vote');
  await h.deliver(h.vote(p, PC, 1, 0, id), h.vote(b!, PC, 1, 0, id));
  assert.equal(h.app.lastHeight, 1, 'decided (L49)');
  assert.ok(equalBytes(h.app.committed.get(1)!, v));
  assert.equal(h.app.sideVotes.get(1), 3);
  assert.equal(h.state.height, 2);
  assert.equal(h.state.lockedRound, -1, 'lock reset for the new height');
});

test('timeouts: no proposal → prevote nil after timeoutPropose; they grow with the round', async () => {
  const h = await started();
  await h.advance(SIM_TIMEOUTS.propose - 1);
  assert.equal(h.sentVotes(PV, 1, 0).length, 0);
  await h.advance(1);
  assert.equal(h.sentVotes(PV, 1, 0)[0]!.valueId, null, 'L57');
  // 2f+1 prevotes for nil → precommit nil (L44); 2f+1 precommits of any kind → timeoutPrecommit (L47) → round 1 (L65).
  const ps = h.peers();
  await h.deliver(h.vote(ps[0]!, PV, 1, 0, null), h.vote(ps[1]!, PV, 1, 0, null));
  assert.equal(h.sentVotes(PC, 1, 0)[0]!.valueId, null, 'L44');
  await h.deliver(h.vote(ps[0]!, PC, 1, 0, null), h.vote(ps[1]!, PC, 1, 0, null));
  assert.equal(h.state.round, 0);
  await h.advance(SIM_TIMEOUTS.precommit);
  assert.equal(h.state.round, 1, 'L65 after timeoutPrecommit(0)');
  if (h.proposerIndex(1, 1) !== h.self) {
    await h.advance(SIM_TIMEOUTS.propose);
    assert.equal(h.sentVotes(PV, 1, 1).length, 0, 'round 1 waits propose + delta');
    await h.advance(SIM_TIMEOUTS.proposeDelta);
    assert.equal(h.sentVotes(PV, 1, 1)[0]!.valueId, null);
  }
});

test('2f+1 prevotes of mixed values start timeoutPrevote (L34), then precommit nil (L61)', async () => {
  const h = await started();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  await h.deliver(h.proposal(p, 1, 0, v));
  const [a] = others(h, p);
  await h.deliver(h.vote(p, PV, 1, 0, valueIdOf(v)), h.vote(a!, PV, 1, 0, null));
  assert.equal(h.sentVotes(PC, 1, 0).length, 0);
  await h.advance(SIM_TIMEOUTS.prevote - 1);
  assert.equal(h.sentVotes(PC, 1, 0).length, 0);
  await h.advance(1);
  assert.equal(h.sentVotes(PC, 1, 0)[0]!.valueId, null);
});

test('a locked validator prevotes nil for another value, and unlocks only on a proof-of-lock from a later round (L22/L28)', async () => {
  let seed = 1;
  for (; ; seed++) {
    const probe = new SingleNodeHarness({ validators: 4, seed });
    if (probe.proposerIndex(1, 1) !== probe.self && probe.proposerIndex(1, 2) !== probe.self) break;
  }
  const h = new SingleNodeHarness({ validators: 4, seed });
  await h.state.start();
  await h.settle();
  const p0 = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p0);
  const idV = valueIdOf(v);
  const peers = h.peers();
  await h.deliver(h.proposal(p0, 1, 0, v), h.vote(peers[0]!, PV, 1, 0, idV), h.vote(peers[1]!, PV, 1, 0, idV));
  assert.equal(h.state.lockedRound, 0);
  // Round 0 fails: others precommit nil, timeoutPrecommit moves us to round 1.
  await h.deliver(h.vote(peers[0]!, PC, 1, 0, null), h.vote(peers[1]!, PC, 1, 0, null));
  await h.advance(SIM_TIMEOUTS.precommit);
  assert.equal(h.state.round, 1);
  const p1 = h.proposerIndex(1, 1);
  const w = h.value(1, 1, p1);
  const idW = valueIdOf(w);
  await h.deliver(h.proposal(p1, 1, 1, w));
  assert.equal(h.sentVotes(PV, 1, 1)[0]!.valueId, null, 'locked on v: prevote nil for w');
  // Round 2: w re-proposed with validRound 1 and 2f+1 round-1 prevotes for w → accepted (lockedRound 0 ≤ 1).
  await h.deliver(h.vote(peers[0]!, PC, 1, 2, null), h.vote(peers[1]!, PC, 1, 2, null));
  assert.equal(h.state.round, 2, 'L55: f+1 messages of a later round');
  const p2 = h.proposerIndex(1, 2);
  const nonSelf = h.peers();
  // Round-1 prevotes for w from three validators other than the engine are not possible with 4 (one is us): use the two peers + proposer.
  const pol = nonSelf.slice(0, 3).map((i) => h.vote(i, PV, 1, 1, idW));
  await h.deliver(h.proposal(p2, 1, 2, w, 1), ...pol.slice(0, 2));
  assert.equal(h.sentVotes(PV, 1, 2).length, 0, 'proof of lock incomplete (2 of 3): wait');
  await h.deliver(pol[2]!);
  const pv = h.sentVotes(PV, 1, 2);
  assert.equal(pv.length, 1);
  assert.ok(pv[0]!.valueId && equalBytes(pv[0]!.valueId, idW), 'L28: prevote w with its proof of lock');
});

test('re-proposal: a proposer with a valid value proposes it again with validRound and its proof of lock', async () => {
  // Find a seed where the engine proposes round 1 of height 1.
  for (let seed = 1; seed < 40; seed++) {
    const probe = new SingleNodeHarness({ validators: 4, seed });
    if (probe.proposerIndex(1, 1) !== probe.self) continue;
    await probe.state.start();
    await probe.settle();
    const p0 = probe.proposerIndex(1, 0);
    const v = probe.value(1, 0, p0);
    const id = valueIdOf(v);
    const peers = probe.peers();
    await probe.deliver(probe.proposal(p0, 1, 0, v), probe.vote(peers[0]!, PV, 1, 0, id), probe.vote(peers[1]!, PV, 1, 0, id));
    await probe.deliver(probe.vote(peers[0]!, PC, 1, 0, null), probe.vote(peers[1]!, PC, 1, 0, null));
    await probe.advance(SIM_TIMEOUTS.precommit);
    assert.equal(probe.state.round, 1);
    const props = probe.transport.messages().filter((m) => m.kind === 'proposal');
    assert.equal(props.length, 1);
    const prop = props[0]!.kind === 'proposal' ? props[0]!.proposal : null;
    assert.ok(prop && equalBytes(prop.value, v) && prop.validRound === 0, 'validValue re-proposed with validRound 0');
    const polVotes = probe.transport.messages().filter((m) => m.kind === 'vote' && m.vote.round === 0 && m.vote.type === PV);
    assert.ok(polVotes.length >= 3, 'the proof of lock travels with the proposal');
    return;
  }
  assert.fail('no seed where the engine proposes round 1');
});

test('equivocation: a second, different vote is evidence and is not counted', async () => {
  const h = await started();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  const id = valueIdOf(v);
  const [a] = others(h, p);
  await h.deliver(h.proposal(p, 1, 0, v), h.vote(a!, PV, 1, 0, id), h.vote(a!, PV, 1, 0, null));
  const ev = await h.evidence.list();
  assert.equal(ev.length, 1);
  assert.equal(ev[0]!.height, 1);
  assert.equal(ev[0]!.round, 0);
  assert.equal(ev[0]!.step, PV);
  assert.ok(equalBytes(ev[0]!.validator, h.vals[a!]!.address));
  assert.ok(equalBytes(ev[0]!.voteA.valueId!, id));
  assert.equal(ev[0]!.voteB.valueId, null);
  // Counted once: with our prevote and a's, 2 of 4 → no lock yet.
  assert.equal(h.state.lockedRound, -1);
  await h.deliver(h.vote(a!, PV, 1, 0, null));
  assert.equal((await h.evidence.list()).length, 1, 'repeats are dropped, not re-recorded');
});

test('equivocation after the decision: a nil precommit from a validator in the commit is evidence, and joins nothing', async () => {
  const h = await started();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  const id = valueIdOf(v);
  const [a, b] = others(h, p);
  await h.deliver(h.proposal(p, 1, 0, v), h.vote(p, PV, 1, 0, id), h.vote(a!, PV, 1, 0, id));
  await h.deliver(h.vote(p, PC, 1, 0, id), h.vote(a!, PC, 1, 0, id));
  assert.equal(h.app.lastHeight, 1, 'decided with a in the commit');
  assert.equal((await h.evidence.list()).length, 0);
  // a's conflicting nil precommit for height 1 arrives only now, at height 2: still evidence.
  await h.deliver(h.vote(a!, PC, 1, 0, null));
  const ev = await h.evidence.list();
  assert.equal(ev.length, 1, 'the late double sign is recorded');
  assert.equal(ev[0]!.height, 1);
  assert.equal(ev[0]!.step, PC);
  assert.ok(equalBytes(ev[0]!.validator, h.vals[a!]!.address));
  assert.ok(equalBytes(ev[0]!.voteA.valueId!, id));
  assert.equal(ev[0]!.voteB.valueId, null);
  await h.deliver(h.vote(a!, PC, 1, 0, null));
  assert.equal((await h.evidence.list()).length, 1, 'repeats are dropped');
  // A late nil precommit from a validator not in the commit proves nothing.
  await h.deliver(h.vote(b!, PC, 1, 0, null));
  assert.equal((await h.evidence.list()).length, 1, 'b never precommitted the value: no evidence');
});

test('bad signatures, unknown validators, wrong proposers and wrong chain ids are not counted', async () => {
  const h = await started();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  const notProposer = others(h, p)[0]!;
  await h.deliver(h.proposal(notProposer, 1, 0, v));
  assert.equal(h.state.step, RoundStep.Propose, 'proposal from a non-proposer ignored');
  const forged = h.proposal(p, 1, 0, v);
  forged[forged.length - 10]! ^= 1;
  await h.deliver(forged);
  assert.equal(h.state.step, RoundStep.Propose, 'forged signature ignored');
  assert.ok(h.state.stats.signaturesInvalid >= 1);
  const other = new SingleNodeHarness({ validators: 4, chainId: 'other-chain' });
  await h.deliver(other.proposal(p, 1, 0, v));
  assert.equal(h.state.step, RoundStep.Propose, 'signature for another chain id ignored');
  await h.deliver(new Uint8Array([9, 9, 9]));
  await h.deliver(h.proposal(p, 1, 0, v));
  assert.equal(h.state.step, RoundStep.Prevote);
});

test('metrics: commits, verified signatures and height are exported to the registry', async () => {
  const { Registry } = await import('prom-client');
  const reg = new Registry();
  const h = new SingleNodeHarness({ validators: 4, metrics: reg });
  await h.state.start();
  await h.settle();
  const p = h.proposerIndex(1, 0);
  const v = h.value(1, 0, p);
  const id = valueIdOf(v);
  const ps = h.peers();
  await h.deliver(h.proposal(p, 1, 0, v), ...ps.map((i) => h.vote(i, PV, 1, 0, id)), ...ps.map((i) => h.vote(i, PC, 1, 0, id)));
  const text = await reg.metrics();
  assert.match(text, /bttc_consensus_commits_total 1\b/);
  assert.match(text, /bttc_consensus_height 2\b/);
  const verified = Number(/bttc_consensus_signatures_verified_total (\d+)/.exec(text)![1]);
  assert.ok(verified >= 5, `verified ${verified}`);
});
