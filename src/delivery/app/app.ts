/**
 * The Delivery application behind the Tendermint engine (src/delivery/consensus): it builds,
 * validates and commits Delivery blocks and routes every transaction to the module that owns its
 * type (modules/registry.ts); what a transaction means is the module's (modules/<name>/).
 *
 * Side transactions, as BTTC runs them (Heimdall's side-tx flow): a side tx included at height H
 * has no effect yet. After committing H every validator checks it against its own view (its module's
 * verdict; for a mirrored root event, whether its own watcher saw the identical event) and puts its
 * verdict — with its checkpoint signature for a checkpoint Yes — in its precommit at H+1 (a vote
 * extension, covered by the vote signature). The proposer of H+2 carries its commit of H+1 in the
 * block, every validator re-verifies those precommits, and committing H+2 tallies them: the tx takes
 * effect at more than 2/3 of the consensus power voting Yes (protocol/quorum.ts), or, for a module
 * that counts signatures itself, at its own threshold (checkpoints: ⌊2n/3⌋+1 valid signatures).
 * Tallying from the block, not from each node's own commit, keeps the result identical on every node.
 *
 * Nothing on the consensus path waits on a root chain without a bound: a module's proposals that
 * are not ready within `proposeBoundMs` are left out of this block (it proposes them at a later
 * height), and a side-tx verdict not ready within `verdictBoundMs` is an abstention. Modules that
 * read a root chain bound it more tightly themselves (span seeds) and list what waits (`waiting()`).
 * Validating a block never reads a root chain: what every node checks depends on the block alone.
 *
 * Committing a block: tally the side txs of height − 2, apply this block's plain txs, run the
 * modules' end-block (validator-set changes), compute our side votes on this block, then write it
 * all — block, commit, state, processed markers, pool deletions, the modules' records — in one
 * batch, and only then swap the new state in and tell the listeners (`onCommitted`).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeConfig } from '../../config/types.ts';
import { addressFromPublicKey } from '../../crypto/address.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { publicKeyCreate } from '../../crypto/secp256k1.ts';
import type { SignatureVerifier, VerifyItem } from '../../pools/interface.ts';
import type { RootEvent } from '../../root/abi.ts';
import { bytesToHex, equalBytes, hexToBytes } from '../../util/bytes.ts';
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import type { ValidatorJson } from '../../protocol/validators/validator.ts';
import { valueIdOf, voteDigest } from '../consensus/codec.ts';
import { validatorSetView } from '../consensus/validator-view.ts';
import type { Application, ValidatorSetView } from '../consensus/interface.ts';
import { MsgType, type Commit, type Vote } from '../consensus/types.ts';
import { builtinModules, builtinNoticeFields, type BuiltinNoticeFields, type BuiltinQueries } from '../modules/builtin.ts';
import { stakingChainOf, type ModuleContext } from '../modules/context.ts';
import type { BufferedCheckpoint } from '../modules/checkpoint/state.ts';
import type { AckedCheckpoint } from '../modules/checkpoint/store.ts';
import type { EventRecord } from '../modules/clerk/store.ts';
import type { BlockContext, Notices, ProposalContext } from '../modules/module.ts';
import type { StoredSpanJson } from '../modules/span/store.ts';
import type { ValidatorSetJsonView } from '../modules/staking/queries.ts';
import type { VotingPowerReader } from '../modules/staking/voting-power.ts';
import type { GovRootReader } from '../modules/gov/reader.ts';
import type { SealedHeader } from '../../slashing/checks.ts';
import { eventKey, ModuleRegistry, type RoutedTx } from '../modules/registry.ts';
import type { RestRoute, RestSource } from '../rest/interface.ts';
import type { DeliveryStore, PoolRef, ProcessedRef } from '../store/store.ts';
import { decodeBlock, encodeBlock } from './codec.ts';
import { commitError, decodeStoredCommit, decodeSyncItem, encodeStoredCommit, encodeSyncItem } from './commit.ts';
import { BlockOutput } from './effects.ts';
import type { BttcHeaderReader, CheckpointHasher, DeliveryClock, SpanSeedSource } from './interface.ts';
import { deliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import { poolKeyOf, processedRef, RootEventPool } from './pool.ts';
import { boundedOrNull, extensionOk, sideTxIndices, sideVotesFor, tallySideTxs } from './side-txs.ts';
import { CommittedState, DeliveryState } from './state.ts';
import type { CarriedVote, DeliveryBlock, DeliveryGenesis, DeliveryTx, TxOutcome } from './types.ts';
import { waitingGauge, type DeliveryWait } from './waits.ts';

export type { DeliveryGenesis, TxOutcome } from './types.ts';

export interface DeliveryAppOptions {
  config: NodeConfig;
  /**
   * This validator's signer key: checkpoint signatures and side votes. Null for a follower, which
   * never proposes or precommits, so it computes no side votes.
   */
  signerKey: Uint8Array | null;
  /** Mirrored root events included per block at most. */
  maxEventsPerBlock?: number;
  /** A proposed block time may be at most this far ahead of our clock. */
  maxFutureMs?: number;
  /** A module's proposals not built within this long are left out of the block (ms; default 5000). */
  proposeBoundMs?: number;
  /** A side-tx verdict not given within this long is an abstention (ms; default 5000). */
  verdictBoundMs?: number;
}

