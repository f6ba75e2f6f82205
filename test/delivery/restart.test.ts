/**
 * Restart from disk mid-sequence: nodes closed between any two heights (events included but not yet
 * tallied, events still only in the pool) resume from classic-level with nothing applied twice and
 * nothing lost; a block whose batch fails to write leaves neither memory nor disk ahead.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LevelStore } from '../../src/db/level.ts';
import type { BatchOp } from '../../src/db/interface.ts';
import { PassThroughStore } from '../helpers/kv.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { DeliveryApp } from '../../src/delivery/app/app.ts';
import { DeliveryStore } from '../../src/delivery/store/store.ts';
import {
  closeNode,
  decideHeight,
  deliverEvents,
  devConfig,
  type FakeBttc,
  FakeRoot,
  FakeSubmitter,
  fingerprint,
  genesisOf,
  GENESIS_TIME,
  key,
  openNode,
  ROOT_CHAIN_ID,
  spanSeed,
  type NodeHandle,
} from './helpers.ts';

const config = devConfig();
const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

/** Fails the next `failBatches` batch writes, like a disk error mid-commit. */
class FlakyStore extends PassThroughStore {
  failBatches = 0;
  override async batch(ops: BatchOp[]) {
    if (this.failBatches > 0) {
      this.failBatches--;
      throw new Error('disk full');
    }
    return this.inner.batch(ops);
  }
}

