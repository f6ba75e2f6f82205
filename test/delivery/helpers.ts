/**
 * Fakes for the modules around the Delivery app (Bttc headers, root-chain events, submitters, span
 * seeds) and a manual consensus driver: one round-0 proposal per height, every app validates it, every
 * validator signs a real precommit carrying its side votes, every app commits. The driver stands in
 * for the consensus engine only; the simulation test runs the real engine.
 */
import type { GovRootReader } from '../../src/delivery/modules/gov/reader.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/types.ts';
import type { Registry } from 'prom-client';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { LevelStore } from '../../src/db/level.ts';
import type { CheckpointHeader } from '../../src/merkle/checkpoint.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { clerkSequence, stakingSequence } from '../../src/root/sequence.ts';
import type { CheckpointSubmission as SubmitRequest, SubmitOutcome } from '../../src/root/submitter.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { DeliveryApp, type DeliveryGenesis } from '../../src/delivery/app/app.ts';
import type { BttcHeaderReader, SpanSeedSource } from '../../src/delivery/app/interface.ts';
import { CheckpointSubmission, type CheckpointSubmitterLike } from '../../src/delivery/modules/checkpoint/submission.ts';
import { proposalDigest, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType, type Commit, type Vote } from '../../src/delivery/consensus/types.ts';
import { decodeCheckpointSignBytes } from '../../src/protocol/checkpoint/checkpoint.ts';
import { testKey } from '../helpers/keys.ts';
import { DeliveryStore } from '../../src/delivery/store/store.ts';

export const ROOT_CHAIN_ID = 2; // devnet: Ethereum only, so it is also the staking chain
export const GENESIS_TIME = 1_700_000_000_000;

export function devConfig(): NodeConfig {
  return loadConfig('devnet');
}

export interface Key {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
}

/** Validator i's key (the consensus simulator's keys, through the shared test/helpers/keys.ts), in the shape these tests use. */
export function key(i: number, seed = 7): Key {
  const k = testKey(i, seed);
  return { secretKey: k.secret, publicKey: k.publicKey, address: k.addressHex };
}

export function genesisOf(keys: Key[]): DeliveryGenesis {
  return { time: GENESIS_TIME, validators: keys.map((k, i) => ({ id: i + 1, signer: k.address, pubKey: bytesToHex(k.publicKey), votingPower: 1 })) };
}

/** A Bttc chain of synthetic headers; `tamper` makes this node's copy of one block differ. */
export class FakeBttc implements BttcHeaderReader {
  latest = 0;
  tamper: number | null = null;
  header(n: number): CheckpointHeader {
    const tag = n === this.tamper ? 'forged' : 'block';
    return { number: n, timestamp: 1_600_000_000 + 2 * n, txRoot: keccak256(new TextEncoder().encode(`${tag}-tx-${n}`)), receiptsRoot: keccak256(new TextEncoder().encode(`${tag}-rc-${n}`)) };
  }
  latestNumber(): number {
    return this.latest;
  }
  headers(from: number, to: number): CheckpointHeader[] | null {
    if (to > this.latest || from > to) return null;
    const out: CheckpointHeader[] = [];
    for (let n = from; n <= to; n++) out.push(this.header(n));
    return out;
  }
}

export const spanSeed = async (id: number): Promise<Uint8Array> => keccak256(new TextEncoder().encode(`root-block-${id}`));

/** A shared fake root chain: events in block order, each with its replay sequence. */
export class FakeRoot {
  block = 100;
  stateId = 0n;
  headerBlock = 0n;
  /** End of the last checkpoint the fake RootChain accepted (−1: none). */
  lastEnd = -1;
  readonly events: RootEvent[] = [];
  private txCounter = 0;

  private push(contract: RootEvent['contract'], name: string, args: Record<string, unknown>): RootEvent {
    this.block++;
    const logIndex = 0;
    const txHash = bytesToHex(keccak256(new TextEncoder().encode(`tx-${this.txCounter++}`)));
    const sequence = name === 'StateSynced' ? clerkSequence(this.block, logIndex, ROOT_CHAIN_ID) : stakingSequence(this.block, logIndex);
    const ev: RootEvent = { rootChainId: ROOT_CHAIN_ID, contract, name, args, blockNumber: this.block, logIndex, txHash, sequence };
    this.events.push(ev);
    return ev;
  }

