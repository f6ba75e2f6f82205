import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { LevelStore } from '../../src/db/level.ts';
import { RootChainWatcher } from '../../src/root/watcher.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { clerkSequence, stakingSequence } from '../../src/root/sequence.ts';
import { CONTRACTS, FakeRootClient } from './fake-client.ts';
import type { RootContracts } from '../../src/root/interface.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import { beHex, rawEntries } from '../db/raw.ts';
import { StakeKind, stakeTxFromEvent } from '../../src/delivery/modules/staking/stake-txs.ts';

const SIGNER = '0x' + 'ab'.repeat(20);
const PUB = '0x' + '01'.repeat(64);

function populate(client: FakeRootClient): void {
  client.emit('StakingInfo', 'Staked', [SIGNER, 1n, 1n, 1n, 10n, 10n, PUB], 3, 0);
  client.emit('StakingInfo', 'TopUpFee', [SIGNER, 5n], 3, 1);
  client.emit('StateSender', 'StateSynced', [1n, '0x' + '44'.repeat(20), '0xbeef'], 3, 2);
  client.emit('RootChain', 'NewHeaderBlock', [SIGNER, 10000n, 7n, 0n, 255n, '0x' + 'cd'.repeat(32)], 5, 4);
  client.emit('StakingInfo', 'UnstakeInit', [SIGNER, 1n, 2n, 3n, 10n], 9, 0);
  client.emit('StakingInfo', 'SignerChange', [1n, 3n, SIGNER, '0x' + 'ef'.repeat(20), PUB], 12, 1);
}