export interface DeliveryAppDeps {
  store: DeliveryStore;
  bttc: BttcHeaderReader;
  verifier: SignatureVerifier;
  clock: DeliveryClock;
  spanSeed: SpanSeedSource;
  hasher?: CheckpointHasher | null;
  /** The staking chain's checkpointed votes (staking's `/staking/voting-power` route). */
  votingPower?: VotingPowerReader | null;
  /** The staking chain's Governor and StakeVotes (the gov module's tallies). */
  gov?: GovRootReader | null;
  /** Bttc seal recovery for double-seal evidence (the node wires src/bttc's; src/delivery never imports it). */
  recoverSeal?: ((rlp: Uint8Array) => SealedHeader) | null;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export interface CommittedBlock extends BuiltinNoticeFields {
  height: number;
  block: DeliveryBlock;
  /** Per tx of the block tallied at this height (height − 2) and of this block's own txs. */
  outcomes: TxOutcome[];
  /** What the modules announced while applying it (the named fields above are the built-in ones). */
  notices: Notices;
}

export class DeliveryApp implements Application, RestSource {
  readonly config: NodeConfig;
  /** The signer address; null for a follower. */
  readonly address: string | null;
  readonly stakingChainId: number;
  /** The modules' read side (REST, Bttc, the node's status). */
  readonly queries: BuiltinQueries;
  private readonly registry: ModuleRegistry;
  private readonly committed: CommittedState;
  /** Decoded blocks at state.height and state.height − 1 (pending side txs and carried-vote checks). */
  private readonly recent = new Map<number, DeliveryBlock>();
  /** Our last proposal and how many txs it carries (canWaitToPropose asks about it). */
  private lastProposal: { value: Uint8Array; txs: number } | null = null;
  private readonly pool: RootEventPool;
  private readonly views = new Map<number, ValidatorSetView>();
  private readonly listeners: ((c: CommittedBlock) => void)[] = [];
  private readonly signerKey: Uint8Array | null;
  private readonly maxEvents: number;
  private readonly maxFutureMs: number;
  private readonly proposeBoundMs: number;
  private readonly verdictBoundMs: number;
  private readonly deps: DeliveryAppDeps;
  private readonly m: DeliveryMetrics | null;
  private readonly logger: Logger | null;
  private commitChain: Promise<unknown> = Promise.resolve();

  private constructor(opts: DeliveryAppOptions, deps: DeliveryAppDeps, parts: { stakingChainId: number; registry: ModuleRegistry; queries: BuiltinQueries; committed: CommittedState }) {
    this.config = opts.config;
    this.signerKey = opts.signerKey;
    this.address = opts.signerKey ? bytesToHex(addressFromPublicKey(publicKeyCreate(opts.signerKey, false))) : null;
    this.stakingChainId = parts.stakingChainId;
    this.maxEvents = opts.maxEventsPerBlock ?? 64;
    this.maxFutureMs = opts.maxFutureMs ?? 10_000;
    this.proposeBoundMs = opts.proposeBoundMs ?? 5000;
    this.verdictBoundMs = opts.verdictBoundMs ?? 5000;
    this.deps = deps;
    this.registry = parts.registry;
    this.queries = parts.queries;
    this.committed = parts.committed;
    this.pool = new RootEventPool({ store: deps.store, registry: parts.registry });
    this.m = deps.metrics ? deliveryMetrics(deps.metrics) : null;
    if (deps.metrics) waitingGauge(deps.metrics, () => this.waiting());
    this.logger = deps.logger ? deps.logger.child({ module: 'delivery-app' }) : null;
  }

