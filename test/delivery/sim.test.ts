/**
 * Delivery in simulation: the real Tendermint engine (src/delivery/consensus) over its in-memory
 * network on a virtual clock, with the real Delivery application on classic-level. Four genesis
 * validators and a fifth node that joins through a staking event; then two checkpoint cycles:
 * proposed, signed in precommits, approved, submitted (fake submitter standing in for the root chain),
 * acked from the NewHeaderBlock event, proposer rotated, the next checkpoint continuing the range.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { MemoryEvidenceStore } from '../../src/delivery/consensus/evidence.ts';
import { SIM_TIMEOUTS } from '../../src/delivery/consensus/sim/cluster.ts';
import { MemoryNetwork } from '../../src/delivery/consensus/sim/memory-transport.ts';
import { Prng } from '../../src/delivery/consensus/sim/prng.ts';
import { VirtualClock } from '../../src/delivery/consensus/sim/virtual-clock.ts';
import { ConsensusState } from '../../src/delivery/consensus/state.ts';
import { MemoryWal } from '../../src/delivery/consensus/wal.ts';
import { checkpointVoteHash } from '../../src/protocol/checkpoint/checkpoint.ts';
import type { BufferedCheckpoint } from '../../src/delivery/modules/checkpoint/state.ts';
import { recoverAddress } from './recover.ts';
import { closeNode, devConfig, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, type NodeHandle } from './helpers.ts';

const config = devConfig();

interface SimDeliveryNode extends NodeHandle {
  consensus: ConsensusState;
}

const cleanup: SimDeliveryNode[] = [];
after(async () => {
  for (const n of cleanup) {
    n.consensus.abandon();
    await closeNode(n).catch(() => {});
  }
});

describe('delivery simulation (consensus engine + Delivery app)', () => {
  it('4 validators: a join changes the set, then two checkpoint cycles with proposer rotation and a continuing range', async () => {
    const clock = new VirtualClock();
    const prng = new Prng(4242);
    const net = new MemoryNetwork({ minDelayMs: 5, maxDelayMs: 40, dropRate: 0 }, { clock, prng: prng.fork() });
    const genesisKeys = Array.from({ length: 4 }, (_, i) => key(i, 31));
    const joiner = key(9, 31);
    const genesis = genesisOf(genesisKeys);
    const root = new FakeRoot();
    const submitter = new FakeSubmitter(root);
    const appClock = { now: () => GENESIS_TIME + clock.now() };
    const decided = new Map<number, string>();
    const violations: string[] = [];
    const nodes: SimDeliveryNode[] = [];
    for (const k of [...genesisKeys, joiner]) {
      const h = await openNode(k, genesis, { clock: appClock, submitters: new Map([[ROOT_CHAIN_ID, submitter]]) });
      const consensus = new ConsensusState(
        { chainId: config.delivery.chainId, secretKey: k.secretKey, startHeight: h.app.height + 1, timeouts: SIM_TIMEOUTS, gossipIntervalMs: 500 },
        { app: h.app, transport: net.endpoint(k.address), clock, verifier: new InlineVerifier(), wal: new MemoryWal(), evidence: new MemoryEvidenceStore() },
      );
      consensus.onCommit((e) => {
        const hex = bytesToHex(e.value);
        const prior = decided.get(e.height);
        if (prior === undefined) decided.set(e.height, hex);
        else if (prior !== hex) violations.push(`height ${e.height}: two different values`);
      });
      nodes.push({ ...h, consensus });
    }
    cleanup.push(...nodes);
    for (const n of nodes) await n.consensus.start();

    const settle = async () => {
      for (;;) {
        const busy = nodes.filter((n) => !n.consensus.isIdle());
        if (busy.length) await Promise.all(busy.map((n) => n.consensus.whenIdle()));
        await Promise.all(nodes.map((n) => n.submission.whenSettled()));
        // Each node's watcher hands over the root events it has not seen yet.
        let fed = false;
        for (const n of nodes)
          while (n.delivered < root.events.length) {
            await n.app.onRootEvent(root.events[n.delivered++]!);
            fed = true;
          }
        await new Promise<void>((r) => setImmediate(r));
        if (!fed && nodes.every((n) => n.consensus.isIdle())) return;
      }
    };
    const runUntil = async (pred: () => boolean, forMs: number, what: string) => {
      const deadline = clock.now() + forMs;
      for (;;) {
        await settle();
        for (const n of nodes) if (n.consensus.halted) throw new Error(`node ${n.key.address} halted: ${n.consensus.halted.message}`);
        if (pred()) return;
        if (!clock.advance(deadline) && clock.now() >= deadline) {
          await settle();
          if (pred()) return;
          assert.fail(`${what}: not reached within ${forMs} virtual ms (heights ${nodes.map((n) => n.app.height).join(', ')})`);
        }
      }
    };
    const minHeight = () => Math.min(...nodes.map((n) => n.app.height));

    await runUntil(() => minHeight() >= 3, 30_000, 'first heights');

    // A staking event: validator 5 joins; every node mirrors it, the set grows at the end of the tally block.
    root.staked(5, joiner);
    await runUntil(() => nodes.every((n) => n.app.validatorSetJson().validators.length === 5), 30_000, 'join applied');
    const joinHeight = Math.max(...nodes.map((n) => n.app.height));
    // The joiner now signs precommits.
    await runUntil(() => minHeight() >= joinHeight + 3, 30_000, 'heights after the join');
    const c = nodes[0]!.consensus.commitAt(nodes[0]!.app.height);
    assert.ok(c, 'a recent commit is kept');
    const joinerSigned = [...Array(3).keys()].some((i) => nodes[0]!.consensus.commitAt(nodes[0]!.app.height - i)?.precommits.some((v) => bytesToHex(v.validator) === joiner.address));
    assert.ok(joinerSigned, 'the joined validator precommits');

    // Checkpoint cycle 1.
    const proposer1 = nodes[0]!.app.checkpointProposer();
    for (const n of nodes) n.bttc.latest = 40;
    await runUntil(() => nodes.every((n) => n.app.ackCount() === 1), 60_000, 'first checkpoint acked');
    assert.equal(submitter.submitted.length, 1, 'submitted once, by the checkpoint proposer');
    const cp1 = (await nodes[0]!.app.latestCheckpoint())!;
    assert.deepEqual([cp1.start, cp1.end, cp1.proposer, cp1.epoch], [0, 31, proposer1, 1]);
    assert.ok(cp1.signatureCount >= 4, `${cp1.signatureCount} signatures ≥ ⌊5·2/3⌋+1`);
    const proposer2 = nodes[0]!.app.checkpointProposer();
    assert.notEqual(proposer2, proposer1, 'the ack rotated the proposer');
    for (const n of nodes) assert.equal(n.app.checkpointProposer(), proposer2);

    // Checkpoint cycle 2 continues the range, proposed by the next proposer.
    const approved: { buffer: BufferedCheckpoint | null } = { buffer: null };
    nodes[0]!.app.onCommitted((cb) => {
      for (const a of cb.approvedCheckpoints) approved.buffer = a.buffer;
    });
    for (const n of nodes) n.bttc.latest = 80;
    await runUntil(() => nodes.every((n) => n.app.ackCount() === 2), 60_000, 'second checkpoint acked');
    const cp2 = (await nodes[0]!.app.latestCheckpoint())!;
    assert.deepEqual([cp2.start, cp2.end, cp2.proposer, cp2.epoch], [32, 63, proposer2, 2]);
    assert.equal(submitter.submitted.length, 2);
    const b = approved.buffer;
    assert.ok(b, 'the approved checkpoint was seen');
    const hash = checkpointVoteHash(b.checkpoint);
    assert.deepEqual(
      b.signatures.map((s) => recoverAddress(hash, s.signature)),
      b.signatures.map((s) => s.signer),
      'signatures from the precommits recover to their validators',
    );
    assert.notEqual(nodes[0]!.app.checkpointProposer(), proposer2);

    // Safety and agreement: one value per height everywhere, and the same Delivery state on every node.
    assert.deepEqual(violations, []);
    await runUntil(() => minHeight() >= Math.max(...nodes.map((n) => n.app.height)), 10_000, 'all caught up');
    const h = minHeight();
    for (const n of nodes) assert.deepEqual(await n.store.getBlock(h), await nodes[0]!.store.getBlock(h));
    const sets = nodes.map((n) => JSON.stringify(n.app.validatorSetJson()));
    for (const s of sets) assert.equal(s, sets[0]);
  });
});