describe('RootChainWatcher', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: LevelStore;
  beforeEach(async () => {
    dir = makeTempDir('watcher');
    db = await LevelStore.open(dir.path);
  });
  afterEach(async () => {
    await db.close();
    dir.remove();
  });

  it('delivers decoded events in order, only below head - confirmations, with §6 sequences', async () => {
    const client = new FakeRootClient(2);
    populate(client);
    client.head = 10;
    const got: RootEvent[] = [];
    const w = new RootChainWatcher({ confirmations: 2, maxBlockRange: 3 }, { client, db, onEvent: (e) => void got.push(e) });
    assert.equal(await w.poll(), 4);
    assert.deepEqual(
      got.map((e) => e.name),
      ['Staked', 'TopUpFee', 'StateSynced', 'NewHeaderBlock'],
    );
    assert.equal(w.processedBlock, 8);
    assert.ok(
      client.getLogsCalls.every(([a, b]) => b - a + 1 <= 3),
      'respects maxBlockRange',
    );
    const staked = got[0]!;
    assert.equal(staked.args.signer, SIGNER);
    assert.equal(staked.args.validatorId, 1n);
    assert.equal(staked.args.signerPubkey, PUB);
    assert.equal(staked.sequence, stakingSequence(3, 0));
    assert.equal(staked.sequence, 300000n);
    assert.equal(got[2]!.sequence, clerkSequence(3, 2, 2));
    assert.equal(got[2]!.sequence, 30000202n);
    const nh = got[3]!;
    assert.equal(nh.contract, 'RootChain');
    assert.equal(nh.args.headerBlockId, 10000n);
    assert.equal(nh.args.end, 255n);
    // Head moves: the rest arrives, nothing twice.
    client.head = 14;
    assert.equal(await w.poll(), 2);
    assert.deepEqual(
      got.slice(4).map((e) => e.name),
      ['UnstakeInit', 'SignerChange'],
    );
    assert.equal(await w.poll(), 0);
  });

  it('resumes after a restart from the persisted cursor, mid-range, without redelivery', async () => {
    const client = new FakeRootClient(1);
    populate(client);
    client.head = 20;
    const first: RootEvent[] = [];
    // The consumer dies on the 3rd event: two were delivered and recorded.
    const w1 = new RootChainWatcher(
      { confirmations: 0 },
      {
        client,
        db,
        onEvent: (e) => {
          if (first.length === 2) throw new Error('consumer crashed');
          first.push(e);
        },
      },
    );
    await assert.rejects(w1.poll(), /consumer crashed/);
    assert.equal(first.length, 2);
    await db.close();
    db = await LevelStore.open(dir.path);
    const second: RootEvent[] = [];
    const w2 = new RootChainWatcher({ confirmations: 0 }, { client, db, onEvent: (e) => void second.push(e) });
    assert.equal(await w2.poll(), 4);
    const all = [...first, ...second].map((e) => `${e.blockNumber}:${e.logIndex}`);
    assert.deepEqual(all, ['3:0', '3:1', '3:2', '5:4', '9:0', '12:1']);
    assert.equal(new Set(all).size, all.length);
    assert.equal(w2.processedBlock, 20);
  });

  it('keeps running through RPC errors with backoff and catches up', async () => {
    const client = new FakeRootClient(2);
    populate(client);
    client.head = 20;
    client.failNext = 3;
    const got: RootEvent[] = [];
    const { Registry } = await import('prom-client');
    const metrics = new Registry();
    const w = new RootChainWatcher({ confirmations: 1, pollIntervalMs: 5, backoffInitialMs: 5, backoffMaxMs: 20 }, { client, db, metrics, onEvent: (e) => void got.push(e) });
    w.start();
    try {
      await until(
        () => `6 events through the failures (got ${got.length})`,
        5000,
        () => got.length >= 6,
        10,
      );
    } finally {
      await w.stop();
    }
    assert.equal(got.length, 6);
    assert.equal(client.failNext, 0);
    const text = await metrics.metrics();
    assert.match(text, /bttc_root_watcher_errors_total\{root_chain="2"\} 3/);
    assert.match(text, /bttc_root_watcher_events_total\{root_chain="2",event="Staked"\} 1/);
  });

  it('over event-less blocks writes its cursor once per cursorSaveMs and on stop; a crash in between rescans without redelivery', async () => {
    const client = new FakeRootClient(2);
    populate(client);
    client.head = 12;
    let puts = 0;
    const counted = Object.assign(Object.create(db) as LevelStore, {
      put: (k: Uint8Array, v: Uint8Array) => {
        puts++;
        return db.put(k, v);
      },
    });
    const got: RootEvent[] = [];
    const w1 = new RootChainWatcher({ confirmations: 0, cursorSaveMs: 60_000 }, { client, db: counted, onEvent: (e) => void got.push(e) });
    await w1.poll();
    const afterEvents = puts;
    assert.equal(got.length, 6);
    // 30 polls, one new empty block each (a root chain mining every second, idle): no write.
    for (let i = 0; i < 30; i++) {
      client.head++;
      assert.equal(await w1.poll(), 0);
    }
    assert.equal(puts, afterEvents, 'an event-less block moved the stored cursor');
    assert.equal(w1.processedBlock, 42);
    // A crash now: a new watcher resumes from the stored cursor (block 12) and delivers nothing again.
    const again: RootEvent[] = [];
    const w2 = new RootChainWatcher({ confirmations: 0, cursorSaveMs: 0 }, { client, db: counted, onEvent: (e) => void again.push(e) });
    assert.equal(await w2.poll(), 0);
    assert.deepEqual(again, []);
    assert.equal(w2.processedBlock, 42);
    // cursorSaveMs 0 saves every range; stop writes what the lazy rule held back.
    client.head++;
    const before = puts;
    await w2.poll();
    assert.equal(puts, before + 1);
    client.head++;
    await w1.poll();
    await w1.stop();
    const raw = await rawEntries(db);
    assert.match(Buffer.from(raw.get(`52${beHex(2, 8)}`)!, 'hex').toString('utf8'), /^\{"block":44,/);
  });

  it('starts from startBlock when there is no cursor', async () => {
    const client = new FakeRootClient(2);
    populate(client);
    client.head = 20;
    const got: RootEvent[] = [];
    const w = new RootChainWatcher({ confirmations: 0, startBlock: 6 }, { client, db, onEvent: (e) => void got.push(e) });
    await w.poll();
    assert.deepEqual(
      got.map((e) => e.blockNumber),
      [9, 12],
    );
  });
  it('keeps its cursor at 0x52 ‖ root chain id (u64) as JSON, and resumes from one written by hand', async () => {
    const client = new FakeRootClient(2);
    populate(client);
    client.head = 10;
    const got: RootEvent[] = [];
    await new RootChainWatcher({ confirmations: 2 }, { client, db, onEvent: (e) => void got.push(e) }).poll();
    const last = got[got.length - 1]!.sequence;
    const raw = await rawEntries(db);
    assert.deepEqual([...raw.keys()], [`52${beHex(2, 8)}`]);
    assert.equal(Buffer.from(raw.get(`52${beHex(2, 8)}`)!, 'hex').toString('utf8'), `{"block":8,"lastSequence":"${last}"}`);
    // Another root chain's cursor, as an older node wrote it: only events after it are delivered.
    const other = new FakeRootClient(7);
    populate(other);
    other.head = 20;
    await db.put(Buffer.from(`52${beHex(7, 8)}`, 'hex'), Buffer.from(`{"block":9,"lastSequence":"${stakingSequence(9, 0)}"}`));
    const resumed: RootEvent[] = [];
    await new RootChainWatcher({ confirmations: 0 }, { client: other, db, onEvent: (e) => void resumed.push(e) }).poll();
    assert.deepEqual(
      resumed.map((e) => e.blockNumber),
      [12],
    );
  });
});

