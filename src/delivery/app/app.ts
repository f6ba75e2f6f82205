/**
 * The Delivery application behind the Tendermint engine (src/delivery/consensus): builds, validates
 * and applies Delivery blocks with the staking, checkpoint, span and clerk modules.
 *
 * Side transactions, as BTTC runs them (Heimdall's side-tx flow): a side tx included at height H
 * has no effect yet. After committing H every validator checks it against its own view (Bttc headers
 * for a checkpoint root, its root-chain watcher for mirrored events, its seed source for a span) and
 * puts its verdict — with its checkpoint signature for a checkpoint Yes — in its precommit at H+1
 * (a vote extension, covered by the vote signature). The proposer of H+2 carries its commit of H+1
 * in the block, every validator re-verifies those precommits, and committing H+2 tallies them: the
 * tx takes effect at ⌊2/3·power⌋+1 Yes (checkpoints: ⌊2n/3⌋+1 valid signatures). Tallying from the
 * block, not from each node's own commit, keeps the result identical on every node.
 *
 * The validator sets change at the end of the block that applies staking events. The Delivery set's
 * proposer (the checkpoint proposer) moves on acks, no-acks and set changes; the consensus set is its
 * Tendermint copy, moved once per height.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeConfig } from '../../config/types.ts';
import { addressFromPublicKey } from '../../crypto/address.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { publicKeyCreate } from '../../crypto/secp256k1.ts';
import type { SignatureVerifier, VerifyItem } from '../../pools/interface.ts';
import type { RootEvent } from '../../root/abi.ts';
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import { checkpointSignBytes } from '../../protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata } from '../../protocol/checkpoint/calldata.ts';
import { valueIdOf, voteDigest } from '../consensus/codec.ts';
import { validatorSetView } from '../consensus/validator-view.ts';
import { isQuorum, quorumThreshold } from '../../protocol/quorum.ts';
import type { Application, ValidatorSetView } from '../consensus/interface.ts';
import { MsgType, type Commit } from '../consensus/types.ts';
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import { makeValidator, validatorToJson, type ValidatorInit, type ValidatorJson } from '../../protocol/validators/validator.ts';
import { spanFromJson, type Span, type SpanJson } from '../../protocol/span/span.ts';
import * as checkpoint from '../modules/checkpoint/index.ts';
import * as clerk from '../modules/clerk/index.ts';
import * as span from '../modules/span/index.ts';
import * as staking from '../modules/staking/index.ts';
import { stakingChainOf, type ApplyOutcome, type ModuleContext } from '../modules/context.ts';
import { DeliveryStore, ProcessedKind, type BlockWrite } from '../store/store.ts';
import type { AckedCheckpoint, EventRecord, StoredSpanJson } from '../store/interface.ts';
import { decodeBlock, decodeSideVotes, encodeBlock, encodeSideVotes, encodeTx } from './codec.ts';
import type { BttcHeaderReader, CheckpointHasher, CheckpointSubmitterLike, DeliveryClock, SpanSeedSource } from './interface.ts';
import { deliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import { commitError, decodeStoredCommit, decodeSyncItem, encodeStoredCommit, encodeSyncItem } from './commit.ts';
import { cloneState, trackOf, type BufferedCheckpoint, type StateData } from './state.ts';
import { isSideTx, SideVote, TxType, type CarriedVote, type DeliveryBlock, type DeliveryTx, type EventRef, type SideVoteEntry } from './types.ts';

export interface DeliveryGenesis {
  /** Genesis time, ms. */
  time: number;
  /** Validators with their 65-byte public keys (power is forced to 1, BTTC's rule). */
  validators: ValidatorInit[];
}

export interface DeliveryAppOptions {
  config: NodeConfig;
  /**
   * This validator's signer key: checkpoint signatures and side votes. Null for a follower, which
   * never proposes or precommits, so it computes no side votes and submits nothing.
   */
  signerKey: Uint8Array | null;
  /** Mirrored root events included per block at most. */
  maxEventsPerBlock?: number;
  /** A proposed block time may be at most this far ahead of our clock. */
  maxFutureMs?: number;
}

