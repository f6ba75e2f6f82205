/**
 * Tendermint consensus for one node (Algorithm 1 of "The latest gossip on BFT consensus", Buchman,
 * Kwon, Milosevic), driven by one loop that owns the round state, as CometBFT's receiveRoutine:
 * received messages, timeouts and gossip ticks are queued and handled one at a time, so nothing
 * mutates the state concurrently. Messages are checked cheaply first (height, sender, duplicates),
 * then their signatures are verified in one batch per loop turn.
 *
 * Comments name the line of Algorithm 1 each rule implements ("L22" = upon PROPOSAL … line 22).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SignatureVerifier, VerifyItem } from '../../pools/interface.ts';
import { bytesToHex, equalBytes } from '../../util/bytes.ts';
import { CATCHUP_KIND, CodecError, decodeCatchUpRequest, decodeMessages, encodeCatchUpRequest, encodeBundle, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from './codec.ts';
import type { Application, Clock, ConsensusOptions, ConsensusTimeouts, ConsensusTransport, Evidence, EvidenceStore, ValidatorSetView, Wal } from './interface.ts';
import { consensusMetrics, type ConsensusMetrics } from './metrics.ts';
import { DoubleSignError, VoteSigner } from './signer.ts';
import { MsgType, type Commit, type ConsensusMessage, type Proposal, type Vote, type VoteType } from './types.ts';
import { isOneThird, isQuorum } from '../../protocol/quorum.ts';
import { valueKey, VoteSet } from './vote-set.ts';

/** Steps of a round; NewHeight is the pause between a decision and round 0 of the next height. */
export const RoundStep = { NewHeight: 0, Propose: 1, Prevote: 2, Precommit: 3 } as const;
export type RoundStep = (typeof RoundStep)[keyof typeof RoundStep];

export const DEFAULT_TIMEOUTS: ConsensusTimeouts = {
  propose: 3000,
  proposeDelta: 500,
  prevote: 1000,
  prevoteDelta: 500,
  precommit: 1000,
  precommitDelta: 500,
  commit: 0,
};

/** Messages further ahead than this many rounds are ignored (bounds memory per height). */
const MAX_ROUNDS_AHEAD = 1000;
/** Different proposals kept per round (an equivocating proposer may send several). */
const MAX_PROPOSALS_PER_ROUND = 4;
/** Own past rounds re-gossiped per tick. */
const REGOSSIP_ROUNDS = 8;
/** While an idle proposer waits out the empty-block interval, it looks for work this often (ms). */
const EMPTY_BLOCK_POLL_MS = 200;

export interface ConsensusDeps {
  app: Application;
  transport: ConsensusTransport;
  clock: Clock;
  verifier: SignatureVerifier;
  wal: Wal;
  evidence: EvidenceStore;
  metrics?: Registry | null;
  logger?: Logger | null;
}

type QueueItem =
  | { kind: 'msg'; from: string | null; msg: ConsensusMessage }
  | { kind: 'timeout'; step: RoundStep; height: number; round: number }
  | { kind: 'gossip' }
  | { kind: 'catch-up'; from: string; height: number }
  | { kind: 'init' }
  | { kind: 'start-height'; height: number }
  | { kind: 'propose-retry'; height: number; round: number };

interface ProposalEntry {
  proposal: Proposal;
  valid: boolean;
}

class RoundState {
  readonly prevotes: VoteSet;
  readonly precommits: VoteSet;
  readonly proposals = new Map<string, ProposalEntry>();
  /** The first proposal received from the round's proposer: the one L22/L28 act on. */
  first: ProposalEntry | null = null;
  /** Validators with any message in this round (for the f+1 round skip, L55). */
  readonly senders = new Set<string>();
  senderPower = 0;
  prevoteTimeoutScheduled = false;
  precommitTimeoutScheduled = false;
  lockRuleDone = false;

  constructor(round: number, total: number) {
    this.prevotes = new VoteSet(MsgType.Prevote, round, total);
    this.precommits = new VoteSet(MsgType.Precommit, round, total);
  }
}

export interface CommitEvent {
  height: number;
  round: number;
  value: Uint8Array;
  commit: Commit;
  /** clock time from entering the height to deciding it. */
  elapsedMs: number;
}

export interface ConsensusStats {
  signaturesVerified: number;
  signaturesInvalid: number;
  verifyBatches: number;
  equivocations: number;
  doubleSignRefused: number;
  messagesDropped: number;
  /** Own signed messages of the current height found in the WAL at start (a restart mid-height). */
  restoredFromWal: number;
}

