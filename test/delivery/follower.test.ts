/**
 * A keyless Delivery app (a follower's) next to four validators, driven height by height: it
 * validates and applies every block to the same state as the validators (staking, checkpoint
 * approval and ack, spans, clerk records), but has nothing to sign: no side votes, no proposals, no
 * submissions even when handed a submitter, and it never asks for a span seed.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import {
  closeNode,
  decideHeight,
  deliverEvents,
  devConfig,
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

it("a follower app keeps the validators' state without signing, voting, proposing or submitting", async () => {
  const keys = Array.from({ length: 4 }, (_, i) => key(i));
  const genesis = genesisOf(keys);
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const root = new FakeRoot();
  const submitter = new FakeSubmitter(root);
  const validators: NodeHandle[] = [];
  for (const k of keys) {
    const n = await openNode(k, genesis, { clock, submitters: new Map([[ROOT_CHAIN_ID, submitter]]) });
    n.bttc.latest = 40;
    validators.push(n);
  }
  const own = new FakeSubmitter(root);
  let seedAsked = 0;
  const follower = await openNode(key(20), genesis, { clock, follower: true, submitters: new Map([[ROOT_CHAIN_ID, own]]), spanSeed: async (id) => (seedAsked++, spanSeed(id)) });
  follower.bttc.latest = 40;
  const all = [...validators, follower];
  cleanup.push(...all);
  assert.equal(follower.app.address, null);
  await assert.rejects(
    Promise.resolve().then(() => follower.app.proposeValue(1, 0)),
    /a follower has no key and never proposes/,
  );

  root.staked(5, key(11));
  root.stateSynced('0x' + 'ab'.repeat(20), '0x01');
  for (let i = 0; i < 24 && (validators[0]!.app.ackCount() ?? 0) < 1; i++) {
    clock.t += 2000;
    await deliverEvents(all, root);
    await decideHeight(all, config.delivery.chainId, validators);
    assert.equal(follower.app.extendVote(follower.app.height + 1).length, 0, 'no side votes');
    for (const n of all) await n.submission.whenSettled();
  }
  assert.equal(validators[0]!.app.ackCount(), 1, 'a checkpoint went through approval and ack');
  assert.ok(validators[0]!.app.lastSpanId >= 1, 'a span was committed');
  assert.equal(submitter.submitted.length, 1);
  assert.equal(own.submitted.length, 0, 'the follower submitted nothing');
  assert.equal(seedAsked, 0, 'the follower never needed a span seed');
  assert.equal(await fingerprint(follower), await fingerprint(validators[0]!));
  assert.equal(follower.app.validatorSetJson().validators.length, 5, 'the staking join applied on the follower too');
});
