/**
 * Delivery sync by range: every decided block is stored with its commit; a node that was not there
 * applies the served blocks only when each commit proves > 2/3 of that height's validator set decided
 * it, and ends in exactly the state of the nodes that applied them from consensus. Forged,
 * insufficient and wrong-set commits are refused and leave the node where it was.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { decodeSyncItem, encodeSyncItem } from '../../src/delivery/app/commit.ts';
import { proposalDigest, voteDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType, type Commit } from '../../src/delivery/consensus/types.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { RangeSync } from '../../src/p2p/sync/rangeSync.ts';
import { serveSync } from '../../src/p2p/sync/server.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startNode, waitFor } from '../p2p/helpers.ts';
import { closeNode, decideHeight, devConfig, FakeRoot, FakeSubmitter, fingerprint, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, type Key, type NodeHandle } from './helpers.ts';

const config = devConfig();
const chainId = config.delivery.chainId;
const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

function mutate(item: Uint8Array, fn: (c: Commit) => Commit): Uint8Array {
  return encodeSyncItem(fn(decodeSyncItem(item).commit));
}

function signedBy(c: Commit, keys: Key[]): Commit {
  const valueId = c.proposal.valueId;
  return {
    ...c,
    precommits: keys.map((k) => ({
      type: MsgType.Precommit,
      height: c.height,
      round: c.round,
      valueId,
      validator: hexToBytes(k.address),
      extension: new Uint8Array(0),
      signature: signRsv(voteDigest(chainId, { type: MsgType.Precommit, height: c.height, round: c.round, valueId, extension: new Uint8Array(0) }), k.secretKey),
    })),
  };
}

let history: { genesis: ReturnType<typeof genesisOf>; clock: { now(): number }; items: Uint8Array[]; top: number; source: NodeHandle } | null = null;

describe('delivery sync by range', () => {
  it('blocks and commits served by range verify and apply to the same state as consensus; bad commits are refused', async () => {
    const genesisKeys = Array.from({ length: 4 }, (_, i) => key(i, 31));
    const joiner = key(20, 31);
    const genesis = genesisOf(genesisKeys);
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    const root = new FakeRoot();
    const submitters = new Map([[ROOT_CHAIN_ID, new FakeSubmitter(root)]]);
    const nodes = await Promise.all([...genesisKeys, joiner].map((k) => openNode(k, genesis, { clock, submitters })));
    cleanup.push(...nodes);
    for (const n of nodes) n.bttc.latest = 40;
    for (let i = 0; i < 4; i++) root.stateSynced('0x' + 'ee'.repeat(20), '0x0' + i);
    root.staked(5, joiner);
    root.unstakeInit(2, 1, 2);

    // History with state syncs, a validator joining and one leaving (the set changes mid-range), checkpoints.
    for (let step = 0; step < 22; step++) {
      clock.t += 2000;
      const upTo = Math.min(root.events.length, 2 + step);
      for (const n of nodes) while (n.delivered < upTo) await n.app.onRootEvent(root.events[n.delivered++]!);
      await decideHeight(nodes, chainId);
      for (const n of nodes) await n.submission.whenSettled();
    }
    const src = nodes[0]!.app;
    const top = src.height;
    assert.equal(src.validatorJson(5)?.signer, joiner.address, 'the join was applied in the history');
    assert.ok((src.ackCount() ?? 0) >= 1, 'a checkpoint was acked in the history');

    const items = await src.syncItems(1, top + 10);
    history = { genesis, clock, items, top, source: nodes[0]! };
    assert.equal(items.length, top, 'one item per height, stopping at the head');
    assert.deepEqual(
      (await src.syncItems(5, 3)).map((b) => decodeSyncItem(b).commit.height),
      [5, 6, 7],
    );

    // A node that was not there: it has only genesis.
    const late = await openNode(key(40, 31), genesis, { clock, submitters: new Map([[ROOT_CHAIN_ID, new FakeSubmitter(new FakeRoot())]]) });
    cleanup.push(late);
    const validators = genesisKeys;

    // Refusals at height 1; none moves the node.
    const first = items[0]!;
    const c1 = decodeSyncItem(first).commit;
    const refusals: [string, Uint8Array, RegExp][] = [
      [
        'forged precommit signature',
        mutate(first, (c) => ({ ...c, precommits: c.precommits.map((v, i) => (i === 1 ? { ...v, signature: Uint8Array.from(v.signature, (b, j) => (j === 10 ? b ^ 1 : b)) } : v)) })),
        /invalid precommit signature|bad recovery/,
      ],
      ['insufficient precommits (2 of 4)', mutate(first, (c) => ({ ...c, precommits: c.precommits.slice(0, 2) })), /not more than 2\/3/],
      ['a precommit counted twice', mutate(first, (c) => ({ ...c, precommits: [c.precommits[0]!, c.precommits[1]!, c.precommits[0]!] })), /precommits twice/],
      [
        'precommits by keys outside the set',
        mutate(first, (c) =>
          signedBy(
            c,
            Array.from({ length: 4 }, (_, i) => key(i, 99)),
          ),
        ),
        /not in the validator set/,
      ],
      [
        'a proposal by a key outside the set',
        mutate(first, (c) => {
          const k = key(0, 99);
          return { ...c, proposal: { ...c.proposal, proposer: hexToBytes(k.address), signature: signRsv(proposalDigest(chainId, c.proposal), k.secretKey) } };
        }),
        /proposer is/,
      ],
      [
        'another block under this commit',
        mutate(first, (c) => ({ ...c, proposal: { ...decodeSyncItem(items[1]!).commit.proposal, height: 1 } })),
        /not for this block|invalid proposal signature|proposer/,
      ],
      ['the commit of another height', items[1]!, /expected 1/],
      ['garbage', Uint8Array.of(4, 0, 1, 0, 0, 0, 1, 9), /malformed/],
    ];
    for (const [what, item, re] of refusals) {
      const why = await late.app.applySynced(item);
      assert.match(why ?? 'accepted', re, what);
      assert.equal(late.app.height, 0, `${what}: nothing applied`);
    }
    // The genuine commit re-signed by the real set passes (the check is the set, not the bytes).
    assert.equal(c1.precommits.length, 4);
    assert.equal(await late.app.applySynced(mutate(first, (c) => signedBy(c, validators.slice(1)))), null);
    assert.equal(late.app.height, 1);
    assert.equal(await late.app.applySynced(first), null, 'an already applied height is skipped, not refused');

    for (const item of items.slice(1)) {
      const why = await late.app.applySynced(item);
      assert.equal(why, null);
    }
    assert.equal(late.app.height, top);
    assert.equal(await fingerprint(late), await fingerprint(nodes[0]!), 'apply-from-sync equals apply-from-consensus');
    for (let h = 1; h <= top; h++) assert.deepEqual(await late.store.getBlock(h), await nodes[0]!.store.getBlock(h), `block ${h}`);
    // What the late node now serves is what it was served, except height 1, which it took with another quorum.
    const again = await late.app.syncItems(2, top);
    assert.deepEqual(again, items.slice(1));

    // After the join and the exit, a commit by the genesis set alone is checked against the new set.
    clock.t += 2000;
    await decideHeight(nodes, chainId);
    const next = (await src.syncItems(top + 1, 1))[0]!;
    const set = late.app.validatorSet(top + 1);
    assert.ok(set.getByAddress(joiner.address), 'the joiner is in the set of the new height');
    const byOldSet = await late.app.applySynced(mutate(next, (c) => signedBy(c, genesisKeys.filter((k) => set.getByAddress(k.address)).slice(0, 2))));
    assert.match(byOldSet ?? 'accepted', /not more than 2\/3/);
    assert.equal(await late.app.applySynced(next), null);
    assert.equal(await fingerprint(late), await fingerprint(nodes[0]!));
  });

  it('over real streams: a peer serving a forged commit is penalised and the range is finished from an honest peer', { timeout: 60_000 }, async () => {
    assert.ok(history, 'runs after the history test');
    const { genesis, clock, items, top, source } = history;
    const [liar, honest] = await Promise.all([startNode(), startNode()]);
    // The liar serves the right heights with one commit's precommit signature flipped.
    serveSync(liar.net, {
      deliveryByRange: async (start, count) =>
        items
          .slice(Number(start) - 1, Number(start) - 1 + count)
          .map((b, i) =>
            i === 2 ? mutate(b, (c) => ({ ...c, precommits: c.precommits.map((v, j) => (j === 0 ? { ...v, signature: Uint8Array.from(v.signature, (x, k) => (k === 5 ? x ^ 0x40 : x)) } : v)) })) : b,
          ),
    });
    serveSync(honest.net, { deliveryByRange: (start, count) => source.app.syncItems(Number(start), count) });
    const syncer = await startNode({ staticPeers: [liar, honest].map((n) => n.net.listenAddrs()[0]!) });
    const late = await openNode(key(41, 31), genesis, { clock, submitters: new Map([[ROOT_CHAIN_ID, new FakeSubmitter(new FakeRoot())]]) });
    cleanup.push(late);
    try {
      await waitFor('syncer connected to both', () => syncer.net.connectedPeers().length === 2);
      const rs = new RangeSync({ maxItemsPerRequest: 8, timeoutMs: 5000 }, { network: syncer.net, logger: silentLogger(), metrics: null });
      const r = await rs.fetchRange({
        method: 'delivery-by-range',
        from: 1n,
        to: BigInt(source.app.height),
        peers: [liar.net.peerId, honest.net.peerId],
        verify: async (_start, batch) => {
          for (const [i, item] of batch.entries()) {
            const why = await late.app.applySynced(item);
            if (why) return { ok: false, reason: `item ${i}: ${why}` };
          }
          return { ok: true };
        },
      });
      assert.deepEqual(r.penalised, [liar.net.peerId]);
      assert.ok(
        r.failures.some((f) => /invalid precommit signature/.test(f.reason)),
        r.failures.map((f) => f.reason).join('; '),
      );
      assert.ok(source.app.height > top);
      assert.equal(late.app.height, source.app.height);
      assert.equal(await fingerprint(late), await fingerprint(source));
    } finally {
      await Promise.all([syncer, liar, honest].map((n) => n.net.close()));
    }
  });
});