export class ConsensusState {
  /** Null for an observer (no key): it never proposes or votes. */
  readonly signer: VoteSigner | null;
  readonly stats: ConsensusStats = { signaturesVerified: 0, signaturesInvalid: 0, verifyBatches: 0, equivocations: 0, doubleSignRefused: 0, messagesDropped: 0, restoredFromWal: 0 };
  /** Set when the loop hit an unrecoverable error (WAL write failed, application threw): the node stops. */
  halted: Error | null = null;

  height: number;
  round = 0;
  step: RoundStep = RoundStep.NewHeight;
  lockedValue: Uint8Array | null = null;
  lockedValueId: Uint8Array | null = null;
  lockedRound = -1;
  validValue: Uint8Array | null = null;
  validRound = -1;

  private readonly opts: Required<Omit<ConsensusOptions, 'timeouts'>> & { timeouts: ConsensusTimeouts };
  private readonly app: Application;
  private readonly transport: ConsensusTransport;
  private readonly clock: Clock;
  private readonly verifier: SignatureVerifier;
  private readonly wal: Wal;
  private readonly evidence: EvidenceStore;
  private readonly metrics: ConsensusMetrics | null;
  private readonly logger: Logger | null;

  private valset!: ValidatorSetView;
  /** The set that decided height − 1 (late precommits for it are checked against it). */
  private decidedValset: ValidatorSetView | null = null;
  private isValidator = false;
  private rounds = new Map<number, RoundState>();
  private heightStartedAt = 0;
  /** When round 0 of this height began: the empty-block interval counts from here. */
  private roundZeroStartedAt = 0;
  private readonly queue: QueueItem[] = [];
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<() => void>();
  private cancelGossip: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private future: QueueItem[] = [];
  private readonly evidenceSeen = new Set<string>();
  /** Validators already caught double-signing the last decided height after its decision (see lateCommitVote). */
  private readonly lateConflicts = new Set<string>();
  private readonly commits = new Map<number, Commit>();
  private readonly served = new Map<string, number>();
  private readonly commitListeners: ((e: CommitEvent) => void)[] = [];

  constructor(opts: ConsensusOptions, deps: ConsensusDeps) {
    if (!Number.isSafeInteger(opts.startHeight) || opts.startHeight < 1) throw new Error(`consensus: startHeight must be a positive integer, got ${opts.startHeight}`);
    this.opts = {
      chainId: opts.chainId,
      secretKey: opts.secretKey,
      startHeight: opts.startHeight,
      timeouts: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
      gossipIntervalMs: opts.gossipIntervalMs ?? 1000,
      maxBatch: opts.maxBatch ?? 128,
      commitHistory: opts.commitHistory ?? 64,
      emptyBlockIntervalMs: opts.emptyBlockIntervalMs ?? 0,
    };
    this.app = deps.app;
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.verifier = deps.verifier;
    this.wal = deps.wal;
    this.evidence = deps.evidence;
    this.metrics = deps.metrics ? consensusMetrics(deps.metrics) : null;
    this.logger = deps.logger ?? null;
    this.signer = opts.secretKey ? new VoteSigner({ chainId: opts.chainId, secretKey: opts.secretKey }, { wal: deps.wal }) : null;
    this.height = opts.startHeight;
  }

  /** Our signer address; null for an observer. */
  get address(): Uint8Array | null {
    return this.signer?.address ?? null;
  }

  onCommit(fn: (e: CommitEvent) => void): void {
    this.commitListeners.push(fn);
  }

  /** Reads the WAL (restoring what we signed and our lock), subscribes to the transport, starts height `startHeight`. */
  async start(): Promise<void> {
    const records = await this.wal.readAll();
    this.signer?.restore(records);
    this.enterHeight(this.opts.startHeight);
    const lock = records.filter((r) => r.type === 'lock' && r.height === this.height).at(-1);
    if (lock?.type === 'lock') this.setLock(lock.value, lock.round);
    this.unsubscribe = this.transport.subscribe((from, data) => this.receive(from, data));
    this.scheduleGossip();
    this.enqueue({ kind: 'init' });
  }

  async stop(): Promise<void> {
    this.abandon();
    await this.whenIdle();
  }

