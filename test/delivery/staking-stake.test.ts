/**
 * Stake events (delegation, commission, partners, stake updates) through four Delivery validators
 * driven height by height: each applies only after > 2/3 of the validators' own watchers saw the
 * identical event, exactly once (replays refused), out-of-order events wait ('early') instead of
 * going negative, and consensus power stays one validator, one vote. Then the REST routes over it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LevelStore } from '../../src/db/level.ts';
import { BlockOutput } from '../../src/delivery/app/effects.ts';
import type { DeliveryState } from '../../src/delivery/app/state.ts';
import { joinStakeRecord } from '../../src/delivery/modules/staking/stake-apply.ts';
import { emptyValidatorStake, StakeBook, StakeStore } from '../../src/delivery/modules/staking/stake-store.ts';
import { validatorWithStakeJson } from '../../src/delivery/modules/staking/rest.ts';
import { makeValidator } from '../../src/protocol/validators/validator.ts';
import { beHex, rawEntries } from '../db/raw.ts';
import * as T from './fixtures/rest/delivery-types.ts';

/** Our stake fields in the Go-type terms of fixtures/rest/delivery-types.ts (docs/staking-node.md). */
const Partner: T.Type = {
  object: [
    ['address', 'address'],
    ['amount', 'decimal'],
    ['shares', 'decimal'],
    ['leaving', 'decimal'],
    ['withdrawEpoch', 'uint'],
  ],
};
const ValidatorWithStake: T.Type = {
  object: [
    ...(T.Validator as { object: readonly (readonly [string, T.Type])[] }).object,
    ['selfStake', { nullable: 'decimal' }],
    ['delegatedStake', 'decimal'],
    ['totalStake', { nullable: 'decimal' }],
    ['commissionRate', 'uint'],
    ['delegatorCount', 'uint'],
    ['partners', { array: Partner }],
  ],
};
const Delegations: T.Type = {
  array: {
    object: [
      ['validatorId', 'uint'],
      ['delegator', 'address'],
      ['shares', 'decimal'],
      ['stake', 'decimal'],
      ['unbonding', 'decimal'],
      ['rewardsClaimed', 'decimal'],
    ],
  },
};
import { Registry } from 'prom-client';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { encodeBlock, TxCodecs } from '../../src/delivery/app/codec.ts';
import { BUILTIN_TX_CODECS } from '../../src/delivery/modules/builtin.ts';
import { stakeTxFromEvent } from '../../src/delivery/modules/staking/stake-txs.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';

const config = devConfig();
const chainId = config.delivery.chainId;
const E18 = 10n ** 18n;
const D = '0x' + 'd1'.repeat(20);
const D2 = '0x' + 'd2'.repeat(20);
const P = '0x' + 'a7'.repeat(20);
/** Activation epoch of the validators that join here: known to Delivery, not in the consensus set (so the four test nodes keep proposing). */
const FAR = 1000;

async function network(n: number, seed: number, metrics?: Registry) {
  const keys = Array.from({ length: n }, (_, i) => key(i, seed));
  const genesis = genesisOf(keys);
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const nodes: NodeHandle[] = [];
  for (const [i, k] of keys.entries()) nodes.push(await openNode(k, genesis, { clock, metrics: i === 0 ? metrics : undefined }));
  cleanup.push(...nodes);
  return { keys, clock, nodes };
}

type Net = Awaited<ReturnType<typeof network>>;

/** `heights` heights, every node's watcher delivering what the root chain has (unless `deliver` is false). */
async function run(net: Net, heights: number, root: FakeRoot, deliver = true) {
  for (let i = 0; i < heights; i++) {
    net.clock.t += 2000;
    if (deliver) await deliverEvents(net.nodes, root);
    await decideHeight(net.nodes, chainId);
  }
}

/** Every node's stake view of validator `id` and delegator `d`, as one string (equal on every node). */
async function stakeOf(n: NodeHandle, id: number, d = D) {
  const q = n.app.queries.staking;
  return JSON.stringify({ v: await q.validatorStake(id), d: await q.delegations(d) });
}