export interface DeliveryAppDeps {
  store: DeliveryStore;
  bttc: BttcHeaderReader;
  verifier: SignatureVerifier;
  clock: DeliveryClock;
  spanSeed: SpanSeedSource;
  hasher?: CheckpointHasher | null;
  /** Root chain id → submitter; checkpoints for a chain without one are not submitted by this node. */
  submitters?: Map<number, CheckpointSubmitterLike>;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export interface CommittedBlock {
  height: number;
  block: DeliveryBlock;
  /** Per tx of the block tallied at this height (height − 2) and of this block's own plain txs. */
  outcomes: { height: number; index: number; type: TxType; outcome: ApplyOutcome | 'included'; reason?: string }[];
  approvedCheckpoints: { rootChainId: number; buffer: BufferedCheckpoint }[];
  acked: AckedCheckpoint[];
  spans: StoredSpanJson[];
  eventRecords: EventRecord[];
}

type EventTx = Extract<DeliveryTx, { ref: EventRef }>;

const TX_NAMES: Record<number, string> = { 1: 'staking', 2: 'checkpoint', 3: 'checkpoint-ack', 4: 'checkpoint-noack', 5: 'span', 6: 'event-record' };

function poolKey(rootChainId: number, type: number, sequence: bigint): string {
  return `${rootChainId}/${type}/${sequence}`;
}

function processedKindOf(tx: EventTx): ProcessedKind {
  return tx.type === TxType.Staking ? ProcessedKind.Staking : tx.type === TxType.CheckpointAck ? ProcessedKind.Ack : ProcessedKind.Clerk;
}

function isEventTx(tx: DeliveryTx): tx is EventTx {
  return tx.type === TxType.Staking || tx.type === TxType.CheckpointAck || tx.type === TxType.EventRecord;
}

export class DeliveryApp implements Application {
  readonly config: NodeConfig;
  /** The signer address; null for a follower. */
  readonly address: string | null;
  readonly stakingChainId: number;
  private state: StateData;
  /** Decoded blocks at state.height and state.height − 1 (pending side txs and carried-vote checks). */
  private readonly recent = new Map<number, DeliveryBlock>();
  private readonly pool = new Map<string, { tx: EventTx; bytes: string }>();
  private readonly views = new Map<number, ValidatorSetView>();
  private readonly listeners: ((c: CommittedBlock) => void)[] = [];
  private readonly submissions = new Set<Promise<void>>();
  private readonly signerKey: Uint8Array | null;
  private readonly maxEvents: number;
  private readonly maxFutureMs: number;
  private readonly deps: DeliveryAppDeps;
  private readonly m: DeliveryMetrics | null;
  private readonly logger: Logger | null;

  private constructor(opts: DeliveryAppOptions, deps: DeliveryAppDeps, state: StateData) {
    this.config = opts.config;
    this.signerKey = opts.signerKey;
    this.address = opts.signerKey ? bytesToHex(addressFromPublicKey(publicKeyCreate(opts.signerKey, false))) : null;
    this.stakingChainId = stakingChainOf(opts.config);
    this.maxEvents = opts.maxEventsPerBlock ?? 64;
    this.maxFutureMs = opts.maxFutureMs ?? 10_000;
    this.deps = deps;
    this.state = state;
    this.m = deps.metrics ? deliveryMetrics(deps.metrics) : null;
    this.logger = deps.logger ? deps.logger.child({ module: 'delivery-app' }) : null;
  }

  /** Opens the app at its last committed height, or writes genesis into an empty store. */
  static async open(opts: DeliveryAppOptions, deps: DeliveryAppDeps, genesis: DeliveryGenesis): Promise<DeliveryApp> {
    let state = await deps.store.loadState();
    if (!state) {
      state = DeliveryApp.genesisState(opts.config, genesis);
      const span0 = span.makeSpan(0, state.deliverySet, new Uint8Array(32), 0, { config: opts.config });
      await deps.store.writeGenesis(state, span0);
    }
    const app = new DeliveryApp(opts, deps, state);
    for (const h of [state.height - 1, state.height]) {
      if (h < 1) continue;
      const raw = await deps.store.getBlock(h);
      if (!raw) throw new Error(`delivery store: block ${h} missing below the committed height ${state.height}`);
      app.recent.set(h, decodeBlock(raw));
    }
    for (const tx of await deps.store.loadPool()) if (isEventTx(tx)) app.pool.set(poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence), { tx, bytes: bytesToHex(encodeTx(tx)) });
    app.m?.pool.set(app.pool.size);
    app.m?.height.set(state.height);
    // A checkpoint of ours approved before a restart and not yet acked: submit it again (the submitter skips it if the chain has it).
    for (const t of state.tracks) if (t.buffer && t.buffer.checkpoint.proposer === app.address) app.submit(t.rootChainId, t.buffer);
    return app;
  }