  /** Opens the app at its last committed height, or writes genesis into an empty store. */
  static async open(opts: DeliveryAppOptions, deps: DeliveryAppDeps, genesis: DeliveryGenesis): Promise<DeliveryApp> {
    const stakingChainId = stakingChainOf(opts.config);
    const committed = new CommittedState();
    const { modules, queries } = builtinModules({
      stakingChainId,
      db: deps.store.db,
      committed,
      bttc: deps.bttc,
      hasher: deps.hasher,
      spanSeed: deps.spanSeed,
      verifier: deps.verifier,
      votingPower: deps.votingPower,
      gov: deps.gov,
      metrics: deps.metrics,
      logger: deps.logger,
      slashing: opts.config.slashing,
      recoverSeal: deps.recoverSeal ?? null,
    });
    const registry = new ModuleRegistry(modules);
    const raw = await deps.store.loadState();
    let state: DeliveryState;
    if (raw) state = DeliveryState.decode(raw, registry.slots);
    else {
      state = DeliveryState.genesis(genesis.time, registry.slots);
      const fx = new BlockOutput();
      const g = { config: opts.config, stakingChainId, height: 0, blockTime: genesis.time, genesis, state };
      for (const m of registry.modules) m.initGenesis?.(g, fx);
      await deps.store.writeGenesis(state.encode(), fx.ops);
    }
    committed.set(state);
    const app = new DeliveryApp(opts, deps, { stakingChainId, registry, queries, committed });
    for (const h of [state.height - 1, state.height]) {
      if (h < 1) continue;
      const block = await deps.store.getBlock(h);
      if (!block) throw new Error(`delivery store: block ${h} missing below the committed height ${state.height}`);
      app.recent.set(h, decodeBlock(block, registry.codecs));
    }
    await app.pool.load();
    app.m?.pool.set(app.pool.size);
    app.m?.height.set(state.height);
    return app;
  }

  private get state(): DeliveryState {
    return this.committed.get();
  }

  get height(): number {
    return this.state.height;
  }

  get time(): number {
    return this.state.time;
  }

  onCommitted(fn: (c: CommittedBlock) => void): void {
    this.listeners.push(fn);
  }

  private blockContext(height: number, blockTime: number, state: DeliveryState): BlockContext {
    const ctx: ModuleContext = { config: this.config, stakingChainId: this.stakingChainId, height, blockTime };
    return { ...ctx, state };
  }

  // ---- Application -----------------------------------------------------------------------