async function agreed(net: Net, id: number, d = D) {
  const views = await Promise.all(net.nodes.map((n) => stakeOf(n, id, d)));
  for (const v of views) assert.equal(v, views[0], 'every node holds the same stake records');
  return JSON.parse(views[0]!) as { v: Record<string, unknown> | null; d: Record<string, unknown>[] };
}

const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

/** A buyVoucher's events in our contracts' order: StakeUpdate (from updateValidatorState) before ShareMinted; BTTC logs them the other way round (the sells below). */
function delegate(root: FakeRoot, id: number, user: string, amount: bigint, total: bigint): RootEvent[] {
  const update = root.stakingEvent('StakeUpdate', { validatorId: BigInt(id), newAmount: total });
  return [root.stakingEvent('ShareMinted', { validatorId: BigInt(id), user, amount, tokens: amount }), update];
}

describe('stake events in Delivery', () => {
  it('delegation, commission, partners and sells are tracked per validator and delegator; power stays 1 per validator', async () => {
    const metrics = new Registry();
    const net = await network(4, 61, metrics);
    const root = new FakeRoot();
    root.staked(5, key(10, 61), FAR);
    delegate(root, 5, D, 300n, E18 + 300n);
    root.stakingEvent('UpdateCommissionRate', { validatorId: 5n, newCommissionRate: 10n, oldCommissionRate: 0n });
    root.stakingEvent('PartnerJoined', { validatorId: 5n, partner: P, amount: 500n, shares: 500n });
    root.stakingEvent('StakeUpdate', { validatorId: 5n, newAmount: E18 + 800n });
    await run(net, 8, root);
    let s = await agreed(net, 5);
    assert.deepEqual(s.v, {
      validatorId: 5,
      totalStake: String(E18 + 800n),
      delegatedStake: '300',
      totalShares: '300',
      commissionRate: '10',
      delegators: 1,
      partners: [{ address: P, amount: '500', shares: '500', leaving: '0', withdrawEpoch: 0 }],
      stakeSequence: String(root.events[root.events.length - 1]!.sequence),
      commissionSequence: String(root.events[root.events.length - 3]!.sequence),
    });
    assert.deepEqual(s.d, [{ validatorId: 5, delegator: D, shares: '300', stake: '300', unbonding: '0', rewardsClaimed: '0' }]);
    for (const n of net.nodes) {
      assert.equal(n.app.queries.staking.validatorRecord(5)?.votingPower, 1n, 'stake moves no consensus power');
      assert.equal(n.app.queries.staking.totalVotingPower(), 4n);
    }

    // Sell 100 of it, withdraw rewards, claim after unbonding; a partner starts leaving and leaves.
    root.stakingEvent('ShareBurned', { validatorId: 5n, user: D, amount: 100n, tokens: 100n });
    root.stakingEvent('StakeUpdate', { validatorId: 5n, newAmount: E18 + 700n });
    root.stakingEvent('DelegatorClaimedRewards', { validatorId: 5n, user: D, rewards: 9n });
    root.stakingEvent('PartnerLeaveInit', { validatorId: 5n, partner: P, amount: 500n, withdrawEpoch: 7n });
    root.stakingEvent('StakeUpdate', { validatorId: 5n, newAmount: E18 + 200n });
    await run(net, 8, root);
    s = await agreed(net, 5);
    assert.equal(s.v!.totalStake, String(E18 + 200n));
    assert.equal(s.v!.delegatedStake, '200');
    assert.deepEqual(s.v!.partners, [{ address: P, amount: '0', shares: '0', leaving: '500', withdrawEpoch: 7 }]);
    assert.deepEqual(s.d, [{ validatorId: 5, delegator: D, shares: '200', stake: '200', unbonding: '100', rewardsClaimed: '9' }]);
    root.stakingEvent('DelegatorUnstaked', { validatorId: 5n, user: D, amount: 100n });
    root.stakingEvent('PartnerLeft', { validatorId: 5n, partner: P, amount: 500n });
    // A second delegator, then everything of the first sold: the delegator count follows.
    delegate(root, 5, D2, 50n, E18 + 250n);
    root.stakingEvent('ShareBurned', { validatorId: 5n, user: D, amount: 200n, tokens: 200n });
    root.stakingEvent('StakeUpdate', { validatorId: 5n, newAmount: E18 + 50n });
    await run(net, 8, root);
    s = await agreed(net, 5);
    assert.equal(s.v!.delegators, 1);
    assert.equal(s.v!.delegatedStake, '50');
    assert.equal(s.v!.totalStake, String(E18 + 50n));
    assert.deepEqual(s.v!.partners, [], 'a partner that left and claimed is gone');
    assert.deepEqual(s.d, [{ validatorId: 5, delegator: D, shares: '0', stake: '0', unbonding: '200', rewardsClaimed: '9' }]);
    assert.deepEqual(await net.nodes[0]!.app.queries.staking.delegators(5), [D, D2].sort());
    assert.equal(net.nodes[0]!.app.poolSize, 0, 'every event applied');
    // Node 0 counted what it applied, by event.
    const counted = Object.fromEntries(
      ((await metrics.getSingleMetric('bttc_delivery_stake_events_total')!.get()).values as { labels: { event: string; outcome: string }; value: number }[]).map((x) => [
        `${x.labels.event}/${x.labels.outcome}`,
        x.value,
      ]),
    );
    assert.deepEqual(counted, {
      'StakeUpdate/applied': 6,
      'ShareMinted/applied': 2,
      'ShareBurned/applied': 2,
      'UpdateCommissionRate/applied': 1,
      'PartnerJoined/applied': 1,
      'PartnerLeaveInit/applied': 1,
      'PartnerLeft/applied': 1,
      'DelegatorClaimedRewards/applied': 1,
      'DelegatorUnstaked/applied': 1,
    });
    // A restart reads the same records from disk.
    const n0 = net.nodes[0]!;
    const was = await stakeOf(n0, 5);
    await closeNode(n0, false);
    const reopened = await openNode(n0.key, genesisOf(net.keys), { clock: net.clock, dir: n0.dir });
    net.nodes[0] = reopened;
    cleanup.push(reopened);
    assert.equal(await stakeOf(reopened, 5), was);
  });

  it('replays are refused: a re-delivered event is not pooled again and a block carrying it is invalid', async () => {
    const net = await network(4, 62);
    const root = new FakeRoot();
    root.staked(5, key(10, 62), FAR);
    const [minted] = delegate(root, 5, D, 300n, E18 + 300n);
    await run(net, 6, root);
    const before = await agreed(net, 5);
    assert.equal(before.v!.delegatedStake, '300');
    for (const n of net.nodes) {
      await n.app.onRootEvent(minted!);
      assert.equal(n.app.poolSize, 0, 'a processed event does not enter the pool again');
    }
    await run(net, 4, root);
    assert.deepEqual(await agreed(net, 5), before, 'nothing applied twice');
    // A proposer that includes it anyway proposes an invalid block.
    const app = net.nodes[0]!.app;
    const block = encodeBlock({ height: app.height + 1, time: app.time + 1000, lastCommit: { round: 0, votes: [] }, txs: [stakeTxFromEvent(minted!)!] }, new TxCodecs(BUILTIN_TX_CODECS));
    assert.match((await app.invalidReason(app.height + 1, block)) ?? '', /tx 0: stake sequence \d+ already processed/);
  });

  it('an event counts only when > 2/3 of the validators saw it on their own root chain; events ahead of their cause wait', async () => {
    const net = await network(4, 63);
    const root = new FakeRoot();
    // A delegation to validator 6 arrives before its Staked event, and a sell before its buy.
    root.stakingEvent('ShareBurned', { validatorId: 5n, user: D, amount: 100n, tokens: 100n });
    delegate(root, 6, D, 70n, E18 + 70n);
    await run(net, 6, root);
    assert.equal((await agreed(net, 6)).v, null, 'unknown validator: waits');
    assert.equal(net.nodes[0]!.app.poolSize, 3, 'all three wait in the pool');
    root.staked(6, key(11, 63), FAR);
    root.staked(5, key(10, 63), FAR);
    await run(net, 8, root);
    assert.equal((await agreed(net, 6)).v!.delegatedStake, '70');
    assert.equal(net.nodes[0]!.app.poolSize, 1, 'the sell still waits for its buy');
    delegate(root, 5, D, 100n, E18 + 100n);
    await run(net, 8, root);
    assert.equal((await agreed(net, 5)).d.find((d) => d.validatorId === 5)?.unbonding, '100', 'the sell applied after its buy');
    assert.equal(net.nodes[0]!.app.poolSize, 0);

    // Only two of four watchers saw this one: 2/4 is not > 2/3, so it does not count.
    const ev = root.stakingEvent('UpdateCommissionRate', { validatorId: 5n, newCommissionRate: 20n, oldCommissionRate: 0n });
    for (const n of net.nodes.slice(0, 2)) {
      await n.app.onRootEvent(ev);
      n.delivered = root.events.length;
    }
    await run(net, 8, root, false);
    assert.equal((await agreed(net, 5)).v!.commissionRate, '0', 'not applied on half the votes');
    // The other two see it now: it counts.
    await run(net, 8, root);
    assert.equal((await agreed(net, 5)).v!.commissionRate, '20');

    // A validator whose watcher saw a different event at that position votes No: a forged amount never applies.
    const real = root.stakingEvent('UpdateCommissionRate', { validatorId: 5n, newCommissionRate: 30n, oldCommissionRate: 20n });
    const forged: RootEvent = { ...real, args: { ...real.args, newCommissionRate: 99n } };
    await net.nodes[0]!.app.onRootEvent(forged);
    net.nodes[0]!.delivered = root.events.length;
    await run(net, 10, root);
    assert.equal((await agreed(net, 5)).v!.commissionRate, '30', 'the event the others saw, not the forged one');
  });
});

