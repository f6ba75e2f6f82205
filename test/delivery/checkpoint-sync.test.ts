/**
 * Checkpoint sync in Delivery, with two root chains: Ethereum (2, the staking chain here, as in a
 * devnet without TRON) and BSC (3). Four validators driven height by height (manual round-0
 * consensus, real signed precommits carrying side votes). A BSC checkpoint acked → its sync record
 * proposed, signed ⌊2n/3⌋+1, submitted once by its submitter to the staking chain's StakeManager →
 * CheckpointSyncAck mirrored once; nothing for the staking chain's own checkpoints.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AbiCoder } from 'ethers';
import type { NodeConfig } from '../../src/config/types.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { decodeBlock, encodeBlock } from '../../src/delivery/app/codec.ts';
import { CheckpointSubmission, type CheckpointSubmitterLike } from '../../src/delivery/modules/checkpoint/submission.ts';
import { CheckpointStore } from '../../src/delivery/modules/checkpoint/store.ts';
import { syncVerdict } from '../../src/delivery/modules/checkpoint/sync.ts';
import { CHECKPOINT_SYNC_ACK_TX, CHECKPOINT_SYNC_TX, type CheckpointSyncAckTx, type CheckpointSyncTx } from '../../src/delivery/modules/checkpoint/sync-txs.ts';
import { decodeCheckpointSignBytes } from '../../src/protocol/checkpoint/checkpoint.ts';
import { checkpointSyncVoteHash, type CheckpointSync } from '../../src/protocol/checkpoint/checkpoint-sync.ts';
import { rootInterfaces, type RootEvent } from '../../src/root/abi.ts';
import { stakingSequence } from '../../src/root/sequence.ts';
import type { CheckpointSubmission as SubmitRequest, CheckpointSyncSubmission, SubmitOutcome } from '../../src/root/submitter.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { recoverAddress } from './recover.ts';
import { closeNode, decideHeight, devConfig, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';

const ETH = 2;
const BSC = 3;

function twoChainConfig(): NodeConfig {
  const c = devConfig();
  const eth = c.rootChains[0]!;
  return { ...c, rootChains: [eth, { ...eth, name: 'bsc', id: BSC }] };
}

const config = twoChainConfig();
const chainId = config.delivery.chainId;

/** Both root chains' events in one order (each node's watchers deliver them in it), and their contracts' state. */
class FakeChains {
  block = 100;
  readonly events: RootEvent[] = [];
  readonly headerBlock = new Map<number, bigint>();
  readonly lastEnd = new Map<number, number>();
  /** The staking chain's StakeManager: synced number per root chain. */
  readonly synced = new Map<number, number>();
  private n = 0;

  emit(rootChainId: number, contract: RootEvent['contract'], name: string, args: Record<string, unknown>): RootEvent {
    this.block++;
    const ev: RootEvent = {
      rootChainId,
      contract,
      name,
      args,
      blockNumber: this.block,
      logIndex: 0,
      txHash: bytesToHex(keccak256(new TextEncoder().encode(`tx-${this.n++}`))),
      sequence: stakingSequence(this.block, 0),
    };
    this.events.push(ev);
    return ev;
  }
}

/** One chain's submitter: checkpoints land as NewHeaderBlock; sync records (staking chain only) as CheckpointSyncAck. */
class ChainSubmitter implements CheckpointSubmitterLike {
  readonly checkpoints: SubmitRequest[] = [];
  readonly syncs: CheckpointSyncSubmission[] = [];
  /** False: sync records are "sent" but never land (a lost transaction). */
  landSyncs = true;
  private readonly chains: FakeChains;
  private readonly id: number;

  constructor(chains: FakeChains, id: number) {
    this.chains = chains;
    this.id = id;
  }

  async submit(cp: SubmitRequest): Promise<SubmitOutcome> {
    this.checkpoints.push(cp);
    const data = decodeCheckpointSignBytes(cp.calldata.subarray(4 + 96, 4 + 96 + 224));
    const last = this.chains.lastEnd.get(this.id) ?? -1;
    if (data.end <= last) return { outcome: 'already-submitted', attempts: 0 };
    if (data.start !== last + 1) return { outcome: 'failed', reason: 'start must be the previous end + 1', attempts: 1 };
    this.chains.lastEnd.set(this.id, data.end);
    const hb = (this.chains.headerBlock.get(this.id) ?? 0n) + 10000n;
    this.chains.headerBlock.set(this.id, hb);
    this.chains.emit(this.id, 'RootChain', 'NewHeaderBlock', { proposer: data.proposer, headerBlockId: hb, reward: 0n, start: BigInt(data.start), end: BigInt(data.end), root: data.rootHash });
    return { outcome: 'submitted', txHash: '0x' + '00'.repeat(32), attempts: 1, gasUsed: 0n, blockNumber: this.chains.block };
  }