  validatorSet(height: number): ValidatorSetView {
    const s = this.state;
    const next = height === s.height + 1;
    if (!next && !(height === s.height && height > 0)) throw new Error(`delivery: no validator set for height ${height} (committed ${s.height})`);
    // A height's view is made once (the set deciding it does not change while it is next or last):
    // the module sets are only derived on a miss, not on every gossip check that asks.
    let v = this.views.get(height);
    if (!v) {
      const sets = this.registry.consensusSets(s);
      const set: ValidatorSet = next ? sets.next : sets.decided;
      v = validatorSetView(set);
      this.views.set(height, v);
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
    const ctx = this.blockContext(height, time, s);
    const pending = this.pendingSideTxs();
    const p: ProposalContext = { ...ctx, me, pending: (key) => pending.has(key) };
    const seen = new Set<string>();
    const txs: DeliveryTx[] = [];
    const include = (tx: DeliveryTx): void => {
      if (this.validateTx(this.registry.route(tx), ctx, seen, pending) === null) txs.push(tx);
    };

    for (const m of this.registry.modules) for (const tx of m.proposeBeforeEvents?.(p) ?? []) include(tx);

    // Mirrored root events, oldest first per root chain; the same checks validateValue applies.
    let events = 0;
    for (const tx of this.pool.candidates()) {
      if (events >= this.maxEvents) break;
      const key = poolKeyOf(tx);
      if (pending.has(key)) continue;
      const r = this.registry.route(tx);
      if (r.kind !== 'event') continue;
      if (await this.deps.store.isProcessed(processedRef(r.tx, r.spec))) {
        this.pool.forget(key);
        continue;
      }
      if (this.validateTx(r, ctx, seen, pending) !== null) {
        if (r.spec.staleInPool?.(r.tx, s)) await this.pool.drop(r.tx);
        continue;
      }
      txs.push(tx);
      events++;
    }

    for (const m of this.registry.modules) {
      if (!m.propose) continue;
      const proposed = await boundedOrNull(m.propose(p), this.proposeBoundMs).catch((err: unknown) => {
        this.logger?.warn({ height, module: m.name, err: (err as Error).message }, 'module proposals failed; left out of this block');
        return [];
      });
      if (proposed === null) {
        this.logger?.warn({ height, module: m.name, boundMs: this.proposeBoundMs }, 'module proposals not ready in time; left out of this block');
        continue;
      }
      for (const tx of proposed) include(tx);
    }

    // Carry every precommit of the last commit (as Tendermint's LastCommit does), not only those with
    // side votes: who signed each height is then consensus data (src/telemetry counts it).
    const votes = s.lastCommit.votes;
    const value = encodeBlock({ height, time, lastCommit: { round: s.lastCommit.round, votes }, txs }, this.registry.codecs);
    this.lastProposal = { value, txs: txs.length };
    return value;
  }

  /**
   * The empty-block interval may hold our proposal back only when it carries no txs and neither do
   * the last two blocks: a side tx at H is voted on in H + 1's precommits and tallied in H + 2, and a
   * staking change needs the heights after it to take effect, so those heights follow at once.
   */
  canWaitToPropose(height: number, value: Uint8Array): boolean {
    if (height !== this.state.height + 1 || this.lastProposal?.value !== value || this.lastProposal.txs > 0) return false;
    for (const b of this.recent.values()) if (b.txs.length > 0) return false;
    return true;
  }

  /** Uniqueness keys of side txs in blocks whose tally is still ahead (the last two), so nothing is proposed twice. */
  private pendingSideTxs(): Set<string> {
    const keys = new Set<string>();
    for (const b of this.recent.values()) {
      for (const tx of b.txs) {
        const r = this.registry.route(tx);
        if (r.kind === 'plain') continue;
        keys.add(this.registry.uniqueKey(r));
        const group = this.registry.exclusive(r);
        if (group) keys.add(group.key);
      }
    }
    return keys;
  }

  /** One tx's deterministic checks; `seen` collects per-block uniqueness keys. Null when valid. */
  private validateTx(r: RoutedTx, ctx: BlockContext, seen: Set<string>, pending: Set<string>): string | null {
    let err = this.registry.validate(r, ctx);
    const group = this.registry.exclusive(r);
    if (group) {
      if (!err && (seen.has(group.key) || pending.has(group.key))) err = group.reason;
      seen.add(group.key);
    }
    if (err) return err;
    const key = this.registry.uniqueKey(r);
    const name = r.spec.codec.name;
    if (seen.has(key)) return `duplicate ${name} in the block`;
    if (pending.has(key)) return `${name} already pending from an earlier block`;
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
      b = decodeBlock(value, this.registry.codecs);
    } catch (err) {
      return `decode: ${(err as Error).message}`;
    }
    if (b.height !== height) return `height: block says ${b.height}, consensus height ${height}`;
    if (b.time <= s.time) return `time: ${b.time} is not after the previous block's ${s.time}`;
    if (b.time > this.deps.clock.now() + this.maxFutureMs) return `time: ${b.time} is more than ${this.maxFutureMs} ms ahead of our clock`;
    const carried = await this.carriedVotesError(b);
    if (carried) return `votes: ${carried}`;
    const ctx = this.blockContext(height, b.time, s);
    const seen = new Set<string>();
    const pending = this.pendingSideTxs();
    for (let i = 0; i < b.txs.length; i++) {
      const r = this.registry.route(b.txs[i]!);
      if (r.kind === 'event' && (await this.deps.store.isProcessed(processedRef(r.tx, r.spec)))) return `tx ${i}: ${r.spec.codec.name} sequence ${r.tx.ref.sequence} already processed`;
      const err = this.validateTx(r, ctx, seen, pending);
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
    const sideIdx = sideTxIndices(this.registry, this.recent.get(s.height - 1));
    const seen = new Set<string>();
    const items: VerifyItem[] = [];
    const valueId = hexToBytes(s.lastBlockId);
    for (const v of votes) {
      const hex = bytesToHex(v.validator);
      const val = set.getByAddress(hex);
      if (!val) return `${hex} is not in the validator set of height ${s.height}`;
      if (seen.has(hex)) return `${hex} appears twice`;
      seen.add(hex);
      if (!extensionOk(v.extension, sideIdx)) return `${hex}: malformed side votes`;
      if (v.signature[64]! > 1) return `${hex}: signature v must be 0 or 1`;
      const digest = voteDigest(this.config.delivery.chainId, { type: MsgType.Precommit, height: s.height, round: b.lastCommit.round, valueId, extension: v.extension });
      items.push({ kind: 'secp256k1-verify', digest, signature: v.signature.subarray(0, 64), publicKey: val.publicKey });
    }
    if (items.length === 0) return null;
    const results = await this.deps.verifier.verifyBatch(items, { priority: true });
    const bad = results.findIndex((r) => !r.ok);
    return bad >= 0 ? `${bytesToHex(votes[bad]!.validator)}: invalid precommit signature` : null;
  }

  /**
   * A precommit of our last committed height that arrived after its decision (consensus checked its
   * signature, round and value): kept in memory for our next proposal's carried commit when its side
   * votes name real side txs (a bad one would make the block invalid).
   */
  lateCommitVote(height: number, vote: Vote): boolean {
    const s = this.state;
    if (height !== s.height || s.lastCommit.votes.some((v) => equalBytes(v.validator, vote.validator))) return false;
    if (!extensionOk(vote.extension, sideTxIndices(this.registry, this.recent.get(height - 1)))) return false;
    s.lastCommit.votes.push({ validator: vote.validator, extension: vote.extension, signature: vote.signature });
    return true;
  }

  extendVote(height: number): Uint8Array {
    return height === this.state.height + 1 ? this.state.mySideVotes : new Uint8Array(0);
  }

  verifyVoteExtension(height: number, _validator: Uint8Array, _valueId: Uint8Array, extension: Uint8Array): boolean {
    if (extension.length === 0) return true;
    if (height !== this.state.height + 1) return false;
    return extensionOk(extension, sideTxIndices(this.registry, this.recent.get(this.state.height)));
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

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.commitChain.catch(() => undefined).then(fn);
    this.commitChain = run;
    return run;
  }

  private async applyDecided(height: number, value: Uint8Array, commit: Commit): Promise<void> {
    const t0 = performance.now();
    const prev = this.state;
    if (height !== prev.height + 1) throw new Error(`delivery: commit of height ${height} after ${prev.height}`);
    const b = decodeBlock(value, this.registry.codecs);
    const s = prev.clone();
    const ctx: BlockContext = { ...this.blockContext(height, b.time, s), lastCommitSigners: b.lastCommit.votes.map((v) => bytesToHex(v.validator)) };
    const fx = new BlockOutput();
    const outcomes: TxOutcome[] = [];
    const processed: ProcessedRef[] = [];
    const poolDeletes: PoolRef[] = [];

    // 1. Tally the side txs of height − 2 from the precommits this block carries.
    const tallied = this.recent.get(height - 2);
    if (tallied) await tallySideTxs(tallied, b, this.registry.consensusSets(s).decided, ctx, fx, { registry: this.registry }, { outcomes, processed, poolDeletes });

    // 2. This block's plain txs take effect now.
    b.txs.forEach((tx, index) => {
      const r = this.registry.route(tx);
      if (r.kind !== 'plain') outcomes.push({ height, index, type: tx.type, outcome: 'included' });
      else {
        const res = r.spec.apply(r.tx, ctx, fx);
        outcomes.push({ height, index, type: tx.type, outcome: res.outcome, ...(res.reason ? { reason: res.reason } : {}) });
      }
    });

    // 3. End block: validator-set changes.
    for (const m of this.registry.modules) m.endBlock?.(ctx, fx);

    // 4. Our side votes on this block's side txs, for our precommit at height + 1.
    // A follower never precommits: verdicts would go nowhere, and the checks behind them (root
    // chain, span seed) would cost it requests for nothing.
    s.mySideVotes =
      this.signerKey === null
        ? new Uint8Array(0)
        : await sideVotesFor(b, this.signerKey, { registry: this.registry, pool: this.pool, logger: this.logger, boundMs: this.verdictBoundMs, counted: (vote) => this.m?.sideVotes.inc({ vote }) });
    s.height = height;
    s.time = b.time;
    s.lastBlockId = bytesToHex(valueIdOf(value));
    s.lastCommit = { round: commit.round, votes: commit.precommits.map((v): CarriedVote => ({ validator: v.validator, extension: v.extension, signature: v.signature })) };

    await this.deps.store.commitBlock({ height, state: s.encode(), block: value, commit: encodeStoredCommit(commit), processed, poolDeletes, ops: fx.ops });

    // Durable: swap the state in and update the in-memory companions.
    this.committed.set(s);
    this.recent.set(height, b);
    this.recent.delete(height - 2);
    for (const d of poolDeletes) this.pool.forget(eventKey(d.rootChainId, d.type, d.sequence));
    for (const m of this.registry.modules) m.committed?.(s);
    this.m?.pool.set(this.pool.size);
    this.m?.height.set(height);
    for (const o of outcomes) this.m?.txs.inc({ type: this.registry.nameOf(o.type), outcome: o.outcome });
    this.m?.commitSeconds.observe((performance.now() - t0) / 1000);
    const out: CommittedBlock = { height, block: b, outcomes, notices: fx, ...builtinNoticeFields(fx) };
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
      decodeBlock(d.block, this.registry.codecs);
    } catch (err) {
      return `block ${height}: ${(err as Error).message}`;
    }
    const bad = await commitError({ chainId: this.config.delivery.chainId, height, block: d.block, commit: d.commit, set: this.validatorSet(height) }, this.deps.verifier);
    if (bad) return `block ${height}: ${bad}`;
    await this.applyDecided(height, d.block, d.commit);
    return null;
  }