describe('stake REST routes', () => {
  it('validator (BTTC fields first, then stake), delegator, and clear 400s', async () => {
    const net = await network(4, 64);
    const root = new FakeRoot();
    root.staked(5, key(10, 64), FAR);
    delegate(root, 5, D, 300n, E18 + 300n);
    root.stakingEvent('UpdateCommissionRate', { validatorId: 5n, newCommissionRate: 10n, oldCommissionRate: 0n });
    await run(net, 8, root);
    const server = new DeliveryRestServer({}, { app: net.nodes[0]!.app, metrics: new Registry() });
    const base = `http://127.0.0.1:${(await server.listen()).port}`;
    try {
      const text = async (p: string) => {
        const r = await fetch(base + p);
        return { status: r.status, body: await r.text() };
      };
      const v5 = await text('/staking/validator/5');
      assert.equal(v5.status, 200);
      const r5 = (JSON.parse(v5.body) as { result: Record<string, unknown> }).result;
      assert.deepEqual(T.check(r5, ValidatorWithStake), []);
      assert.deepEqual(Object.keys(r5), [
        'ID',
        'startEpoch',
        'endEpoch',
        'nonce',
        'power',
        'pubKey',
        'signer',
        'last_updated',
        'jailed',
        'accum',
        'selfStake',
        'delegatedStake',
        'totalStake',
        'commissionRate',
        'delegatorCount',
        'partners',
      ]);
      assert.ok(v5.body.includes(`"selfStake":"${E18}","delegatedStake":"300","totalStake":"${E18 + 300n}","commissionRate":10,"delegatorCount":1,"partners":[]}`), v5.body);
      // A validator known only from genesis answers BTTC's fields alone.
      const v1 = (JSON.parse((await text('/staking/validator/1')).body) as { result: Record<string, unknown> }).result;
      assert.deepEqual(Object.keys(v1), ['ID', 'startEpoch', 'endEpoch', 'nonce', 'power', 'pubKey', 'signer', 'last_updated', 'jailed', 'accum']);

      const dl = await text(`/staking/delegator/${D.toUpperCase().replace('0X', '0x')}`);
      assert.equal(dl.status, 200);
      assert.deepEqual(T.check((JSON.parse(dl.body) as { result: unknown }).result, Delegations), []);
      assert.ok(dl.body.endsWith(`"result":[{"validatorId":5,"delegator":"${D}","shares":"300","stake":"300","unbonding":"0","rewardsClaimed":"0"}]}`), dl.body);
      assert.ok((await text(`/staking/delegator/0x${'ee'.repeat(20)}`)).body.endsWith('"result":[]}'), 'no delegations: []');
      const bad = await text('/staking/delegator/0x1234');
      assert.equal(bad.status, 400);
      assert.equal(bad.body, '{"error":"invalid delegator address \\"0x1234\\": want 0x followed by 40 hex digits"}');

      // Without a staking-chain reader the voting-power route says so; bad input is refused first.
      assert.equal((await text(`/staking/voting-power/nope`)).status, 400);
      const badBlock = await text(`/staking/voting-power/${D}?block=-1`);
      assert.equal(badBlock.status, 400);
      assert.match(badBlock.body, /invalid block \\"-1\\": want a decimal block number/);
      assert.equal((await text(`/staking/voting-power/${D}`)).status, 503);
    } finally {
      await server.close();
    }
  });
});