describe('RootChainWatcher: staking events from StakingInfo', () => {
  let dir: { path: string; remove: () => void };
  let db: LevelStore;
  beforeEach(async () => {
    dir = makeTempDir('watcher-si');
    db = await LevelStore.open(dir.path);
  });
  afterEach(async () => {
    await db.close();
    dir.remove();
  });

  it('asks for StakingInfo, RootChain and StateSender logs, not the StakeManager\'s; staking events keep contract "StakeManager"', async () => {
    const client = new FakeRootClient(1);
    const asked: string[][] = [];
    const getLogs = client.getLogs.bind(client);
    client.getLogs = (from, to, addresses) => {
      asked.push(addresses);
      return getLogs(from, to, addresses);
    };
    client.emit('StakingInfo', 'StakeUpdate', [1n, 42n], 2, 0);
    client.emit('StakingInfo', 'Restaked', [1n, 42n, 100n], 2, 1);
    client.emit('StakingInfo', 'CheckpointSyncAck', [SIGNER, 2n, 7n, 0n, 255n], 2, 2);
    // A log at the StakeManager's address (BTTC's emits none; ours only bookkeeping) is not followed.
    client.emit('StakeManager', 'NewEpoch', [2n, 4n], 2, 3);
    client.head = 5;
    const got: RootEvent[] = [];
    const w = new RootChainWatcher({ confirmations: 0 }, { client, db, onEvent: (e) => void got.push(e) });
    assert.equal(await w.poll(), 3);
    assert.ok(asked.length > 0);
    for (const a of asked) assert.deepEqual([...a].sort(), [CONTRACTS.rootChain, CONTRACTS.stakingInfo!, CONTRACTS.stateSender, CONTRACTS.governor!].sort());
    assert.deepEqual(
      got.map((e) => [e.contract, e.name]),
      [
        ['StakeManager', 'StakeUpdate'],
        ['StakeManager', 'Restaked'],
        ['StakeManager', 'CheckpointSyncAck'],
      ],
    );
    assert.deepEqual(got[0]!.args, { validatorId: 1n, newAmount: 42n }, "BTTC's StakeUpdate: no nonce");
    assert.deepEqual(got[2]!.args, { proposer: SIGNER, chainId: 2n, checkpointId: 7n, start: 0n, end: 255n });
    assert.equal(got[0]!.sequence, stakingSequence(2, 0));
  });

  it('without a StakingInfo address (a submit-only tool) it follows RootChain and StateSender only', async () => {
    const client = new FakeRootClient(2);
    (client as { contracts: RootContracts }).contracts = { ...CONTRACTS, stakingInfo: null, governor: null };
    client.emit('StakingInfo', 'Staked', [SIGNER, 1n, 1n, 1n, 10n, 10n, PUB], 1, 0);
    client.emit('RootChain', 'NewHeaderBlock', [SIGNER, 10000n, 7n, 0n, 255n, '0x' + 'cd'.repeat(32)], 1, 1);
    client.head = 3;
    const got: RootEvent[] = [];
    await new RootChainWatcher({ confirmations: 0 }, { client, db, onEvent: (e) => void got.push(e) }).poll();
    assert.deepEqual(
      got.map((e) => e.name),
      ['NewHeaderBlock'],
    );
  });
});