  async submitSync(rec: CheckpointSyncSubmission): Promise<SubmitOutcome> {
    this.syncs.push(rec);
    const [data] = rootInterfaces().StakeManager.decodeFunctionData('submitCheckpointSync', rec.calldata) as unknown as [string];
    const [proposer, start, end, number, syncedChain] = AbiCoder.defaultAbiCoder().decode(['address', 'uint256', 'uint256', 'uint256', 'uint256'], data) as unknown as [
      string,
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    const have = this.chains.synced.get(Number(syncedChain)) ?? 0;
    if (Number(number) <= have) return { outcome: 'already-submitted', attempts: 0 };
    if (!this.landSyncs) return { outcome: 'failed', reason: 'test: lost', attempts: 1 };
    this.chains.synced.set(Number(syncedChain), Number(number));
    this.chains.emit(this.id, 'StakeManager', 'CheckpointSyncAck', { proposer: proposer.toLowerCase(), chainId: syncedChain, checkpointId: number, start, end });
    return { outcome: 'submitted', txHash: '0x' + '11'.repeat(32), attempts: 1, gasUsed: 0n, blockNumber: this.chains.block };
  }
}

const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

async function network(seed: number) {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, seed));
  const genesis = genesisOf(keys);
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const chains = new FakeChains();
  const eth = new ChainSubmitter(chains, ETH);
  const bsc = new ChainSubmitter(chains, BSC);
  const submitters = new Map<number, CheckpointSubmitterLike>([
    [ETH, eth],
    [BSC, bsc],
  ]);
  const nodes: NodeHandle[] = [];
  for (const k of keys) {
    const n = await openNode(k, genesis, { config, clock, submitters });
    n.bttc.latest = 40;
    nodes.push(n);
  }
  cleanup.push(...nodes);
  const delivered = new Map<NodeHandle, number>();
  const step = async (): Promise<void> => {
    clock.t += 2000;
    for (const n of nodes) {
      let i = delivered.get(n) ?? 0;
      while (i < chains.events.length) await n.app.onRootEvent(chains.events[i++]!);
      delivered.set(n, i);
    }
    await decideHeight(nodes, chainId);
    for (const n of nodes) await n.submission.whenSettled();
  };
  const until = async (what: string, max: number, done: () => boolean): Promise<void> => {
    for (let i = 0; i < max && !done(); i++) await step();
    assert.ok(done(), `${what} within ${max} heights`);
  };
  return { keys, chains, eth, bsc, nodes, step, until, app: nodes[0]!.app };
}

/** Every sync tx committed so far on node n. */
async function syncTxs(n: NodeHandle): Promise<CheckpointSyncTx[]> {
  const out: CheckpointSyncTx[] = [];
  for (let h = 1; h <= n.app.height; h++) for (const tx of decodeBlock((await n.store.getBlock(h))!).txs) if (tx.type === CHECKPOINT_SYNC_TX) out.push(tx as CheckpointSyncTx);
  return out;
}