  staked(id: number, k: Key, epoch = 1): RootEvent {
    return this.push('StakeManager', 'Staked', {
      signer: k.address,
      validatorId: BigInt(id),
      nonce: 1n,
      activationEpoch: BigInt(epoch),
      amount: 10n ** 18n,
      total: 10n ** 19n,
      signerPubkey: bytesToHex(k.publicKey.subarray(1)),
    });
  }

  unstakeInit(id: number, nonce: number, deactivationEpoch: number): RootEvent {
    return this.push('StakeManager', 'UnstakeInit', { user: '0x' + '99'.repeat(20), validatorId: BigInt(id), nonce: BigInt(nonce), deactivationEpoch: BigInt(deactivationEpoch), amount: 10n ** 18n });
  }

  /** Any StakingInfo event, reported as the watcher reports it (contract 'StakeManager'). */
  stakingEvent(name: string, args: Record<string, unknown>): RootEvent {
    return this.push('StakeManager', name, args);
  }

  stateSynced(contract: string, data: string): RootEvent {
    this.stateId++;
    return this.push('StateSender', 'StateSynced', { id: this.stateId, contractAddress: contract, data });
  }

  /** A Governor event (ProposalCreated, TallyAnchored), as the watcher reports it. */
  governorEvent(name: string, args: Record<string, unknown>): RootEvent {
    return this.push('Governor', name, args);
  }

  newHeaderBlock(proposer: string, start: number, end: number, root: string): RootEvent {
    this.headerBlock += 10000n;
    return this.push('RootChain', 'NewHeaderBlock', { proposer, headerBlockId: this.headerBlock, reward: 0n, start: BigInt(start), end: BigInt(end), root });
  }
}

/** Records submissions; `land` decides whether the root chain accepts them (emits NewHeaderBlock). */
export class FakeSubmitter implements CheckpointSubmitterLike {
  readonly submitted: SubmitRequest[] = [];
  private readonly root: FakeRoot;
  land = true;
  constructor(root: FakeRoot) {
    this.root = root;
  }
  async submit(cp: SubmitRequest): Promise<SubmitOutcome> {
    this.submitted.push(cp);
    if (!this.land) return { outcome: 'failed', reason: 'test says no', attempts: 1 };
    // calldata: selector ‖ offset ‖ offset ‖ len ‖ 224-byte data ‖ …; the data starts at 4 + 96.
    const data = decodeCheckpointSignBytes(cp.calldata.subarray(4 + 96, 4 + 96 + 224));
    // The RootChain contract's rule: start must follow the last end (a resubmission is "already submitted").
    if (data.end <= this.root.lastEnd) return { outcome: 'already-submitted', attempts: 0 };
    if (data.start !== this.root.lastEnd + 1) return { outcome: 'failed', reason: 'start must be the previous end + 1', attempts: 1 };
    this.root.lastEnd = data.end;
    this.root.newHeaderBlock(data.proposer, data.start, data.end, data.rootHash);
    return { outcome: 'submitted', txHash: '0x' + '00'.repeat(32), attempts: 1, gasUsed: 0n, blockNumber: this.root.block };
  }
}

export interface NodeHandle {
  key: Key;
  dir: string;
  store: DeliveryStore;
  bttc: FakeBttc;
  app: DeliveryApp;
  /** The node's checkpoint submission, listening on the app's committed blocks. */
  submission: CheckpointSubmission;
  /** Root events this node's "watcher" has delivered so far (index into FakeRoot.events). */
  delivered: number;
}

export interface OpenOptions {
  config?: NodeConfig;
  submitters?: Map<number, CheckpointSubmitterLike>;
  clock: { now(): number };
  bttc?: FakeBttc;
  dir?: string;
  spanSeed?: SpanSeedSource;
  /** Open the app without a key (a follower); `k` then only names the node in the test. */
  follower?: boolean;
  /** A registry for the app's and modules' metrics. */
  metrics?: Registry;
  /** The gov module's staking-chain reads (Governor, StakeVotes). */
  gov?: GovRootReader | null;
}