  /** Stops at once without waiting for the loop: what a crash looks like from outside (simulation). */
  abandon(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.cancelGossip?.();
    for (const c of this.timers) c();
    this.timers.clear();
    this.queue.length = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Nothing queued or running. An abandoned engine counts as idle even if a write it started never returns. */
  isIdle(): boolean {
    return this.closed || (!this.running && (this.queue.length === 0 || this.halted !== null));
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Entry point for the transport: decode, then queue for the loop. */
  receive(from: string | null, data: Uint8Array): void {
    if (this.closed) return;
    let msgs: ConsensusMessage[];
    try {
      if (data[0] === CATCHUP_KIND) {
        if (from !== null) this.enqueue({ kind: 'catch-up', from, height: decodeCatchUpRequest(data) });
        return;
      }
      msgs = decodeMessages(data);
    } catch (err) {
      this.drop(err instanceof CodecError ? 'malformed' : 'decode-error');
      this.logger?.debug({ from, err: (err as Error).message }, 'dropped malformed consensus message');
      return;
    }
    for (const msg of msgs) {
      this.metrics?.messagesReceived.inc({ kind: msg.kind === 'proposal' ? 'proposal' : msg.vote.type === MsgType.Prevote ? 'prevote' : 'precommit' });
      this.enqueue({ kind: 'msg', from, msg });
    }
  }

  /** Decided heights still kept (for catch-up and tests). */
  commitAt(height: number): Commit | undefined {
    return this.commits.get(height);
  }

  // ---- the loop ----------------------------------------------------------------------------

  private enqueue(item: QueueItem): void {
    if (this.closed || this.halted) return;
    this.queue.push(item);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed && !this.halted) {
        const head = this.queue[0]!;
        if (head.kind === 'msg') {
          let n = 1;
          while (n < this.queue.length && n < this.opts.maxBatch && this.queue[n]!.kind === 'msg') n++;
          const batch = this.queue.splice(0, n) as Extract<QueueItem, { kind: 'msg' }>[];
          await this.handleMessages(batch);
        } else {
          this.queue.shift();
          await this.handleEvent(head);
        }
      }
    } catch (err) {
      this.halted = err as Error;
      this.logger?.error({ err, height: this.height, round: this.round }, 'consensus halted');
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async handleEvent(item: Exclude<QueueItem, { kind: 'msg' }>): Promise<void> {
    switch (item.kind) {
      case 'init':
        await this.resumeOrStart();
        break;
      case 'gossip':
        this.regossip();
        this.scheduleGossip();
        return;
      case 'catch-up':
        this.serveCatchUp(item.from, item.height);
        return;
      case 'start-height':
        if (item.height === this.height && this.step === RoundStep.NewHeight) await this.startRound(0);
        break;
      case 'propose-retry':
        // Still our turn, nothing proposed meanwhile (a round change or a decision cancels the wait).
        if (item.height !== this.height || item.round !== this.round || this.step !== RoundStep.Propose) return;
        await this.propose(item.round);
        break;
      case 'timeout':
        if (item.height !== this.height || item.round !== this.round) return;
        if (item.step === RoundStep.Propose && this.step === RoundStep.Propose) {
          // L57: OnTimeoutPropose
          this.metrics?.timeouts.inc({ step: 'propose' });
          await this.castVote(MsgType.Prevote, null);
          this.step = RoundStep.Prevote;
        } else if (item.step === RoundStep.Prevote && this.step === RoundStep.Prevote) {
          // L61: OnTimeoutPrevote
          this.metrics?.timeouts.inc({ step: 'prevote' });
          await this.castVote(MsgType.Precommit, null);
          this.step = RoundStep.Precommit;
        } else if (item.step === RoundStep.Precommit) {
          // L65: OnTimeoutPrecommit
          this.metrics?.timeouts.inc({ step: 'precommit' });
          await this.startRound(this.round + 1);
        } else return;
        break;
    }
    await this.evaluate();
  }

  /** After start: continue from what the WAL says we signed at this height, or begin round 0. */
  private async resumeOrStart(): Promise<void> {
    const signer = this.signer;
    const mine = signer?.signedAtHeight(this.height) ?? [];
    if (!signer || mine.length === 0) {
      await this.startRound(0);
      return;
    }
    let round = 0;
    let step: RoundStep = RoundStep.Propose;
    this.stats.restoredFromWal = mine.length;
    for (const s of mine) {
      const r = s.kind === 'proposal' ? s.proposal.round : s.vote.round;
      const st = (s.kind === 'proposal' ? RoundStep.Propose : s.vote.type) as RoundStep;
      if (r > round || (r === round && st > step)) {
        round = r;
        step = st;
      }
      if (s.kind === 'proposal') this.insertProposal(s.proposal, true);
      else await this.addVote(s.vote, signer.addressHex);
    }
    this.round = round;
    this.step = step;
    this.metrics?.round.set(round);
    this.logger?.info({ height: this.height, round, step, locked: this.lockedRound }, 'resumed from the WAL');
    if (step === RoundStep.Propose && !this.roundState(round).first) this.scheduleTimeout(RoundStep.Propose, round);
    this.regossip();
  }

  // ---- messages ----------------------------------------------------------------------------

  private async handleMessages(batch: Extract<QueueItem, { kind: 'msg' }>[]): Promise<void> {
    const pending: { msg: ConsensusMessage; item: VerifyItem; validatorHex: string; power: number }[] = [];
    const inBatch = new Set<string>();
    for (const { from, msg } of batch) {
      const h = msg.kind === 'proposal' ? msg.proposal.height : msg.vote.height;
      const r = msg.kind === 'proposal' ? msg.proposal.round : msg.vote.round;
      if (h < this.height) {
        const late = msg.kind === 'vote' ? this.lateCommitVote(msg.vote, inBatch) : null;
        if (late) {
          pending.push({ msg, ...late });
          continue;
        }
        this.serveCatchUp(from, h);
        this.drop('old-height');
        continue;
      }
      if (h > this.height) this.requestCatchUp(from);
      if (h === this.height + 1) {
        if (this.future.length < 4 * this.valset.validators.length + 16) this.future.push({ kind: 'msg', from, msg });
        else this.drop('future-full');
        continue;
      }
      if (h !== this.height || r > this.round + MAX_ROUNDS_AHEAD) {
        this.drop('out-of-range');
        continue;
      }
      if (msg.kind === 'vote') {
        const v = msg.vote;
        const vhex = bytesToHex(v.validator);
        const val = this.valset.getByAddress(vhex);
        if (!val) {
          this.drop('unknown-validator');
          continue;
        }
        if (v.signature[64]! > 1) {
          this.drop('bad-signature');
          continue;
        }
        const rs = this.roundState(r);
        const set = v.type === MsgType.Prevote ? rs.prevotes : rs.precommits;
        const seen = set.lookup(vhex, v.valueId);
        const dedupe = `${vhex}/${r}/${v.type}/${valueKey(v.valueId)}`;
        if (seen === 'same' || inBatch.has(dedupe) || (seen === 'conflict' && this.evidenceSeen.has(`${vhex}/${r}/${v.type}`))) {
          this.drop('duplicate');
          continue;
        }
        inBatch.add(dedupe);
        pending.push({
          msg,
          validatorHex: vhex,
          power: val.votingPower,
          item: { kind: 'secp256k1-verify', digest: voteDigest(this.opts.chainId, v), signature: v.signature.subarray(0, 64), publicKey: val.publicKey },
        });
      } else {
        const p = msg.proposal;
        const proposer = this.valset.proposer(r);
        if (!equalBytes(proposer.address, p.proposer)) {
          this.drop('not-proposer');
          continue;
        }
        const rs = this.roundState(r);
        const key = valueKey(p.valueId);
        const dedupe = `p/${r}/${key}`;
        if (rs.proposals.has(key) || inBatch.has(dedupe) || rs.proposals.size >= MAX_PROPOSALS_PER_ROUND || p.signature[64]! > 1) {
          this.drop('duplicate');
          continue;
        }
        inBatch.add(dedupe);
        pending.push({
          msg,
          validatorHex: bytesToHex(p.proposer),
          power: proposer.votingPower,
          item: { kind: 'secp256k1-verify', digest: proposalDigest(this.opts.chainId, p), signature: p.signature.subarray(0, 64), publicKey: proposer.publicKey },
        });
      }
    }
    if (pending.length > 0) {
      const t0 = performance.now();
      const results = await this.verifier.verifyBatch(
        pending.map((p) => p.item),
        { priority: true },
      );
      this.metrics?.verifyBatchSeconds.observe((performance.now() - t0) / 1000);
      this.stats.verifyBatches++;
      this.stats.signaturesVerified += pending.length;
      this.metrics?.signaturesVerified.inc(pending.length);
      for (let i = 0; i < pending.length; i++) {
        const { msg, validatorHex, power } = pending[i]!;
        if (!results[i]!.ok) {
          this.stats.signaturesInvalid++;
          this.metrics?.signaturesInvalid.inc();
          this.drop('invalid-signature');
          continue;
        }
        if (msg.kind === 'proposal') {
          const p = msg.proposal;
          let valid = false;
          try {
            valid = await this.app.validateValue(p.height, p.value);
          } catch (err) {
            this.logger?.warn({ err, height: p.height, round: p.round }, 'validateValue threw; treating the value as invalid');
          }
          this.insertProposal(p, valid);
          this.markSender(p.round, validatorHex, power);
        } else if (msg.vote.height < this.height) {
          await this.addLateCommitVote(msg.vote, validatorHex);
        } else {
          const v = msg.vote;
          if (v.type === MsgType.Precommit && v.valueId && this.app.verifyVoteExtension && !this.app.verifyVoteExtension(v.height, v.validator, v.valueId, v.extension)) {
            this.drop('bad-extension');
            continue;
          }
          await this.addVote(v, validatorHex, power);
        }
      }
    }
    await this.evaluate();
  }

  /**
   * A precommit for the height just decided, for its value and round, from a validator the commit
   * lacks: it arrived after the quorum (during the commit pause). It joins the commit, and the app
   * carries it in the next block, as Tendermint's LastCommit collects late precommits: so a block's
   * commit names every validator that signed in time, which chain-derived liveness counts rely on.
   */
  private lateCommitVote(v: Vote, inBatch: Set<string>): { item: VerifyItem; validatorHex: string; power: number } | null {
    const c = this.commits.get(v.height);
    const set = this.decidedValset;
    if (v.type !== MsgType.Precommit || v.height !== this.height - 1 || !c || !set || v.round !== c.round) return null;
    const vhex = bytesToHex(v.validator);
    const val = set.getByAddress(vhex);
    if (!val || v.signature[64]! > 1) return null;
    const holds = inBatch.has(`late/${vhex}`) || c.precommits.some((p) => equalBytes(p.validator, v.validator));
    if (v.valueId && equalBytes(v.valueId, c.proposal.valueId)) {
      if (holds) return null;
      inBatch.add(`late/${vhex}`);
    } else {
      // A precommit for another value (or nil) from a validator whose precommit for the decided value
      // we hold: a double sign that reached us only after the decision. Checked, then kept as evidence.
      if (!holds || inBatch.has(`late-conflict/${vhex}`) || this.lateConflicts.has(vhex)) return null;
      inBatch.add(`late-conflict/${vhex}`);
    }
    return {
      validatorHex: vhex,
      power: val.votingPower,
      item: { kind: 'secp256k1-verify', digest: voteDigest(this.opts.chainId, v), signature: v.signature.subarray(0, 64), publicKey: val.publicKey },
    };
  }

  private async addLateCommitVote(v: Vote, validatorHex: string): Promise<void> {
    const c = this.commits.get(v.height);
    if (!c || v.height !== this.height - 1) return;
    const held = c.precommits.find((p) => equalBytes(p.validator, v.validator));
    if (!v.valueId || !equalBytes(v.valueId, c.proposal.valueId)) {
      if (!held || this.lateConflicts.has(validatorHex)) return;
      this.lateConflicts.add(validatorHex);
      await this.recordEquivocation(validatorHex, held, v);
      return;
    }
    if (held) return;
    if (this.app.lateCommitVote && !this.app.lateCommitVote(v.height, v)) return;
    c.precommits.push(v);
  }

  private insertProposal(p: Proposal, valid: boolean): void {
    const rs = this.roundState(p.round);
    const key = valueKey(p.valueId);
    if (rs.proposals.has(key)) return;
    const entry = { proposal: p, valid };
    rs.proposals.set(key, entry);
    if (!rs.first) rs.first = entry;
  }

  private async addVote(v: Vote, validatorHex: string, power?: number): Promise<void> {
    const p = power ?? this.valset.getByAddress(validatorHex)?.votingPower ?? 0;
    const rs = this.roundState(v.round);
    const set = v.type === MsgType.Prevote ? rs.prevotes : rs.precommits;
    const res = set.add(v, validatorHex, p);
    if (res.added) {
      this.markSender(v.round, validatorHex, p);
      return;
    }
    if (res.duplicate) return;
    this.evidenceSeen.add(`${validatorHex}/${v.round}/${v.type}`);
    await this.recordEquivocation(validatorHex, res.conflict, v);
  }

  /** Two different signed votes of one validator for one height, round and step: evidence. */
  private async recordEquivocation(validatorHex: string, voteA: Vote, v: Vote): Promise<void> {
    const ev: Evidence = { validator: v.validator, height: v.height, round: v.round, step: v.type, voteA, voteB: v };
    this.stats.equivocations++;
    this.metrics?.equivocations.inc();
    this.logger?.warn({ validator: validatorHex, height: v.height, round: v.round, step: v.type }, 'equivocation: two different signed votes');
    await this.evidence.add(ev);
  }

  private markSender(round: number, validatorHex: string, power: number): void {
    const rs = this.roundState(round);
    if (rs.senders.has(validatorHex)) return;
    rs.senders.add(validatorHex);
    rs.senderPower += power;
  }

  // ---- Algorithm 1 -------------------------------------------------------------------------

  /** Applies upon-rules until none fires. */
  private async evaluate(): Promise<void> {
    for (let i = 0; i < 100_000 && !this.closed; i++) {
      if (!(await this.applyOneRule())) return;
    }
  }

  private async applyOneRule(): Promise<boolean> {
    const total = this.valset.totalVotingPower;
    // L49: a proposal and 2f+1 precommits for its id in any round decide the height.
    for (const [r, rs] of this.rounds) {
      const q = rs.precommits.quorum();
      if (q?.valueId) {
        const pe = rs.proposals.get(q.key);
        if (pe?.valid) {
          await this.decide(r, pe.proposal, rs);
          return true;
        }
      }
    }
    // L55: f+1 validators already in a later round: go there.
    let skipTo = -1;
    for (const [r, rs] of this.rounds) if (r > this.round && r > skipTo && isOneThird(rs.senderPower, total)) skipTo = r;
    if (skipTo >= 0) {
      await this.startRound(skipTo);
      return true;
    }
    if (this.step === RoundStep.NewHeight) return false;
    const rs = this.roundState(this.round);
    if (this.step === RoundStep.Propose && rs.first) {
      const { proposal: p, valid } = rs.first;
      if (p.validRound === -1) {
        // L22
        const ok = valid && (this.lockedRound === -1 || this.isLockedOn(p.valueId));
        await this.castVote(MsgType.Prevote, ok ? p.valueId : null);
        this.step = RoundStep.Prevote;
        return true;
      }
      if (p.validRound < this.round) {
        // L28: re-proposal with a proof of lock from validRound.
        const pol = this.rounds.get(p.validRound);
        if (pol && isQuorum(pol.prevotes.powerFor(p.valueId), total)) {
          const ok = valid && (this.lockedRound <= p.validRound || this.isLockedOn(p.valueId));
          await this.castVote(MsgType.Prevote, ok ? p.valueId : null);
          this.step = RoundStep.Prevote;
          return true;
        }
      }
    }
    // L34: 2f+1 prevotes of any kind: start the prevote timer.
    if (this.step === RoundStep.Prevote && !rs.prevoteTimeoutScheduled && rs.prevotes.hasQuorumAny()) {
      rs.prevoteTimeoutScheduled = true;
      this.scheduleTimeout(RoundStep.Prevote, this.round);
    }
    // L36: a proposal with 2f+1 prevotes for it: lock (if still prevoting) and remember as valid.
    if (this.step >= RoundStep.Prevote && !rs.lockRuleDone) {
      const q = rs.prevotes.quorum();
      const pe = q?.valueId ? rs.proposals.get(q.key) : undefined;
      if (pe?.valid) {
        rs.lockRuleDone = true;
        if (this.step === RoundStep.Prevote) {
          // The lock is durable before the precommit that reveals it, so a restart cannot forget it:
          // staged, it goes to disk in the precommit's own write and sync. A node that does not vote
          // reveals nothing and has nothing to remember.
          if (this.isValidator) this.wal.stage({ type: 'lock', height: this.height, round: this.round, value: pe.proposal.value });
          this.setLock(pe.proposal.value, this.round);
          await this.castVote(MsgType.Precommit, pe.proposal.valueId, pe.proposal.value);
          this.step = RoundStep.Precommit;
        }
        this.validValue = pe.proposal.value;
        this.validRound = this.round;
        return true;
      }
    }
    // L44: 2f+1 prevotes for nil.
    if (this.step === RoundStep.Prevote) {
      const q = rs.prevotes.quorum();
      if (q && q.valueId === null) {
        await this.castVote(MsgType.Precommit, null);
        this.step = RoundStep.Precommit;
        return true;
      }
    }
    // L47: 2f+1 precommits of any kind: start the precommit timer.
    if (!rs.precommitTimeoutScheduled && rs.precommits.hasQuorumAny()) {
      rs.precommitTimeoutScheduled = true;
      this.scheduleTimeout(RoundStep.Precommit, this.round);
    }
    return false;
  }

  private isLockedOn(valueId: Uint8Array): boolean {
    return this.lockedValueId !== null && equalBytes(this.lockedValueId, valueId);
  }

  private setLock(value: Uint8Array, round: number): void {
    this.lockedValue = value;
    this.lockedValueId = valueIdOf(value);
    this.lockedRound = round;
    if (round > this.validRound) {
      this.validValue = value;
      this.validRound = round;
    }
  }

  /** StartRound(round) of Algorithm 1 (L11). */
  private async startRound(round: number): Promise<void> {
    this.round = round;
    this.step = RoundStep.Propose;
    this.metrics?.round.set(round);
    if (round === 0) this.roundZeroStartedAt = this.clock.now();
    const proposer = this.valset.proposer(round);
    const signer = this.isValidator ? this.signer : null;
    if (signer && equalBytes(proposer.address, signer.address)) await this.propose(round);
    else this.scheduleTimeout(RoundStep.Propose, round);
  }

  /**
   * Our proposal for `round` (we are its proposer). With an empty-block interval (CometBFT's
   * create_empty_blocks_interval), round 0 of a height that has nothing to carry is put off until the
   * application has work or the interval since round 0 began has passed; an idle network then
   * decides a height per interval instead of one per commit pause.
   */
  private async propose(round: number): Promise<void> {
    const signer = this.signer!;
    const prior = signer.signedAt(this.height, round, MsgType.Proposal);
    let proposal: Proposal;
    let bytes: Uint8Array;
    if (prior?.kind === 'proposal') {
      proposal = prior.proposal;
      bytes = prior.bytes;
    } else {
      const value = this.validValue ?? (await this.app.proposeValue(this.height, round));
      if (this.closed) return;
      const waitLeft = this.roundZeroStartedAt + this.opts.emptyBlockIntervalMs - this.clock.now();
      if (round === 0 && !this.validValue && waitLeft > 0 && this.app.canWaitToPropose?.(this.height, value)) {
        this.schedule(Math.min(EMPTY_BLOCK_POLL_MS, waitLeft), { kind: 'propose-retry', height: this.height, round });
        return;
      }
      const validRound = this.validValue ? this.validRound : -1;
      try {
        ({ proposal, bytes } = await this.timedSign('proposal', () => signer.signProposal({ height: this.height, round, validRound, value })));
      } catch (err) {
        if (!(err instanceof DoubleSignError)) throw err;
        this.refused(err);
        return;
      }
    }
    if (this.closed) return;
    this.insertProposal(proposal, true);
    this.markSender(round, signer.addressHex, this.valset.proposer(round).votingPower);
    this.transport.broadcast(this.withProofOfLock(proposal, bytes));
  }

  /** A re-proposal travels with the 2f+1 prevotes of its validRound, so peers that missed them can check it (L28). */
  private withProofOfLock(p: Proposal, bytes: Uint8Array): Uint8Array {
    if (p.validRound < 0) return bytes;
    const pol = this.rounds.get(p.validRound)?.prevotes.votesFor(valueKey(p.valueId)) ?? [];
    return encodeBundle([bytes, ...pol.map(encodeVote)]);
  }

  private async castVote(type: VoteType, valueId: Uint8Array | null, value?: Uint8Array): Promise<void> {
    const signer = this.isValidator ? this.signer : null;
    if (!signer) return;
    const extension = type === MsgType.Precommit && valueId && value && this.app.extendVote ? this.app.extendVote(this.height, this.round, value) : undefined;
    let signed: { vote: Vote; bytes: Uint8Array };
    try {
      signed = await this.timedSign(type === MsgType.Prevote ? 'prevote' : 'precommit', () => signer.signVote({ type, height: this.height, round: this.round, valueId, extension }));
    } catch (err) {
      if (!(err instanceof DoubleSignError)) throw err;
      this.refused(err);
      return;
    }
    if (this.closed) return; // crashed while the WAL write was in flight: a dead process sends nothing
    await this.addVote(signed.vote, signer.addressHex);
    this.transport.broadcast(signed.bytes);
  }

  private async timedSign<T>(kind: 'proposal' | 'prevote' | 'precommit', fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const out = await fn();
    this.metrics?.walAppendSeconds.observe((performance.now() - t0) / 1000);
    this.metrics?.signed.inc({ kind });
    return out;
  }

  private refused(err: DoubleSignError): void {
    this.stats.doubleSignRefused++;
    this.metrics?.doubleSignRefused.inc();
    this.logger?.error({ height: this.height, round: this.round, err: err.message }, 'double-sign guard refused to sign');
  }

  private async decide(round: number, proposal: Proposal, rs: RoundState): Promise<void> {
    const height = this.height;
    const commit: Commit = { height, round, proposal, precommits: rs.precommits.votesFor(valueKey(proposal.valueId)) };
    await this.app.commitValue(height, proposal.value, commit);
    // Nothing is sent on the strength of a height's end: it rides along with the next durable write.
    this.wal.stage({ type: 'end-height', height });
    const elapsedMs = this.clock.now() - this.heightStartedAt;
    this.commits.set(height, commit);
    this.commits.delete(height - this.opts.commitHistory);
    this.decidedValset = this.valset;
    this.metrics?.commits.inc();
    this.metrics?.commitSeconds.observe(elapsedMs / 1000);
    this.metrics?.roundsPerHeight.observe(round + 1);
    this.logger?.debug({ height, round }, 'decided');
    for (const l of this.commitListeners) l({ height, round, value: proposal.value, commit, elapsedMs });
    await this.wal.prune(height + 1);
    this.signer?.forgetBelow(height + 1);
    this.enterHeight(height + 1);
    if (this.opts.timeouts.commit > 0) this.schedule(this.opts.timeouts.commit, { kind: 'start-height', height: this.height });
    else await this.startRound(0);
    const future = this.future;
    this.future = [];
    // Ahead of anything else queued: these were received first.
    this.queue.unshift(...future);
  }

  private enterHeight(height: number): void {
    this.height = height;
    this.round = 0;
    this.step = RoundStep.NewHeight;
    this.rounds = new Map();
    this.lockedValue = this.lockedValueId = this.validValue = null;
    this.lockedRound = this.validRound = -1;
    this.valset = this.app.validatorSet(height);
    this.isValidator = this.signer !== null && this.valset.getByAddress(this.signer.addressHex) !== undefined;
    for (const c of this.timers) c();
    this.timers.clear();
    this.evidenceSeen.clear();
    this.lateConflicts.clear();
    if (this.served.size > 10_000) this.served.clear();
    this.heightStartedAt = this.clock.now();
    this.metrics?.height.set(height);
    this.metrics?.round.set(0);
  }

  private roundState(round: number): RoundState {
    let rs = this.rounds.get(round);
    if (!rs) {
      rs = new RoundState(round, this.valset.totalVotingPower);
      this.rounds.set(round, rs);
    }
    return rs;
  }

  // ---- timers and gossip -------------------------------------------------------------------

  private timeoutFor(step: RoundStep, round: number): number {
    const t = this.opts.timeouts;
    // Round 0 also leaves an idle proposer its empty-block interval (see propose).
    if (step === RoundStep.Propose) return t.propose + t.proposeDelta * round + (round === 0 ? this.opts.emptyBlockIntervalMs : 0);
    if (step === RoundStep.Prevote) return t.prevote + t.prevoteDelta * round;
    return t.precommit + t.precommitDelta * round;
  }

  private scheduleTimeout(step: RoundStep, round: number): void {
    this.schedule(this.timeoutFor(step, round), { kind: 'timeout', step, height: this.height, round });
  }

  private schedule(ms: number, item: QueueItem): void {
    const cancel = this.clock.setTimer(ms, () => {
      this.timers.delete(cancel);
      this.enqueue(item);
    });
    this.timers.add(cancel);
  }

  private scheduleGossip(): void {
    if (this.closed) return;
    this.cancelGossip = this.clock.setTimer(this.opts.gossipIntervalMs, () => this.enqueue({ kind: 'gossip' }));
  }

  /** Gossip is lossy: resend what we signed at this height (recent rounds), proofs of lock included. */
  private regossip(): void {
    const mine = (this.signer?.signedAtHeight(this.height) ?? []).filter((s) => (s.kind === 'proposal' ? s.proposal.round : s.vote.round) > this.round - REGOSSIP_ROUNDS);
    if (mine.length === 0) return;
    const parts: Uint8Array[] = [];
    for (const s of mine) {
      if (s.kind === 'proposal' && s.proposal.validRound >= 0) {
        const pol = this.rounds.get(s.proposal.validRound)?.prevotes.votesFor(valueKey(s.proposal.valueId)) ?? [];
        parts.push(s.bytes, ...pol.map(encodeVote));
      } else parts.push(s.bytes);
    }
    this.transport.broadcast(parts.length === 1 ? parts[0]! : encodeBundle(parts));
  }

  /** A peer still on a decided height gets that height's proposal and precommits (at most once per gossip interval per height). */
  private serveCatchUp(from: string | null, height: number): void {
    if (from === null) return;
    const c = this.commits.get(height);
    if (!c) return;
    const key = `${from}/${height}`;
    const last = this.served.get(key);
    const now = this.clock.now();
    if (last !== undefined && now - last < this.opts.gossipIntervalMs) return;
    this.served.set(key, now);
    // The next height's commit too: the peer buffers height+1, so it can decide both from one reply.
    const next = this.commits.get(height + 1);
    const parts = [encodeProposal(c.proposal), ...c.precommits.map(encodeVote)];
    if (next) parts.push(encodeProposal(next.proposal), ...next.precommits.map(encodeVote));
    this.transport.sendTo(from, encodeBundle(parts));
  }

  /**
   * A peer ahead of us has decided our height: ask it for the commit rather than wait for our own
   * gossip to reach it (a validator that never got the proposal sends nothing to trigger that).
   */
  private requestCatchUp(from: string | null): void {
    if (from === null) return;
    const key = `req/${from}/${this.height}`;
    const last = this.served.get(key);
    const now = this.clock.now();
    if (last !== undefined && now - last < this.opts.gossipIntervalMs) return;
    this.served.set(key, now);
    this.transport.sendTo(from, encodeCatchUpRequest(this.height));
  }

  private drop(reason: string): void {
    this.stats.messagesDropped++;
    this.metrics?.messagesDropped.inc({ reason });
  }
}