  static genesisState(config: NodeConfig, genesis: DeliveryGenesis): StateData {
    if (genesis.validators.length === 0) throw new Error('delivery genesis: at least one validator is needed');
    const vals = genesis.validators.map((v) => {
      if (!v.pubKey || v.pubKey === '0x') throw new Error(`delivery genesis: validator ${v.id} needs its 65-byte public key`);
      const val = makeValidator({ ...v, votingPower: staking.BTTC_VOTING_POWER, startEpoch: v.startEpoch ?? 0 });
      if (bytesToHex(addressFromPublicKey(hexToBytes(val.pubKey))) !== val.signer) throw new Error(`delivery genesis: validator ${v.id} signer ${val.signer} does not match its public key`);
      return val;
    });
    const { deliverySet, consensusSet } = staking.genesisSets(vals);
    return {
      height: 0,
      time: genesis.time,
      lastBlockId: '0x' + '00'.repeat(32),
      validators: new Map(vals.map((v) => [v.id, v])),
      deliverySet,
      consensusSet,
      prevConsensusSet: consensusSet.copy(),
      tracks: config.rootChains.map((c) => ({ rootChainId: c.id, ackCount: 0, lastEnd: null, lastAckTime: genesis.time, buffer: null })),
      lastNoAckTime: genesis.time,
      lastSpanId: 0,
      clerkLastId: 0,
      clerkLastStateId: new Map(),
      lastCommit: { round: 0, votes: [] },
      mySideVotes: new Uint8Array(0),
    };
  }

  get height(): number {
    return this.state.height;
  }

  onCommitted(fn: (c: CommittedBlock) => void): void {
    this.listeners.push(fn);
  }

  private ctx(height: number, blockTime: number): ModuleContext {
    return { config: this.config, stakingChainId: this.stakingChainId, height, blockTime };
  }

  // ---- Application -----------------------------------------------------------------------

  validatorSet(height: number): ValidatorSetView {
    const s = this.state;
    let set: ValidatorSet;
    if (height === s.height + 1) set = s.consensusSet;
    else if (height === s.height && height > 0) set = s.prevConsensusSet;
    else throw new Error(`delivery: no validator set for height ${height} (committed ${s.height})`);
    const key = height;
    let v = this.views.get(key);
    if (!v) {
      v = validatorSetView(set);
      this.views.set(key, v);
      for (const k of this.views.keys()) if (k < s.height) this.views.delete(k);
    }
    return v;
  }