describe('checkpoint sync (Delivery, two root chains)', () => {
  it('a BSC checkpoint acked → its record signed 2/3+1, submitted once to the staking chain, acked once; none for the staking chain', async () => {
    const net = await network(61);
    const { app, chains, eth, bsc } = net;
    assert.equal(app.stakingChainId, ETH, 'no TRON: the first root chain is the staking chain');
    assert.deepEqual(app.queries.checkpoint.rootChainIds(), [ETH, BSC]);

    await net.until('checkpoints acked on both chains', 20, () => app.ackCount(ETH) === 1 && app.ackCount(BSC) === 1);
    const bscCp = (await app.queries.checkpoint.latest(BSC))!;
    assert.equal(bscCp.start, 0);
    assert.equal(bscCp.end, 31);

    await net.until('the BSC sync record submitted', 8, () => eth.syncs.length === 1);
    assert.equal(bsc.syncs.length, 0, 'records go to the staking chain only');
    const rec = eth.syncs[0]!;
    assert.equal(rec.rootChainId, BSC);
    assert.equal(rec.number, 1n);
    // The calldata is BTTC's record with ⌊4·2/3⌋+1 = 3 or more signatures, sorted by signer.
    const [data, sigs] = rootInterfaces().StakeManager.decodeFunctionData('submitCheckpointSync', rec.calldata) as unknown as [string, bigint[][]];
    const record: CheckpointSync = { proposer: bscCp.proposer, start: 0, end: 31, checkpointNumber: 1, rootChainId: BSC };
    assert.equal(data, AbiCoder.defaultAbiCoder().encode(['address', 'uint256', 'uint256', 'uint256', 'uint256'], [record.proposer, 0, 31, 1, BSC]));
    assert.ok(sigs.length >= 3, `${sigs.length} signatures`);
    const hash = checkpointSyncVoteHash(record);
    const signers = sigs.map((t) => recoverAddress(hash, '0x' + t[0]!.toString(16).padStart(64, '0') + t[1]!.toString(16).padStart(64, '0') + (Number(t[2]!) - 27).toString(16).padStart(2, '0')));
    assert.deepEqual(signers, [...signers].sort());
    for (const s of signers)
      assert.ok(
        net.keys.some((k) => k.address === s),
        `${s} is a validator`,
      );

    // Only the record's submitter sent it (once); every node holds it in the sync buffer until the ack.
    await net.until('the sync ack mirrored', 6, () => app.queries.checkpoint.syncedCount(BSC) === 1);
    for (const n of net.nodes) {
      assert.equal(n.app.queries.checkpoint.syncedCount(BSC), 1);
      assert.equal(n.app.queries.checkpoint.syncBuffer(BSC), null, 'the ack cleared the sync buffer');
      const stored = await n.app.queries.checkpoint.synced(BSC, 1);
      assert.ok(stored);
      assert.deepEqual(
        { ...stored, timestamp: 0, deliveryHeight: 0 },
        {
          rootChainId: BSC,
          number: 1,
          stakingChainId: ETH,
          proposer: record.proposer,
          start: 0,
          end: 31,
          signatureCount: sigs.length,
          timestamp: 0,
          deliveryHeight: 0,
          txHash: chains.events.find((e) => e.name === 'CheckpointSyncAck')!.txHash,
        },
      );
      assert.equal(n.app.poolSize, 0);
    }
    assert.equal(eth.syncs.length, 1, 'submitted once');
    assert.equal(app.queries.checkpoint.syncedCount(ETH), 0, 'the staking chain syncs nothing of its own');

    // The same ack again (a watcher replay) is ignored, and a block carrying it is invalid.
    const ackEv = chains.events.find((e) => e.name === 'CheckpointSyncAck')!;
    await app.onRootEvent(ackEv);
    assert.equal(app.poolSize, 0);
    let ackTx: CheckpointSyncAckTx | undefined;
    for (let h = 1; h <= app.height && !ackTx; h++) ackTx = decodeBlock((await net.nodes[0]!.store.getBlock(h))!).txs.find((t) => t.type === CHECKPOINT_SYNC_ACK_TX) as CheckpointSyncAckTx | undefined;
    assert.ok(ackTx);
    const h = app.height + 1;
    const base = { height: h, time: app.time + 1000, lastCommit: { round: 0, votes: [] }, txs: [] };
    assert.match((await app.invalidReason(h, encodeBlock({ ...base, txs: [ackTx] })))!, /already processed/);
    // An ack claimed from BSC itself (only the staking chain's StakeManager takes records) is refused.
    const fromBsc = { ...ackTx, ref: { ...ackTx.ref, rootChainId: BSC, sequence: ackTx.ref.sequence + 1n } };
    assert.match((await app.invalidReason(h, encodeBlock({ ...base, txs: [fromBsc] })))!, /sync acks come from the staking chain 2, not 3/);
    // A record for a number already synced, or the staking chain's own checkpoint.
    const again: CheckpointSyncTx = { type: CHECKPOINT_SYNC_TX, sync: record };
    assert.match((await app.invalidReason(h, encodeBlock({ ...base, txs: [again] })))!, /the next to sync is 2/);
    const own: CheckpointSyncTx = { type: CHECKPOINT_SYNC_TX, sync: { ...record, rootChainId: ETH } };
    assert.match((await app.invalidReason(h, encodeBlock({ ...base, txs: [own] })))!, /is the staking chain/);
    const ahead: CheckpointSyncTx = { type: CHECKPOINT_SYNC_TX, sync: { ...record, checkpointNumber: 2 } };
    assert.match((await app.invalidReason(h, encodeBlock({ ...base, txs: [ahead] })))!, /not acked yet/);

    // The next BSC checkpoint is synced as #2; every committed record names BSC and a distinct number.
    for (const n of net.nodes) n.bttc.latest = 80;
    await net.until('the second BSC checkpoint synced', 30, () => app.queries.checkpoint.syncedCount(BSC) === 2);
    assert.equal(eth.syncs.length, 2);
    assert.deepEqual(
      eth.syncs.map((s) => s.number),
      [1n, 2n],
    );
    const txs = await syncTxs(net.nodes[0]!);
    assert.deepEqual(
      txs.map((t) => [t.sync.rootChainId, t.sync.checkpointNumber]),
      [
        [BSC, 1],
        [BSC, 2],
      ],
    );
    assert.equal(chains.events.filter((e) => e.name === 'CheckpointSyncAck').length, 2);
  });

  it('a record whose submission is lost is proposed again after bufferTime/5 and taken once', async () => {
    const net = await network(62);
    const { app, chains, eth } = net;
    eth.landSyncs = false;
    await net.until('the BSC checkpoint acked', 20, () => app.ackCount(BSC) === 1);
    await net.until('the first sync submission', 8, () => eth.syncs.length === 1);
    const buf = app.queries.checkpoint.syncBuffer(BSC)!;
    assert.ok(buf, 'approved and waiting');
    assert.equal(buf.sync.checkpointNumber, 1);
    assert.equal(buf.submitter, buf.submitter.toLowerCase());
    // A restart of its submitter re-submits the waiting record when the listener attaches; nobody else's does.
    const owner = net.nodes.find((n) => n.key.address === buf.submitter)!;
    const other = net.nodes.find((n) => n !== owner)!;
    for (const n of [other, owner]) {
      const again = new CheckpointSubmission({ submitters: new Map([[ETH, eth]]), address: n.app.address });
      again.attach(n.app);
      await again.whenSettled();
    }
    assert.equal(eth.syncs.length, 2, 'only the submitter named in the record sent it again');
    assert.equal(eth.syncs[1]!.number, 1n);
    // Within bufferTime/5 (12 s in the devnet preset) nothing new is proposed.
    for (let i = 0; i < 3; i++) await net.step();
    assert.equal((await syncTxs(net.nodes[0]!)).length, 1);
    eth.landSyncs = true;
    await net.until('the record proposed again, submitted and acked', 12, () => app.queries.checkpoint.syncedCount(BSC) === 1);
    assert.equal((await syncTxs(net.nodes[0]!)).length, 2, 'proposed twice');
    assert.ok(eth.syncs.length >= 3);
    assert.ok(eth.syncs.every((s) => s.number === 1n));
    assert.equal(chains.events.filter((e) => e.name === 'CheckpointSyncAck').length, 1, 'the StakeManager took it once');
    for (let i = 0; i < 4; i++) await net.step();
    for (const n of net.nodes) assert.equal(n.app.queries.checkpoint.syncedCount(BSC), 1);
  });

  it('a validator votes No on a record that differs from the acked checkpoint, Yes with its signature on the real one', async () => {
    const net = await network(63);
    const { app } = net;
    await net.until('the BSC checkpoint acked', 20, () => app.ackCount(BSC) === 1);
    const n = net.nodes[1]!;
    const cp = (await app.queries.checkpoint.latest(BSC))!;
    const store = new CheckpointStore(n.store.db);
    const real: CheckpointSync = { proposer: cp.proposer, start: cp.start, end: cp.end, checkpointNumber: 1, rootChainId: BSC };
    const yes = await syncVerdict({ type: CHECKPOINT_SYNC_TX, sync: real }, { store, signerKey: n.key.secretKey });
    assert.equal(yes.vote, 'yes');
    assert.equal(recoverAddress(checkpointSyncVoteHash(real), bytesToHex((yes as { signature: Uint8Array }).signature)), n.key.address);
    for (const forged of [
      { ...real, end: real.end + 1 },
      { ...real, proposer: '0x' + '99'.repeat(20) },
    ]) {
      assert.deepEqual(await syncVerdict({ type: CHECKPOINT_SYNC_TX, sync: forged }, { store, signerKey: n.key.secretKey }), { vote: 'no' });
    }
    // A checkpoint this node has no record of: no opinion.
    assert.deepEqual(await syncVerdict({ type: CHECKPOINT_SYNC_TX, sync: { ...real, checkpointNumber: 9 } }, { store, signerKey: n.key.secretKey }), { vote: 'abstain' });
    assert.ok(hexToBytes(cp.proposer).length === 20);
  });
});