describe('delivery restart', () => {
  it('every node closed and reopened between heights: no event applied twice, none lost, same state as a node that never stopped', async () => {
    const genesisKeys = Array.from({ length: 4 }, (_, i) => key(i, 11));
    const genesis = genesisOf(genesisKeys);
    // The validator that joins runs a node from the start (it follows as a non-validator until then).
    const keys = [...genesisKeys, key(20, 11)];
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    const root = new FakeRoot();
    const submitter = new FakeSubmitter(root);
    const submitters = new Map([[ROOT_CHAIN_ID, submitter]]);
    const open = async (k: (typeof keys)[number], dir?: string, bttc?: FakeBttc) => {
      const n = await openNode(k, genesis, { clock, submitters, dir, bttc });
      n.bttc.latest = 40;
      return n;
    };
    let nodes = await Promise.all(keys.map((k) => open(k)));
    const target = '0x' + 'ee'.repeat(20);
    for (let i = 0; i < 5; i++) root.stateSynced(target, '0x0' + i);
    root.staked(5, key(20, 11));
    root.unstakeInit(2, 1, 2);

    const seenRecords = new Set<number>();
    for (let step = 0; step < 24; step++) {
      clock.t += 2000;
      // Events reach the nodes a few at a time, so some sit in the pool across restarts.
      const upTo = Math.min(root.events.length, 2 + step * 2);
      for (const n of nodes) while (n.delivered < upTo) await n.app.onRootEvent(root.events[n.delivered++]!);
      await decideHeight(nodes, config.delivery.chainId);
      for (const n of nodes) await n.submission.whenSettled();
      for (const r of await nodes[0]!.app.eventRecords(1, Number.MAX_SAFE_INTEGER, 100)) seenRecords.add(r.id);
      if (step % 3 === 1) {
        // Close every node (the delivered counters are each node's watcher cursor, kept across restarts).
        const delivered = nodes.map((n) => n.delivered);
        const bttcs = nodes.map((n) => n.bttc);
        for (const n of nodes) await closeNode(n, false);
        nodes = await Promise.all(keys.map((k, i) => open(k, nodes[i]!.dir, bttcs[i])));
        nodes.forEach((n, i) => (n.delivered = delivered[i]!));
      }
    }
    cleanup.push(...nodes);
    const app = nodes[0]!.app;
    // Drain: everything delivered, until nothing is in flight.
    for (let i = 0; i < 8 && (app.poolSize > 0 || app.checkpointBuffer() || nodes.some((n) => n.delivered < root.events.length)); i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, config.delivery.chainId);
      for (const n of nodes) await n.submission.whenSettled();
    }
    const records = await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 100);
    assert.deepEqual(
      records.map((r) => r.id),
      [1, 2, 3, 4, 5],
      'ids sequential, none twice, none lost',
    );
    assert.deepEqual(
      records.map((r) => r.stateId),
      ['1', '2', '3', '4', '5'],
    );
    assert.equal(app.validatorJson(5)?.signer, key(20, 11).address, 'join applied');
    assert.equal(app.validatorJson(2)?.endEpoch, 2, 'exit applied');
    assert.equal(app.validatorJson(2)?.nonce, 1);
    assert.ok((app.ackCount() ?? 0) >= 1, 'a checkpoint went through submit and ack across restarts');
    assert.equal(app.poolSize, 0, JSON.stringify([...app['pool'].keys()]) + ' acks ' + app.ackCount() + ' end ' + app.lastCheckpointEnd() + ' h ' + app.height);
    const prints = await Promise.all(nodes.map(fingerprint));
    for (const p of prints) assert.equal(p, prints[0]);
  });

  it('a failed block batch leaves memory and disk at the previous height; the block commits after reopening', async () => {
    const keys = Array.from({ length: 4 }, (_, i) => key(i, 12));
    const genesis = genesisOf(keys);
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    const root = new FakeRoot();
    const nodes = await Promise.all(keys.map((k) => openNode(k, genesis, { clock })));
    root.stateSynced('0x' + 'aa'.repeat(20), '0x01');
    for (let i = 0; i < 2; i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, config.delivery.chainId);
    }
    // Swap node 0 for one on a flaky disk (same data dir).
    const n0 = nodes[0]!;
    await n0.store.close();
    const flaky = new FlakyStore(await LevelStore.open(n0.dir));
    const store = new DeliveryStore(flaky);
    const app = await DeliveryApp.open({ config, signerKey: n0.key.secretKey }, { store, bttc: n0.bttc, verifier: new InlineVerifier(), clock, spanSeed }, genesis);
    nodes[0] = { ...n0, store, app };
    cleanup.push(...nodes);
    assert.equal(app.height, 2);
    flaky.failBatches = 1;
    clock.t += 2000;
    // Node 0 commits last, so the others have height 3 when its write fails.
    await assert.rejects(decideHeight([nodes[1]!, nodes[2]!, nodes[3]!, nodes[0]!], config.delivery.chainId), /disk full/);
    assert.equal(app.height, 2, 'memory did not move ahead of the disk');
    assert.deepEqual(await app.eventRecords(1, Number.MAX_SAFE_INTEGER, 10), []);
    // Others committed height 3; node 0 retries the same block (what consensus catch-up would hand it).
    const value = (await nodes[1]!.store.getBlock(3))!;
    await store.close();
    const store2 = new DeliveryStore(await LevelStore.open(n0.dir));
    const app2 = await DeliveryApp.open({ config, signerKey: n0.key.secretKey }, { store: store2, bttc: n0.bttc, verifier: new InlineVerifier(), clock, spanSeed }, genesis);
    nodes[0] = { ...n0, store: store2, app: app2 };
    cleanup.splice(cleanup.indexOf(nodes[0]!), 1, nodes[0]!);
    assert.equal(app2.height, 2);
    assert.equal(await app2.invalidReason(3, value), null);
    await app2.commitValue(3, value, {
      height: 3,
      round: 0,
      proposal: { height: 3, round: 0, validRound: -1, proposer: new Uint8Array(20), value, valueId: DeliveryApp.valueId(value), signature: new Uint8Array(65) },
      precommits: [],
    });
    assert.equal(app2.height, 3);
    assert.deepEqual(
      (await app2.eventRecords(1, Number.MAX_SAFE_INTEGER, 10)).map((r) => r.id),
      [1],
    );
    assert.equal(await fingerprint(nodes[0]!), await fingerprint(nodes[1]!));
  });
});