  async proposeValue(height: number, _round: number): Promise<Uint8Array> {
    const s = this.state;
    if (height !== s.height + 1) throw new Error(`delivery: asked to propose height ${height} at committed height ${s.height}`);
    const me = this.address;
    if (me === null) throw new Error('delivery: a follower has no key and never proposes');
    const time = Math.max(Math.floor(this.deps.clock.now()), s.time + 1);
    const ctx = this.ctx(height, time);
    const txs: DeliveryTx[] = [];
    const pending = this.pendingSideTxs();

    const noAck = checkpoint.proposeNoAck(s, ctx);
    if (noAck) txs.push(noAck);

    // Mirrored root events, oldest first per root chain; the same checks validateValue applies.
    const seen = new Set<string>();
    const candidates = [...this.pool.values()].map((p) => p.tx).sort((a, b) => a.ref.rootChainId - b.ref.rootChainId || (a.ref.sequence < b.ref.sequence ? -1 : a.ref.sequence > b.ref.sequence ? 1 : 0));
    let events = 0;
    for (const tx of candidates) {
      if (events >= this.maxEvents) break;
      const key = poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
      if (pending.has(key)) continue;
      if (await this.deps.store.isProcessed(processedKindOf(tx), tx.ref.rootChainId, tx.ref.sequence)) {
        this.pool.delete(key);
        continue;
      }
      if (this.validateTx(tx, ctx, seen, pending) !== null) {
        if (this.staleInPool(tx)) {
          this.pool.delete(key);
          await this.deps.store.deletePoolTx(tx.ref.rootChainId, tx.type, tx.ref.sequence);
        }
        continue;
      }
      txs.push(tx);
      events++;
    }

    for (const t of s.tracks) {
      if (pending.has(`checkpoint/${t.rootChainId}`)) continue;
      try {
        const cp = await checkpoint.proposeCheckpoint(s, t.rootChainId, ctx, { bttc: this.deps.bttc, hasher: this.deps.hasher, me });
        if (cp && this.validateTx(cp, ctx, seen, pending) === null) txs.push(cp);
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message, rootChainId: t.rootChainId }, 'could not build a checkpoint proposal');
      }
    }

    if (!pending.has('span')) {
      try {
        const sp = await span.proposeSpan(s, ctx, { bttc: this.deps.bttc, seed: this.deps.spanSeed });
        if (sp && this.validateTx(sp, ctx, seen, pending) === null) txs.push(sp);
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message }, 'could not build a span proposal');
      }
    }

    // Carry only precommits with side votes: the others say nothing the tally needs.
    const votes = s.lastCommit.votes.filter((v) => v.extension.length > 0);
    return encodeBlock({ height, time, lastCommit: { round: s.lastCommit.round, votes }, txs });
  }

  /** A pooled event the committed state has already moved past (a duplicate ack, an old state id): never includable. */
  private staleInPool(tx: EventTx): boolean {
    const s = this.state;
    if (tx.type === TxType.CheckpointAck) {
      const t = trackOf(s, tx.ref.rootChainId);
      return !t || tx.headerBlockId <= BigInt(t.ackCount) * checkpoint.HEADER_BLOCK_STEP;
    }
    if (tx.type === TxType.EventRecord) return tx.stateId <= (s.clerkLastStateId.get(tx.ref.rootChainId) ?? 0n);
    return false;
  }

  /** Keys of side txs in blocks whose tally is still ahead (the last two), so nothing is proposed twice. */
  private pendingSideTxs(): Set<string> {
    const keys = new Set<string>();
    for (const b of this.recent.values()) {
      for (const tx of b.txs) {
        if (isEventTx(tx)) keys.add(poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence));
        else if (tx.type === TxType.Checkpoint) keys.add(`checkpoint/${tx.rootChainId}`);
        else if (tx.type === TxType.Span) keys.add('span');
      }
    }
    return keys;
  }

  /** One tx's deterministic checks; `seen` collects per-block uniqueness keys. Null when valid. */
  private validateTx(tx: DeliveryTx, ctx: ModuleContext, seen: Set<string>, pending: Set<string>): string | null {
    const s = this.state;
    let key: string;
    let err: string | null;
    switch (tx.type) {
      case TxType.Staking:
        key = poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
        err = staking.validateStakingTx(tx, ctx);
        break;
      case TxType.CheckpointAck:
        key = poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
        err = checkpoint.validateAckTx(s, tx, ctx);
        // Two acks for one chain in flight would both expect the same header block.
        if (!err && (seen.has(`ack/${tx.ref.rootChainId}`) || [...pending].some((k) => k.startsWith(`${tx.ref.rootChainId}/${TxType.CheckpointAck}/`)))) err = 'another ack for this root chain is pending';
        seen.add(`ack/${tx.ref.rootChainId}`);
        break;
      case TxType.EventRecord:
        key = poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
        err = clerk.validateEventRecordTx(s, tx, ctx);
        break;
      case TxType.Checkpoint:
        key = `checkpoint/${tx.rootChainId}`;
        err = checkpoint.validateCheckpointTx(s, tx, ctx);
        break;
      case TxType.CheckpointNoAck:
        key = 'noack';
        err = checkpoint.validateNoAckTx(s, tx, ctx);
        break;
      case TxType.Span:
        key = 'span';
        err = span.validateSpanTx(s, tx, ctx);
        break;
    }
    if (err) return err;
    if (seen.has(key)) return `duplicate ${TX_NAMES[tx.type]} in the block`;
    if (pending.has(key)) return `${TX_NAMES[tx.type]} already pending from an earlier block`;
    seen.add(key);
    return null;
  }

  async validateValue(height: number, value: Uint8Array): Promise<boolean> {
    const reason = await this.invalidReason(height, value);
    if (reason) {
      this.m?.invalidValues.inc({ reason: reason.split(':')[0]!.slice(0, 40) });
      this.logger?.warn({ height, reason }, 'rejecting proposed Delivery block');
      return false;
    }
    return true;
  }

  /** Why a proposed block is invalid, or null. Exposed for tests and diagnostics. */
  async invalidReason(height: number, value: Uint8Array): Promise<string | null> {
    const s = this.state;
    if (height !== s.height + 1) return `height: validating ${height} at committed height ${s.height}`;
    if (value.length > this.config.delivery.maxBlockBytes) return `size: ${value.length} bytes exceeds ${this.config.delivery.maxBlockBytes}`;
    let b: DeliveryBlock;
    try {
      b = decodeBlock(value);
    } catch (err) {
      return `decode: ${(err as Error).message}`;
    }
    if (b.height !== height) return `height: block says ${b.height}, consensus height ${height}`;
    if (b.time <= s.time) return `time: ${b.time} is not after the previous block's ${s.time}`;
    if (b.time > this.deps.clock.now() + this.maxFutureMs) return `time: ${b.time} is more than ${this.maxFutureMs} ms ahead of our clock`;
    const carried = await this.carriedVotesError(b);
    if (carried) return `votes: ${carried}`;
    const ctx = this.ctx(height, b.time);
    const seen = new Set<string>();
    const pending = this.pendingSideTxs();
    for (let i = 0; i < b.txs.length; i++) {
      const tx = b.txs[i]!;
      if (isEventTx(tx) && (await this.deps.store.isProcessed(processedKindOf(tx), tx.ref.rootChainId, tx.ref.sequence))) return `tx ${i}: ${TX_NAMES[tx.type]} sequence ${tx.ref.sequence} already processed`;
      const err = this.validateTx(tx, ctx, seen, pending);
      if (err) return `tx ${i}: ${err}`;
    }
    return null;
  }

  /** The carried precommits of height − 1: known validators, once each, side votes on real side txs, valid signatures. */
  private async carriedVotesError(b: DeliveryBlock): Promise<string | null> {
    const s = this.state;
    const votes = b.lastCommit.votes;
    if (b.height === 1) return votes.length === 0 ? null : 'the first block carries no votes';
    const set = this.validatorSet(s.height);
    const target = this.recent.get(s.height - 1);
    const sideIdx = new Set<number>();
    target?.txs.forEach((tx, i) => isSideTx(tx) && sideIdx.add(i));
    const seen = new Set<string>();
    const items: VerifyItem[] = [];
    const valueId = hexToBytes(s.lastBlockId);
    for (const v of votes) {
      const hex = bytesToHex(v.validator);
      const val = set.getByAddress(hex);
      if (!val) return `${hex} is not in the validator set of height ${s.height}`;
      if (seen.has(hex)) return `${hex} appears twice`;
      seen.add(hex);
      if (!this.extensionOk(v.extension, sideIdx)) return `${hex}: malformed side votes`;
      if (v.signature[64]! > 1) return `${hex}: signature v must be 0 or 1`;
      const digest = voteDigest(this.config.delivery.chainId, { type: MsgType.Precommit, height: s.height, round: b.lastCommit.round, valueId, extension: v.extension });
      items.push({ kind: 'secp256k1-verify', digest, signature: v.signature.subarray(0, 64), publicKey: val.publicKey });
    }
    if (items.length === 0) return null;
    const results = await this.deps.verifier.verifyBatch(items, { priority: true });
    const bad = results.findIndex((r) => !r.ok);
    return bad >= 0 ? `${bytesToHex(votes[bad]!.validator)}: invalid precommit signature` : null;
  }

  private extensionOk(ext: Uint8Array, sideIdx: Set<number>): boolean {
    if (ext.length === 0) return true;
    try {
      return decodeSideVotes(ext).every((e) => sideIdx.has(e.txIndex));
    } catch {
      return false;
    }
  }

  extendVote(height: number): Uint8Array {
    return height === this.state.height + 1 ? this.state.mySideVotes : new Uint8Array(0);
  }

  verifyVoteExtension(height: number, _validator: Uint8Array, _valueId: Uint8Array, extension: Uint8Array): boolean {
    if (extension.length === 0) return true;
    if (height !== this.state.height + 1) return false;
    const last = this.recent.get(this.state.height);
    const sideIdx = new Set<number>();
    last?.txs.forEach((tx, i) => isSideTx(tx) && sideIdx.add(i));
    return this.extensionOk(extension, sideIdx);
  }

  /**
   * Commits are applied one at a time, whoever hands them in: a consensus engine being stopped for a
   * range sync may still be finishing its last decision while the first synced block arrives.
   */
  commitValue(height: number, value: Uint8Array, commit: Commit): Promise<void> {
    return this.exclusive(() => this.applyDecided(height, value, commit));
  }

  /** Resolves once no commit is in progress. */
  async whenCommitsSettled(): Promise<void> {
    await this.commitChain.catch(() => undefined);
  }

  private commitChain: Promise<unknown> = Promise.resolve();

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.commitChain.catch(() => undefined).then(fn);
    this.commitChain = run;
    return run;
  }

  private async applyDecided(height: number, value: Uint8Array, commit: Commit): Promise<void> {
    const t0 = performance.now();
    const prev = this.state;
    if (height !== prev.height + 1) throw new Error(`delivery: commit of height ${height} after ${prev.height}`);
    const b = decodeBlock(value);
    const s = cloneState(prev);
    const ctx = this.ctx(height, b.time);
    const w: BlockWrite = { state: s, blockBytes: value, commit: encodeStoredCommit(commit), processed: [], checkpoints: [], spans: [], eventRecords: [], poolDeletes: [] };
    const out: CommittedBlock = { height, block: b, outcomes: [], approvedCheckpoints: [], acked: [], spans: [], eventRecords: [] };

    // 1. Tally the side txs of height − 2 from the precommits this block carries.
    const tallied = this.recent.get(height - 2);
    if (tallied) await this.tally(s, tallied, b, ctx, w, out);

    // 2. This block's plain txs take effect now.
    b.txs.forEach((tx, index) => {
      if (tx.type === TxType.CheckpointNoAck) {
        checkpoint.applyNoAckTx(s, ctx);
        out.outcomes.push({ height, index, type: tx.type, outcome: 'applied' });
      } else out.outcomes.push({ height, index, type: tx.type, outcome: 'included' });
    });

    // 3. End block: validator-set changes.
    const changes = staking.endBlockValidatorUpdates(s, trackOf(s, this.stakingChainId)!.ackCount);
    if (changes.length > 0) this.logger?.info({ height, changes: changes.map((c) => ({ id: c.id, signer: c.signer, power: c.votingPower.toString() })) }, 'validator set updated');

    // 4. Our side votes on this block's side txs, for our precommit at height + 1.
    s.mySideVotes = await this.sideVotesFor(b);
    s.height = height;
    s.time = b.time;
    s.lastBlockId = bytesToHex(valueIdOf(value));
    s.lastCommit = { round: commit.round, votes: commit.precommits.map((v): CarriedVote => ({ validator: v.validator, extension: v.extension, signature: v.signature })) };

    await this.deps.store.commitBlock(w);

    // Durable: swap the state in and update the in-memory companions.
    this.state = s;
    this.recent.set(height, b);
    this.recent.delete(height - 2);
    for (const d of w.poolDeletes) this.pool.delete(poolKey(d.rootChainId, d.type, d.sequence));
    this.m?.pool.set(this.pool.size);
    this.m?.height.set(height);
    for (const t of s.tracks) this.m?.ackCount.set({ root_chain: String(t.rootChainId) }, t.ackCount);
    for (const o of out.outcomes) this.m?.txs.inc({ type: TX_NAMES[o.type]!, outcome: o.outcome });
    this.m?.commitSeconds.observe((performance.now() - t0) / 1000);
    for (const a of out.approvedCheckpoints) if (a.buffer.checkpoint.proposer === this.address) this.submit(a.rootChainId, a.buffer);
    for (const l of this.listeners) l(out);
  }

  // ---- sync by range ---------------------------------------------------------------------

  /** Blocks [start, start + count) with their commits, as `delivery-by-range` items; stops at the first one not held. */
  async syncItems(start: number, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let h = Math.max(1, start); h < start + count && h <= this.state.height; h++) {
      const [block, commit] = await Promise.all([this.deps.store.getBlock(h), this.deps.store.getCommit(h)]);
      if (!block || !commit) break;
      out.push(encodeSyncItem(decodeStoredCommit(commit, block)));
    }
    return out;
  }

  /**
   * A block fetched from a peer, for the next height: applied exactly as a consensus decision
   * (commitValue) once its commit proves > 2/3 of this height's validator set decided it. Returns
   * why it was refused, or null when applied. The block's own validity is not re-checked: the
   * decision is the proof, and this node may lack what validators checked it against (Bttc headers).
   */
  async applySynced(item: Uint8Array): Promise<string | null> {
    let d: ReturnType<typeof decodeSyncItem>;
    try {
      d = decodeSyncItem(item);
    } catch (err) {
      return `malformed: ${(err as Error).message}`;
    }
    return this.exclusive(() => this.applySyncedNow(d));
  }

  private async applySyncedNow(d: ReturnType<typeof decodeSyncItem>): Promise<string | null> {
    const height = this.state.height + 1;
    // Already applied (by consensus finishing a decision, or from another peer's overlapping answer).
    if (d.commit.height < height) return null;
    if (d.commit.height !== height) return `item is height ${d.commit.height}, expected ${height}`;
    try {
      decodeBlock(d.block);
    } catch (err) {
      return `block ${height}: ${(err as Error).message}`;
    }
    const bad = await commitError({ chainId: this.config.delivery.chainId, height, block: d.block, commit: d.commit, set: this.validatorSet(height) }, this.deps.verifier);
    if (bad) return `block ${height}: ${bad}`;
    await this.applyDecided(height, d.block, d.commit);
    return null;
  }

  private async tally(s: StateData, tallied: DeliveryBlock, b: DeliveryBlock, ctx: ModuleContext, w: BlockWrite, out: CommittedBlock): Promise<void> {
    const set = s.prevConsensusSet;
    const total = Number(set.totalVotingPower());
    const yes = new Map<number, { validator: string; power: number; signature: Uint8Array }[]>();
    for (const v of b.lastCommit.votes) {
      if (v.extension.length === 0) continue;
      const hex = bytesToHex(v.validator);
      const power = Number(set.getByAddress(hex)?.validator.votingPower ?? 0n);
      for (const e of decodeSideVotes(v.extension)) {
        if (e.vote !== SideVote.Yes) continue;
        let list = yes.get(e.txIndex);
        if (!list) yes.set(e.txIndex, (list = []));
        list.push({ validator: hex, power, signature: e.signature });
      }
    }
    const h = tallied.height;
    for (let index = 0; index < tallied.txs.length; index++) {
      const tx = tallied.txs[index]!;
      if (!isSideTx(tx)) continue;
      const votes = yes.get(index) ?? [];
      const power = votes.reduce((n, v) => n + v.power, 0);
      const record = (outcome: ApplyOutcome, reason?: string) => out.outcomes.push({ height: h, index, type: tx.type, outcome, ...(reason ? { reason } : {}) });
      if (tx.type === TxType.Checkpoint) {
        const r = await checkpoint.tallyCheckpoint(s, tx, votes.filter((v) => v.signature.length === 65), ctx, { verifier: this.deps.verifier });
        record(r.outcome, r.reason);
        if (r.buffer) out.approvedCheckpoints.push({ rootChainId: tx.rootChainId, buffer: r.buffer });
        continue;
      }
      if (!isQuorum(power, total)) {
        record('rejected', `${power}/${total} Yes, need ${quorumThreshold(total)}`);
        continue;
      }
      if (tx.type === TxType.Span) {
        const r = span.applySpanTx(s, tx, ctx);
        record(r.outcome, r.reason);
        if (r.span) {
          w.spans.push(r.span);
          out.spans.push(r.span);
        }
        continue;
      }
      if (!isEventTx(tx)) continue;
      let outcome: ApplyOutcome;
      let reason: string | undefined;
      if (tx.type === TxType.Staking) outcome = staking.applyStakingTx(s, tx);
      else if (tx.type === TxType.CheckpointAck) {
        const r = checkpoint.applyAckTx(s, tx, ctx);
        outcome = r.outcome;
        reason = r.reason;
        if (r.record) {
          w.checkpoints.push(r.record);
          out.acked.push(r.record);
        }
      } else {
        const r = clerk.applyEventRecordTx(s, tx, ctx);
        outcome = r.outcome;
        reason = r.reason;
        if (r.record) {
          w.eventRecords.push(r.record);
          out.eventRecords.push(r.record);
        }
      }
      record(outcome, reason);
      if (outcome === 'applied' || outcome === 'stale') {
        w.processed.push({ kind: processedKindOf(tx), rootChainId: tx.ref.rootChainId, sequence: tx.ref.sequence });
        w.poolDeletes.push({ rootChainId: tx.ref.rootChainId, type: tx.type, sequence: tx.ref.sequence });
      }
    }
  }

  /** Our verdicts on a committed block's side txs (abstentions are left out). */
  private async sideVotesFor(b: DeliveryBlock): Promise<Uint8Array> {
    // A follower never precommits: verdicts would go nowhere, and the checks behind them (root
    // chain, span seed) would cost it requests for nothing.
    const signerKey = this.signerKey;
    if (signerKey === null) return new Uint8Array(0);
    const entries: SideVoteEntry[] = [];
    for (let i = 0; i < b.txs.length; i++) {
      const tx = b.txs[i]!;
      if (!isSideTx(tx)) continue;
      let verdict: checkpoint.Verdict;
      try {
        if (tx.type === TxType.Checkpoint) verdict = await checkpoint.checkpointVerdict(tx, { bttc: this.deps.bttc, hasher: this.deps.hasher, signerKey });
        else if (tx.type === TxType.Span) verdict = await span.spanVerdict(tx, this.deps.spanSeed);
        else if (isEventTx(tx)) {
          const seen = this.pool.get(poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence));
          verdict = !seen ? { vote: 'abstain' } : seen.bytes === bytesToHex(encodeTx(tx)) ? { vote: 'yes' } : { vote: 'no' };
        } else verdict = { vote: 'abstain' };
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message, height: b.height, index: i }, 'side-tx check failed; abstaining');
        verdict = { vote: 'abstain' };
      }
      this.m?.sideVotes.inc({ vote: verdict.vote });
      if (verdict.vote === 'abstain') continue;
      entries.push({ txIndex: i, vote: verdict.vote === 'yes' ? SideVote.Yes : SideVote.No, signature: verdict.vote === 'yes' && verdict.signature ? verdict.signature : new Uint8Array(0) });
    }
    return entries.length ? encodeSideVotes(entries) : new Uint8Array(0);
  }

  // ---- root events and submission ----------------------------------------------------------

  /**
   * The watcher's onEvent: mirror a root event into the pool (durable before returning, since the
   * watcher then moves its cursor past it). Events Delivery does not track are ignored.
   */
  async onRootEvent(ev: RootEvent): Promise<void> {
    const tx = staking.stakingTxFromEvent(ev) ?? checkpoint.ackTxFromEvent(ev) ?? clerk.eventRecordTxFromEvent(ev);
    if (!tx) return;
    if (tx.type === TxType.Staking && tx.ref.rootChainId !== this.stakingChainId) return;
    if (await this.deps.store.isProcessed(processedKindOf(tx), tx.ref.rootChainId, tx.ref.sequence)) return;
    const key = poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
    if (this.pool.has(key)) return;
    await this.deps.store.putPoolTx(tx);
    this.pool.set(key, { tx, bytes: bytesToHex(encodeTx(tx)) });
    this.m?.pool.set(this.pool.size);
  }

  private submit(rootChainId: number, buffer: BufferedCheckpoint): void {
    const submitter = this.deps.submitters?.get(rootChainId);
    if (!submitter) return;
    const cp = buffer.checkpoint;
    const calldata = submitCheckpointCalldata(
      checkpointSignBytes(cp),
      buffer.signatures.map((x) => ({ signer: x.signer, signature: hexToBytes(x.signature) })),
    );
    const p = submitter
      .submit({ start: BigInt(cp.start), end: BigInt(cp.end), calldata })
      .then((r) => {
        this.m?.submissions.inc({ root_chain: String(rootChainId), outcome: r.outcome });
        this.logger?.info({ rootChainId, start: cp.start, end: cp.end, outcome: r.outcome }, 'checkpoint submission finished');
      })
      .catch((err: unknown) => {
        this.m?.submissions.inc({ root_chain: String(rootChainId), outcome: 'error' });
        this.logger?.error({ rootChainId, start: cp.start, end: cp.end, err: (err as Error).message }, 'checkpoint submission threw');
      })
      .finally(() => this.submissions.delete(p));
    this.submissions.add(p);
  }

  /** Resolves once every submission started so far has finished (tests, shutdown). */
  async whenSubmissionsSettled(): Promise<void> {
    while (this.submissions.size > 0) await Promise.all([...this.submissions]);
  }

  // ---- queries (REST, Bttc) ----------------------------------------------------------------

  get poolSize(): number {
    return this.pool.size;
  }

  get time(): number {
    return this.state.time;
  }

  rootChainIds(): number[] {
    return this.state.tracks.map((t) => t.rootChainId);
  }

  ackCount(rootChainId = this.stakingChainId): number | null {
    return trackOf(this.state, rootChainId)?.ackCount ?? null;
  }

  lastCheckpointEnd(rootChainId = this.stakingChainId): number | null {
    return trackOf(this.state, rootChainId)?.lastEnd ?? null;
  }

  checkpointBuffer(rootChainId = this.stakingChainId): BufferedCheckpoint | null {
    const b = trackOf(this.state, rootChainId)?.buffer;
    return b ? structuredClone(b) : null;
  }

  checkpointProposer(): string | null {
    return checkpoint.checkpointProposer(this.state);
  }

  getCheckpoint(rootChainId: number, number: number): Promise<AckedCheckpoint | null> {
    return this.deps.store.getCheckpoint(rootChainId, number);
  }

  async latestCheckpoint(rootChainId = this.stakingChainId): Promise<AckedCheckpoint | null> {
    const n = this.ackCount(rootChainId);
    return n ? this.deps.store.getCheckpoint(rootChainId, n) : null;
  }

  get lastSpanId(): number {
    return this.state.lastSpanId;
  }

  getSpanJson(id: number): Promise<StoredSpanJson | null> {
    return this.deps.store.getSpan(id);
  }

  /** Bttc reads spans here (same process). */
  async getSpan(id: number): Promise<Span | null> {
    const j = await this.deps.store.getSpan(id);
    return j ? spanFromJson(j) : null;
  }

  latestSpanJson(): Promise<SpanJson | null> {
    return this.deps.store.getSpan(this.state.lastSpanId);
  }

  /** Bttc's commitState source: records from `fromId` with recordTime < toTime (unix s). */
  eventRecords(fromId: number, toTime: number, limit: number): Promise<EventRecord[]> {
    return this.deps.store.listEventRecords(fromId, toTime, limit);
  }

  getEventRecord(id: number): Promise<EventRecord | null> {
    return this.deps.store.getEventRecord(id);
  }

  validatorSetJson(): { validators: ValidatorJson[]; proposer: ValidatorJson | null; totalVotingPower: string } {
    const j = this.state.deliverySet.toJSON();
    return { ...j, totalVotingPower: this.state.deliverySet.totalVotingPower().toString() };
  }

  validatorJson(id: number): ValidatorJson | null {
    const v = this.state.validators.get(id);
    return v ? validatorToJson(v) : null;
  }

  /** keccak of a value, as consensus names it (tests). */
  static valueId(value: Uint8Array): Uint8Array {
    return keccak256(value);
  }
}