  // ---- root events -----------------------------------------------------------------------

  /**
   * The watcher's onEvent: mirror a root event into the pool (durable before returning, since the
   * watcher then moves its cursor past it). Events no module tracks are ignored.
   */
  async onRootEvent(ev: RootEvent): Promise<void> {
    const found = this.registry.txFromRootEvent(ev);
    if (!found) return;
    const { tx, spec } = found;
    if (await this.deps.store.isProcessed(processedRef(tx, spec))) return;
    if (this.pool.has(poolKeyOf(tx))) return;
    await this.pool.add(tx);
    this.m?.pool.set(this.pool.size);
  }

  // ---- queries (REST, Bttc, the node) ------------------------------------------------------
  // One-line delegates to the modules' queries, kept for the callers outside the app (node, tests).

  /** What the modules hold back until a root chain answers (the node status, a gauge). */
  waiting(): DeliveryWait[] {
    return this.registry.modules.flatMap((m) => m.waiting?.() ?? []);
  }

  get poolSize(): number {
    return this.pool.size;
  }

  rootChainIds(): number[] {
    return this.queries.checkpoint.rootChainIds();
  }

  /** Every module's REST routes (the REST server mounts them). */
  routes(): readonly RestRoute[] {
    return this.registry.routes();
  }

  ackCount(rootChainId = this.stakingChainId): number | null {
    return this.queries.checkpoint.ackCount(rootChainId);
  }