describe('RootChainWatcher: delegation events', () => {
  let dir: { path: string; remove: () => void };
  let db: LevelStore;
  beforeEach(async () => {
    dir = makeTempDir('watcher-deleg');
    db = await LevelStore.open(dir.path);
  });
  afterEach(async () => {
    await db.close();
    dir.remove();
  });

  const USER = '0x' + 'c1'.repeat(20);

  it("decodes BTTC's delegation events and the partnership events from StakingInfo into stake transactions", async () => {
    const client = new FakeRootClient(2);
    client.emit('StakingInfo', 'ShareMinted', [2n, USER, 100n, 90n], 2, 0);
    client.emit('StakingInfo', 'StakeUpdate', [2n, 1100n], 2, 1);
    client.emit('StakingInfo', 'ShareBurned', [2n, USER, 40n, 36n], 3, 0);
    client.emit('StakingInfo', 'DelegatorClaimedRewards', [2n, USER, 7n], 3, 1);
    client.emit('StakingInfo', 'DelegatorRestaked', [2n, USER, 67n], 3, 2);
    client.emit('StakingInfo', 'DelegatorUnstaked', [2n, USER, 40n], 4, 0);
    client.emit('StakingInfo', 'UpdateCommissionRate', [2n, 10n, 0n], 4, 1);
    client.emit('StakingInfo', 'PartnerJoined', [2n, USER, 500n, 500n], 4, 2);
    client.emit('StakingInfo', 'PartnerLeaveInit', [2n, USER, 500n, 9n], 4, 3);
    client.emit('StakingInfo', 'PartnerLeft', [2n, USER, 500n], 4, 4);
    client.emit('StakingInfo', 'Unstaked', [USER, 2n, 1000n, 5000n], 4, 5);
    client.head = 4;
    const got: RootEvent[] = [];
    await new RootChainWatcher({ confirmations: 0 }, { client, db, onEvent: (e) => void got.push(e) }).poll();
    const txs = got.map((e) => stakeTxFromEvent(e));
    assert.deepEqual(
      txs.map((t) => t && [t.kind, t.validatorId, t.account, t.amount, t.aux]),
      [
        [StakeKind.ShareMinted, 2, USER, 100n, 90n],
        [StakeKind.StakeUpdate, 2, '0x' + '00'.repeat(20), 1100n, 0n],
        [StakeKind.ShareBurned, 2, USER, 40n, 36n],
        [StakeKind.DelegatorClaimedRewards, 2, USER, 7n, 0n],
        [StakeKind.DelegatorRestaked, 2, USER, 67n, 0n],
        [StakeKind.DelegatorUnstaked, 2, USER, 40n, 0n],
        [StakeKind.UpdateCommissionRate, 2, '0x' + '00'.repeat(20), 10n, 0n],
        [StakeKind.PartnerJoined, 2, USER, 500n, 500n],
        [StakeKind.PartnerLeaveInit, 2, USER, 500n, 9n],
        [StakeKind.PartnerLeft, 2, USER, 500n, 0n],
        [StakeKind.ValidatorUnstaked, 2, '0x' + '00'.repeat(20), 1000n, 0n],
      ],
    );
    assert.deepEqual(
      txs.map((t) => t?.ref.sequence),
      [0, 1]
        .map((i) => stakingSequence(2, i))
        .concat(
          [0, 1, 2].map((i) => stakingSequence(3, i)),
          [0, 1, 2, 3, 4, 5].map((i) => stakingSequence(4, i)),
        ),
    );
  });

  it('reorg safety: a delegation inside the confirmation window that a reorg replaces is never delivered', async () => {
    const client = new FakeRootClient(2);
    client.emit('StakingInfo', 'ShareMinted', [2n, USER, 100n, 100n], 5, 0);
    client.head = 6; // block 5 is 1 deep: not confirmed with 3 confirmations
    const got: RootEvent[] = [];
    const w = new RootChainWatcher({ confirmations: 3 }, { client, db, onEvent: (e) => void got.push(e) });
    assert.equal(await w.poll(), 0);
    // The reorg: block 5 is replaced by one with a different delegation (another amount, log index 1).
    client.logs = [];
    client.emit('StakingInfo', 'ShareMinted', [2n, USER, 250n, 250n], 5, 1);
    client.head = 8;
    assert.equal(await w.poll(), 1);
    assert.deepEqual(
      got.map((e) => [e.name, e.args.amount, e.sequence]),
      [['ShareMinted', 250n, stakingSequence(5, 1)]],
    );
    // Later polls deliver it no more.
    client.head = 20;
    assert.equal(await w.poll(), 0);
  });
});