export async function openNode(k: Key, genesis: DeliveryGenesis, o: OpenOptions): Promise<NodeHandle> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'delivery-'));
  const store = new DeliveryStore(await LevelStore.open(dir));
  const bttc = o.bttc ?? new FakeBttc();
  const app = await DeliveryApp.open(
    { config: o.config ?? devConfig(), signerKey: o.follower ? null : k.secretKey },
    { store, bttc, verifier: new InlineVerifier(), clock: o.clock, spanSeed: o.spanSeed ?? spanSeed, metrics: o.metrics, gov: o.gov ?? null },
    genesis,
  );
  const submission = new CheckpointSubmission({ submitters: o.submitters ?? new Map(), address: app.address });
  submission.attach(app);
  return { key: k, dir, store, bttc, app, submission, delivered: 0 };
}

export async function closeNode(n: NodeHandle, remove = true): Promise<void> {
  await n.submission.whenSettled();
  await n.store.close();
  if (remove) rmSync(n.dir, { recursive: true, force: true });
}

/** Feeds every node the root events it has not seen yet (each node's watcher, in order). */
export async function deliverEvents(nodes: NodeHandle[], root: FakeRoot): Promise<void> {
  for (const n of nodes) {
    while (n.delivered < root.events.length) await n.app.onRootEvent(root.events[n.delivered++]!);
  }
}

/**
 * One height decided in round 0 by the consensus set's proposer: every app validates the value,
 * every validator in `signers` precommits with its side votes, every app commits.
 */
export async function decideHeight(nodes: NodeHandle[], chainId: string, signers: NodeHandle[] = nodes): Promise<Uint8Array> {
  const height = nodes[0]!.app.height + 1;
  for (const n of nodes) assert.equal(n.app.height + 1, height, 'nodes out of step');
  const set = nodes[0]!.app.validatorSet(height);
  const proposerAddr = bytesToHex(set.proposer(0).address);
  const proposer = nodes.find((n) => n.key.address === proposerAddr);
  assert.ok(proposer, `proposer ${proposerAddr} is not one of the test nodes`);
  const value = await proposer.app.proposeValue(height, 0);
  for (const n of nodes) {
    const why = await n.app.invalidReason(height, value);
    assert.equal(why, null, `node ${n.key.address} rejects height ${height}: ${why}`);
  }
  const valueId = valueIdOf(value);
  const precommits: Vote[] = [];
  for (const n of signers) {
    if (!set.getByAddress(n.key.address)) continue;
    const extension = n.app.extendVote(height);
    for (const m of nodes) assert.ok(m.app.verifyVoteExtension(height, Buffer.from(n.key.address.slice(2), 'hex'), valueId, extension));
    const signature = signRsv(voteDigest(chainId, { type: MsgType.Precommit, height, round: 0, valueId, extension }), n.key.secretKey);
    precommits.push({ type: MsgType.Precommit, height, round: 0, valueId, validator: Buffer.from(n.key.address.slice(2), 'hex'), extension, signature });
  }
  const proposalSig = signRsv(proposalDigest(chainId, { height, round: 0, validRound: -1, valueId }), proposer.key.secretKey);
  const commit: Commit = { height, round: 0, proposal: { height, round: 0, validRound: -1, proposer: Buffer.from(proposerAddr.slice(2), 'hex'), value, valueId, signature: proposalSig }, precommits };
  for (const n of nodes) await n.app.commitValue(height, value, commit);
  return value;
}

/** Everything a node's Delivery state decides, as one string: equal strings mean the nodes agree. */
export async function fingerprint(n: NodeHandle): Promise<string> {
  const a = n.app;
  return JSON.stringify({
    height: a.height,
    set: a.validatorSetJson(),
    acks: a.ackCount(),
    buffer: a.checkpointBuffer(),
    span: a.lastSpanId,
    spanJson: await a.latestSpanJson(),
    records: await a.eventRecords(1, Number.MAX_SAFE_INTEGER, 100),
    next: a.validatorSet(a.height + 1).validators.map((v) => Buffer.from(v.address).toString('hex')),
    proposer: a.checkpointProposer(),
    lastCheckpointEnd: a.lastCheckpointEnd(),
  });
}