  lastCheckpointEnd(rootChainId = this.stakingChainId): number | null {
    return this.queries.checkpoint.lastEnd(rootChainId);
  }

  checkpointBuffer(rootChainId = this.stakingChainId): BufferedCheckpoint | null {
    return this.queries.checkpoint.buffer(rootChainId);
  }

  checkpointProposer(): string | null {
    return this.queries.checkpoint.proposer();
  }

  latestCheckpoint(rootChainId = this.stakingChainId): Promise<AckedCheckpoint | null> {
    return this.queries.checkpoint.latest(rootChainId);
  }

  get lastSpanId(): number {
    return this.queries.span.lastId;
  }

  getSpanJson(id: number): Promise<StoredSpanJson | null> {
    return this.queries.span.json(id);
  }

  latestSpanJson(): Promise<StoredSpanJson | null> {
    return this.queries.span.latestJson();
  }

  /** Bttc's commitState source: records from `fromId` with recordTime < toTime (unix s). */
  eventRecords(fromId: number, toTime: number, limit: number): Promise<EventRecord[]> {
    return this.queries.clerk.list(fromId, toTime, limit);
  }

  validatorSetJson(): ValidatorSetJsonView {
    return this.queries.staking.validatorSet();
  }

  validatorJson(id: number): ValidatorJson | null {
    return this.queries.staking.validator(id);
  }

  /** keccak of a value, as consensus names it (tests). */
  static valueId(value: Uint8Array): Uint8Array {
    return keccak256(value);
  }
}
