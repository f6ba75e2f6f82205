/**
 * Delivery state transitions with fake root events and fake Bttc headers, four validators driven
 * height by height (manual round-0 consensus, real signed precommits carrying side votes).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkpointRoot } from '../../src/merkle/checkpoint.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { decodeBlock, encodeBlock } from '../../src/delivery/app/codec.ts';
import { TxType } from '../../src/delivery/app/types.ts';
import { checkpointVoteHash } from '../../src/protocol/checkpoint/checkpoint.ts';
import { recoverAddress } from './recover.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, type NodeHandle } from './helpers.ts';

const config = devConfig();
const chainId = config.delivery.chainId;

async function network(n: number, opts: { submitter?: FakeSubmitter; bttcLatest?: number } = {}) {
  const keys = Array.from({ length: n }, (_, i) => key(i));
  const genesis = genesisOf(keys);
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const nodes: NodeHandle[] = [];
  for (const k of keys) {
    const node = await openNode(k, genesis, { clock, submitters: opts.submitter ? new Map([[ROOT_CHAIN_ID, opts.submitter]]) : undefined });
    node.bttc.latest = opts.bttcLatest ?? 0;
    nodes.push(node);
  }
  return { keys, genesis, clock, nodes };
}

async function run(net: Awaited<ReturnType<typeof network>>, heights: number, root?: FakeRoot, signers?: NodeHandle[]) {
  for (let i = 0; i < heights; i++) {
    net.clock.t += 2000;
    if (root) await deliverEvents(net.nodes, root);
    await decideHeight(net.nodes, chainId, signers);
    for (const n of net.nodes) await n.submission.whenSettled();
  }
}

const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

describe('delivery app', () => {
  it('genesis: the validator set, span 0 and a first proposer', async () => {
    const net = await network(4);
    cleanup.push(...net.nodes);
    const app = net.nodes[0]!.app;
    const set = app.validatorSetJson();
    assert.equal(set.validators.length, 4);
    assert.deepEqual(
      set.validators.map((v) => v.signer),
      [...net.keys.map((k) => k.address)].sort(),
    );
    const span0 = await app.latestSpanJson();
    assert.equal(span0?.id, 0);
    assert.equal(span0?.endBlock, config.bttc.firstSpanEnd);
    assert.equal(span0?.selectedProducers.length, 4);
    assert.ok(app.checkpointProposer());
    assert.equal(app.ackCount(), 0);
  });

  it('staking join: applied once two heights after inclusion, set updated at the end of that block', async () => {
    const net = await network(4);
    cleanup.push(...net.nodes);
    const root = new FakeRoot();
    const newcomer = key(10);
    const ev = root.staked(5, newcomer);
    const before = net.nodes[0]!.app.height;
    await run(net, 1, root); // included
    const incl = decodeBlock((await net.nodes[0]!.store.getBlock(before + 1))!);
    assert.equal(incl.txs.filter((t) => t.type === TxType.Staking).length, 1);
    assert.equal(net.nodes[0]!.app.validatorSetJson().validators.length, 4);
    await run(net, 1, root); // side votes in precommits
    assert.equal(net.nodes[0]!.app.validatorSetJson().validators.length, 4);
    await run(net, 1, root); // tallied: applied, set changes at the end of this block
    for (const n of net.nodes) {
      const vs = n.app.validatorSetJson();
      assert.equal(vs.validators.length, 5, 'the join is applied on every node');
      assert.ok(vs.validators.some((v) => v.signer === newcomer.address));
      assert.equal(n.app.validatorJson(5)?.signer, newcomer.address);
      assert.equal(n.app.validatorSet(n.app.height + 1).validators.length, 5, 'the consensus set for the next height has it too');
      assert.equal(n.app.poolSize, 0);
    }
    // The same event delivered again (a watcher replay) is ignored; a block carrying it is invalid.
    await net.nodes[0]!.app.onRootEvent(ev);
    assert.equal(net.nodes[0]!.app.poolSize, 0);
    await run(net, 3, root);
    assert.equal(net.nodes[0]!.app.validatorSetJson().validators.length, 5);
  });

  it('checkpoint: proposed by the checkpoint proposer, signed in precommits, approved, submitted, acked, proposer rotates, next continues the range', async () => {
    const root = new FakeRoot();
    const submitter = new FakeSubmitter(root);
    const net = await network(4, { submitter, bttcLatest: 40 });
    cleanup.push(...net.nodes);
    const app = net.nodes[0]!.app;
    const firstProposer = app.checkpointProposer();
    // Enough heights for the checkpoint proposer to be the block proposer once, plus the two-height tally.
    for (let i = 0; i < 12 && submitter.submitted.length === 0; i++) await run(net, 1, root);
    assert.equal(submitter.submitted.length, 1, 'the approved checkpoint was submitted once (only by its proposer)');
    const buf = app.checkpointBuffer()!;
    assert.ok(buf, 'the approved checkpoint waits in the buffer');
    assert.equal(buf.checkpoint.proposer, firstProposer);
    assert.equal(buf.checkpoint.start, 0);
    // diff = (40 − 2) − 0 + 1 = 39 → end = 0 + (39 − 39 mod 32 − 1) = 31
    assert.equal(buf.checkpoint.end, 31);
    assert.equal(buf.checkpoint.epoch, 1);
    assert.equal(buf.checkpoint.rootHash, bytesToHex(checkpointRoot(net.nodes[0]!.bttc.headers(0, 31)!)));
    assert.ok(buf.signatures.length >= 3, `${buf.signatures.length} signatures ≥ ⌊4·2/3⌋+1`);
    const hash = checkpointVoteHash(buf.checkpoint);
    const signers = buf.signatures.map((s) => recoverAddress(hash, s.signature));
    assert.deepEqual(
      signers,
      buf.signatures.map((s) => s.signer),
    );
    assert.deepEqual(signers, [...signers].sort(), 'root-chain order');
    assert.equal(submitter.submitted[0]!.start, 0n);
    assert.equal(submitter.submitted[0]!.end, 31n);

    // The NewHeaderBlock event comes back through each node's watcher: ack, rotation, next range.
    for (let i = 0; i < 4 && app.ackCount() === 0; i++) await run(net, 1, root);
    assert.equal(app.ackCount(), 1);
    for (const n of net.nodes) {
      assert.equal(n.app.ackCount(), 1);
      assert.equal(n.app.checkpointBuffer(), null);
      assert.notEqual(n.app.checkpointProposer(), firstProposer, 'the proposer moved by one');
    }
    const cp1 = await app.latestCheckpoint();
    assert.equal(cp1?.number, 1);
    assert.equal(cp1?.headerBlockId, '10000');
    assert.equal(cp1?.start, 0);
    assert.equal(cp1?.end, 31);
    assert.equal(cp1?.signatureCount, buf.signatures.length);

    for (const n of net.nodes) n.bttc.latest = 80;
    for (let i = 0; i < 16 && (app.ackCount() ?? 0) < 2; i++) await run(net, 1, root);
    assert.equal(app.ackCount(), 2);
    const cp2 = await app.latestCheckpoint();
    assert.equal(cp2?.start, 32, 'the next checkpoint continues the range');
    assert.equal(cp2?.epoch, 2);
    assert.equal(submitter.submitted.length, 2);
  });

  it('a forged root gets No votes; with two of four forging it is not approved', async () => {
    const root = new FakeRoot();
    const submitter = new FakeSubmitter(root);
    submitter.land = false;
    const net = await network(4, { submitter, bttcLatest: 40 });
    cleanup.push(...net.nodes);
    // Two validators whose block 7 differs: they vote No, and 2 Yes < 3.
    net.nodes[0]!.bttc.tamper = 7;
    net.nodes[1]!.bttc.tamper = 7;
    const outcomes: string[] = [];
    net.nodes[2]!.app.onCommitted((c) => {
      for (const o of c.outcomes) if (o.type === TxType.Checkpoint && o.outcome !== 'included') outcomes.push(`${o.outcome}: ${o.reason ?? ''}`);
    });
    for (let i = 0; i < 14 && outcomes.length === 0; i++) await run(net, 1, root);
    assert.ok(outcomes.length >= 1, 'a checkpoint was proposed and tallied');
    assert.match(outcomes[0]!, /^rejected: 2 valid signature\(s\), need 3/);
    assert.equal(submitter.submitted.length, 0);
    assert.equal(net.nodes[2]!.app.checkpointBuffer(), null);
  });

  it('no-ack after noAckWait moves the proposer; span 1 is proposed with the root seed; clerk records get global ids', async () => {
    const net = await network(4);
    cleanup.push(...net.nodes);
    const root = new FakeRoot();
    const app = net.nodes[0]!.app;
    const target = '0x' + 'ab'.repeat(20);
    root.stateSynced(target, '0x01');
    root.stateSynced(target, '0x0202');
    await run(net, 3, root);
    const recs = await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 10);
    assert.deepEqual(
      recs.map((r) => [r.id, r.stateId, r.data]),
      [
        [1, '1', '0x01'],
        [2, '2', '0x0202'],
      ],
    );
    assert.equal(app.lastSpanId, 1, 'span 1 proposed once Bttc was inside span 0, applied two heights later');
    const span1 = await app.latestSpanJson();
    assert.equal(span1?.startBlock, config.bttc.firstSpanEnd + 1);
    assert.equal(span1?.selectedProducers.length, 4);
    root.stateSynced(target, '0x03');
    await run(net, 3, root);
    assert.deepEqual(
      (await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 10)).map((r) => r.id),
      [1, 2, 3],
    );
    assert.deepEqual(
      (await app.eventRecords(3, Number.MAX_SAFE_INTEGER, 10)).map((r) => r.id),
      [3],
    );
    assert.deepEqual(
      (await app.eventRecords(1, recs[0]!.recordTime, 10)).map((r) => r.id),
      [],
      'to-time is exclusive',
    );

    const proposer = app.checkpointProposer();
    net.clock.t += config.checkpoint.noAckWait * 1000;
    await run(net, 1, root);
    const last = decodeBlock((await net.nodes[0]!.store.getBlock(app.height))!);
    assert.ok(last.txs.some((t) => t.type === TxType.CheckpointNoAck));
    assert.notEqual(app.checkpointProposer(), proposer);
    for (const n of net.nodes) assert.equal(n.app.checkpointProposer(), app.checkpointProposer());
    // Not again right away.
    await run(net, 2, root);
    assert.equal(decodeBlock((await net.nodes[0]!.store.getBlock(app.height))!).txs.filter((t) => t.type === TxType.CheckpointNoAck).length, 0);
  });

  it('rejects bad blocks: a forged carried vote, a non-proposer checkpoint, a processed event, a bad time', async () => {
    const root = new FakeRoot();
    const net = await network(4, { bttcLatest: 0 });
    cleanup.push(...net.nodes);
    root.stateSynced('0x' + 'cd'.repeat(20), '0x');
    await run(net, 2, root); // record included at 1, votes at 2
    const app = net.nodes[0]!.app;
    const h = app.height + 1;
    const set = app.validatorSet(h);
    const prop = net.nodes.find((n) => n.key.address === bytesToHex(set.proposer(0).address))!;
    const good = decodeBlock(await prop.app.proposeValue(h, 0));
    assert.ok(good.lastCommit.votes.length >= 3, 'the block carries the precommits with side votes');
    assert.equal(await app.invalidReason(h, encodeBlock(good)), null);

    const forged = structuredClone(good);
    forged.lastCommit.votes[0]!.signature[5]! ^= 1;
    assert.match((await app.invalidReason(h, encodeBlock(forged)))!, /invalid precommit signature|malformed|signature/);
    const ext = structuredClone(good);
    ext.lastCommit.votes[0]!.extension = Uint8Array.of(0, 1, 0, 9, 1, 0);
    assert.match((await app.invalidReason(h, encodeBlock(ext)))!, /malformed side votes/);
    const early = { ...good, time: app.time };
    assert.match((await app.invalidReason(h, encodeBlock(early)))!, /^time/);
    const badCp = {
      ...good,
      txs: [
        {
          type: TxType.Checkpoint,
          rootChainId: ROOT_CHAIN_ID,
          checkpoint: { proposer: '0x' + '01'.repeat(20), start: 0, end: 31, rootHash: '0x' + '11'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: config.bttc.chainId, epoch: 1 },
        } as const,
      ],
    };
    assert.match((await app.invalidReason(h, encodeBlock(badCp)))!, /only the current proposer/);
    await run(net, 2, root); // tallied: applied
    assert.equal((await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 10)).length, 1);
    const replay = decodeBlock((await app['deps'].store.getBlock(1))!).txs.find((t) => t.type === TxType.EventRecord)!;
    const h2 = app.height + 1;
    const p2 = net.nodes.find((n) => n.key.address === bytesToHex(app.validatorSet(h2).proposer(0).address))!;
    const blk = decodeBlock(await p2.app.proposeValue(h2, 0));
    blk.txs.push(replay);
    assert.match((await app.invalidReason(h2, encodeBlock(blk)))!, /already processed/);
  });

  it('empty-block interval: a proposal may wait only when it and the last two blocks carry no txs', async () => {
    const net = await network(4);
    cleanup.push(...net.nodes);
    const root = new FakeRoot();
    // The next height's proposer, asked the way the consensus engine asks it.
    const ask = async () => {
      const h = net.nodes[0]!.app.height + 1;
      const addr = bytesToHex(net.nodes[0]!.app.validatorSet(h).proposer(0).address);
      const app = net.nodes.find((n) => n.key.address === addr)!.app;
      const value = await app.proposeValue(h, 0);
      return { wait: app.canWaitToPropose(h, value), txs: decodeBlock(value).txs.length, copyWaits: app.canWaitToPropose(h, value.slice()), staleWaits: app.canWaitToPropose(h + 1, value) };
    };
    await run(net, 3);
    assert.deepEqual(await ask(), { wait: true, txs: 0, copyWaits: false, staleWaits: false }, 'idle: an empty proposal of our own for the next height may wait');
    root.staked(5, key(10));
    await deliverEvents(net.nodes, root);
    assert.deepEqual(await ask(), { wait: false, txs: 1, copyWaits: false, staleWaits: false }, 'a proposal with a tx never waits');
    await run(net, 1, root); // the staking tx is in
    const waits: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await ask();
      assert.equal(a.txs, 0);
      waits.push(a.wait);
      await run(net, 1, root);
    }
    assert.deepEqual(waits, [false, false, true], 'the two heights after a tx (side votes, tally) follow at once; the third may wait');
    assert.equal(net.nodes[0]!.app.validatorSetJson().validators.length, 5, 'and the join was tallied and applied');
  });
});