describe('stake store layout', () => {
  it('the bytes of the three stake buckets, written through one block batch; a restart reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stake-layout-'));
    const db = await LevelStore.open(dir);
    try {
      const book = new StakeBook(new StakeStore(db));
      const fx = new BlockOutput();
      const state = {} as DeliveryState; // the overlay's key: any object stands for one block's state
      const view = book.view(state, fx);
      view.putValidator({ ...joinStakeRecord(3, 7n, 42n), delegatedStake: '5', delegators: 1 });
      view.putDelegation({ validatorId: 3, delegator: D, shares: '5', stake: '5', unbonding: '0', rewardsClaimed: '0' }, true);
      // Read back inside the block before anything is written, then written as the block's one batch.
      assert.equal((await view.delegation(D, 3))?.shares, '5');
      assert.equal(await book.store.delegation(D, 3), null, 'nothing on disk while the block applies');
      await db.batch(fx.ops);
      const hex = (s: string) => Buffer.from(s).toString('hex');
      assert.deepEqual(Object.fromEntries(await rawEntries(db)), {
        [`f1${beHex(3, 8)}`]: hex(
          '{"validatorId":3,"totalStake":"7","delegatedStake":"5","totalShares":"0","commissionRate":"0","delegators":1,"partners":[],"stakeSequence":"42","commissionSequence":"-1"}',
        ),
        [`f2${'d1'.repeat(20)}${beHex(3, 8)}`]: hex(`{"validatorId":3,"delegator":"${D}","shares":"5","stake":"5","unbonding":"0","rewardsClaimed":"0"}`),
        [`f3${beHex(3, 8)}${'d1'.repeat(20)}`]: '01',
      });
      const again = new StakeStore(db);
      assert.equal((await again.validator(3))?.totalStake, '7');
      assert.deepEqual(
        (await again.delegationsOf(D)).map((d) => d.validatorId),
        [3],
      );
      assert.deepEqual(await again.delegatorsOf(3, 10), [D]);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stake JSON of a validator whose total is not known yet', () => {
  it('self and total are null until a stake update names the total', () => {
    const k = key(1, 65);
    const v = makeValidator({ id: 2, signer: k.address, pubKey: '0x' + Buffer.from(k.publicKey).toString('hex'), votingPower: 1n, startEpoch: 0, endEpoch: 0, nonce: 0 });
    const j = validatorWithStakeJson(v, { ...emptyValidatorStake(2), commissionRate: '5', commissionSequence: '9' }) as Record<string, unknown>;
    assert.deepEqual([j.selfStake, j.delegatedStake, j.totalStake, j.commissionRate], [null, '0', null, 5n]);
    const k2 = validatorWithStakeJson(v, { ...emptyValidatorStake(2), totalStake: '70', delegatedStake: '20', stakeSequence: '3' }) as Record<string, unknown>;
    assert.deepEqual([k2.selfStake, k2.delegatedStake, k2.totalStake], ['50', '20', '70']);
  });
});
