/**
 * The slot scheduler (main thread). On every new head it works out whether this node may seal the
 * next block and when: the in-turn producer at parent.time + period (producerDelay at a sprint
 * start), a backup at + succession × backupMultiplier more (Bor's `CalcProducerDelay`). It starts
 * building a time budget before that moment, seals when the build returns, and releases the block at
 * its timestamp only if the head has not moved meanwhile: a backup's block is thus published only
 * when the in-turn producer (and every better-placed backup) missed the slot. Turn order comes from
 * the snapshot, so the in-turn producer of the next sprint takes over again by itself.
 */
import type { CodeChange, TopUpBatch } from '../../evm/interface.ts';
import type { Logger } from '../../observability/logger.ts';
import { counter, histogram, SECONDS_BUCKETS, type Counter, type Histogram, type Registry } from '../../observability/metrics.ts';
import { bytesToHex } from '../../util/bytes.ts';
import { buildExtra, isSprintEnd } from '../engine/extra.ts';
import { headerHash } from '../engine/header.ts';
import type { SpanProducerSource } from '../engine/interface.ts';
import { calcGasLimit, NotAProducerError, producerDelay, succession } from '../engine/rules.ts';
import { sealHeader } from '../engine/seal.ts';
import type { Snapshot } from '../engine/snapshot.ts';
import type { BorParams, BttcHeader, ProducerEntry } from '../engine/types.ts';
import { BuildLeadEstimator } from './buildLead.ts';
import type { Clock } from './clock.ts';
import type { PoolTx } from '../txpool/interface.ts';
import type { BlockBuilder, IncomingBlockSource, SealedBlockSink, SystemCallSource, TxSource } from './interface.ts';

export interface ProducerOptions {
  params: BorParams;
  signerKey: Uint8Array;
  signerAddress: Uint8Array;
  /** Gas limit to move toward (BTTC validators run with 20,000,000). */
  targetGasLimit: bigint;
  /** Wall time the executor may spend adding transactions. */
  buildBudgetMs?: number;
  /** Kept free after the build for sealing and handing over. */
  sealMarginMs?: number;
  /**
   * Start each build only as early as recent builds of that much pending gas say it needs
   * (buildLead.ts), instead of always buildBudgetMs ahead: later pool snapshots, lower inclusion
   * latency. buildBudgetMs stays the cap. Default true.
   */
  adaptiveLead?: boolean;
  /**
   * Top up the block being built: once the first snapshot's transactions ran, the executor asks for
   * what reached the pool meanwhile and runs it in the same block, until release − (measured
   * finalise time + margin). Transactions arriving during the build lead then make this block
   * instead of the next one. Needs `TxSource.onAdded`. Default true.
   */
  topUp?: boolean;
  /** Cap on transactions offered per block: sum of their gas limits ≤ this × the block gas limit. */
  overcommit?: number;
  maxTxsOffered?: number;
  vanity?: Uint8Array;
}

export interface ProducerDeps {
  clock: Clock;
  snapshots: { snapshotAfter(header: BttcHeader, hash?: Uint8Array): Promise<Snapshot> };
  spans: SpanProducerSource;
  builder: BlockBuilder;
  txs: TxSource;
  sink: SealedBlockSink;
  systemCalls?: SystemCallSource | null;
  /** Code replaced at the end of block `number` (the genesis's `config.bor.blockAlloc`), as importers do. */
  codeChanges?: ((number: bigint) => CodeChange[]) | null;
  /** Up to 256 hashes from the parent back, for BLOCKHASH. */
  ancestorHashes?: ((head: BttcHeader, headHash: Uint8Array) => Promise<Uint8Array[]>) | null;
  /** Blocks queued for import; a backup yields to a better one (call `wake` when an import ends). */
  incoming?: IncomingBlockSource | null;
  logger?: Logger | null;
  metrics?: Registry | null;
}

/** How often a producer waiting to build looks at the pool again. */
const LEAD_RECHECK_MS = 50;
/** Least time between two top-up batches: arrivals are gathered rather than sent one by one. */
const TOPUP_GATHER_MS = 20;
/** Finalise times remembered (system calls, commit, roots, as the executor reports them). */
const FINALISE_WINDOW = 8;

export type SlotOutcome = 'sealed' | 'superseded' | 'yielded' | 'not-producer' | 'span-unknown' | 'failed';

interface Metrics {
  slots: Counter<string>;
  sealed: Counter<string>;
  buildSeconds: Histogram<string>;
  txsPerBlock: Histogram<string>;
  releaseLate: Histogram<string>;
  topUpTxs: Counter<string>;
}

export class BlockProducer {
  private readonly opts: Required<ProducerOptions>;
  private readonly deps: ProducerDeps;
  private readonly metrics: Metrics | null;
  /** Bumped on every head and on stop: work started for an older generation is dropped. */
  private generation = 0;
  private cancelTimer: (() => void) | null = null;
  private running = true;
  private readonly inflight = new Set<Promise<void>>();
  /** The head whose slot this node yielded to a better block still being imported. */
  private yielded: { gen: number; head: BttcHeader; hash: Uint8Array; difficulty: bigint } | null = null;
  /** Outcome of each slot this node tried, for tests and diagnostics. */
  readonly history: { number: bigint; outcome: SlotOutcome; succession?: number }[] = [];
  private readonly lead = new BuildLeadEstimator();
  /** Recent finalise times of this node's builds (ms): when the last top-up must end. */
  private readonly finaliseMs: number[] = [];

  constructor(opts: ProducerOptions, deps: ProducerDeps) {
    this.opts = { buildBudgetMs: 1000, sealMarginMs: 50, adaptiveLead: true, topUp: true, overcommit: 3, maxTxsOffered: 5000, vanity: new Uint8Array(32), ...opts };
    this.deps = deps;
    const reg = deps.metrics ?? null;
    this.metrics = reg
      ? {
          slots: counter(reg, 'bttc_producer_slots_total', 'Slots this node considered, by outcome', ['outcome']),
          sealed: counter(reg, 'bttc_producer_sealed_total', 'Blocks sealed by this node, in turn or as a backup', ['turn']),
          buildSeconds: histogram(reg, 'bttc_producer_build_seconds', 'Executor time to build a block', SECONDS_BUCKETS),
          txsPerBlock: histogram(reg, 'bttc_producer_block_transactions', 'Transactions in blocks this node sealed', [0, 1, 10, 50, 100, 250, 500, 1000, 2000, 5000]),
          // A block released after its timestamp stretches the interval every other node sees.
          releaseLate: histogram(reg, 'bttc_producer_release_late_seconds', 'How long after its header timestamp a sealed block was released', [0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2]),
          topUpTxs: counter(reg, 'bttc_producer_topup_transactions_total', 'Transactions offered to a block being built after its first pool snapshot (top-ups)'),
        }
      : null;
  }

  /** Schedules the slot after this head, replacing whatever was scheduled for the previous head. */
  onHead(head: BttcHeader, hash: Uint8Array = headerHash(head)): void {
    if (!this.running) return;
    const gen = ++this.generation;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const work = this.schedule(gen, head, hash)
      .catch((err: unknown) => {
        // After stop, a build still running can fail on stores that are closing: not a production failure.
        if (!this.running) return;
        this.record(head.number + 1n, 'failed');
        this.deps.logger?.error({ err, number: String(head.number + 1n) }, 'block production failed');
      })
      .finally(() => this.inflight.delete(work));
    this.inflight.add(work);
  }

  /** Resolves when work started before `stop` has finished (a build may be in the executor). */
  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight);
  }

  /**
   * An import finished. If this node yielded its slot to a queued block and the head has not moved
   * since (that block was rejected, or lost fork choice), the slot is scheduled again: it is in the
   * past by now, so it seals at once unless another better block is still waiting.
   */
  wake(): void {
    const y = this.yielded;
    if (!y || !this.running || y.gen !== this.generation) return;
    if (this.deps.incoming?.hasBetter(y.hash, y.difficulty)) return;
    this.yielded = null;
    this.onHead(y.head, y.hash);
  }

  /** Resumes after `stop` (a node back online); call `onHead` with the current head next. */
  start(): void {
    this.running = true;
  }

  stop(): void {
    this.running = false;
    this.generation++;
    this.cancelTimer?.();
  }

  private async schedule(gen: number, head: BttcHeader, headHash: Uint8Array): Promise<void> {
    const p = this.opts.params;
    const number = head.number + 1n;
    const snap = await this.deps.snapshots.snapshotAfter(head, headHash);
    if (gen !== this.generation) return;
    let succ: number;
    try {
      succ = succession(snap.set, this.opts.signerAddress);
    } catch (err) {
      if (err instanceof NotAProducerError) return this.record(number, 'not-producer');
      throw err;
    }
    const nowMs = this.deps.clock.now();
    let time = head.time + BigInt(producerDelay(number, succ, p));
    // Bor: a slot already in the past is sealed with the current time.
    const nowSec = BigInt(Math.floor(nowMs / 1000));
    if (time < nowSec) time = nowSec;
    const releaseMs = Number(time) * 1000;
    const startMs = Math.max(nowMs, releaseMs - this.opts.buildBudgetMs - this.opts.sealMarginMs);
    await this.waitUntil(gen, startMs);
    if (gen !== this.generation) return;
    if (this.opts.adaptiveLead && !(await this.waitForLead(gen, releaseMs, calcGasLimit(head.gasLimit, this.opts.targetGasLimit)))) return;
    const difficulty = BigInt(snap.set.validators.length - succ);
    // A backup whose better-placed producer's block is already here only waits for its import
    // (on a loaded node that import can outlast the backup delay): building would spend executor
    // time on a block that cannot win.
    if (this.yieldTo(gen, head, headHash, number, difficulty, succ)) return;
    const block = await this.build(gen, head, headHash, number, time, difficulty, succ, releaseMs);
    if (!block) return;
    await this.waitUntil(gen, releaseMs);
    if (gen !== this.generation) return this.record(number, 'superseded', succ);
    if (this.yieldTo(gen, head, headHash, number, difficulty, succ)) return;
    this.record(number, 'sealed', succ);
    const lateMs = Math.max(0, this.deps.clock.now() - releaseMs);
    this.metrics?.sealed.inc({ turn: succ === 0 ? 'in-turn' : 'backup' });
    this.metrics?.releaseLate.observe(lateMs / 1000);
    this.deps.logger?.info(
      {
        number: String(number),
        hash: bytesToHex(block.hash),
        succession: succ,
        txs: block.txs.length,
        gasUsed: String(block.header.gasUsed),
        lateMs: Math.round(lateMs),
        offered: block.offered,
        leadMs: Math.round(block.leadMs),
        topUps: block.topUps,
        notTried: block.build.notTried,
        timingsMs: roundTimings(block.build.timings),
      },
      'sealed block',
    );
    await this.deps.sink.onSealed(block);
  }

  /**
   * Waits until the build must start for what the pool holds now; rechecks as transactions arrive
   * (a fuller pool needs an earlier start). False when a newer head took over meanwhile.
   */
  private async waitForLead(gen: number, releaseMs: number, gasLimit: bigint): Promise<boolean> {
    for (;;) {
      let gas = 0n;
      for (const tx of this.deps.txs.pending(gasLimit)) {
        gas += tx.gasLimit;
        if (gas >= gasLimit) break;
      }
      const at = releaseMs - this.opts.sealMarginMs - this.lead.leadMs(gas < gasLimit ? gas : gasLimit, this.opts.buildBudgetMs);
      const now = this.deps.clock.now();
      if (now >= at) return gen === this.generation;
      // An empty pool only changes when a transaction arrives: sleep until then (or the start) rather
      // than waking every LEAD_RECHECK_MS through every idle slot.
      if (gas === 0n && this.deps.txs.onAdded) await this.waitUntilAdded(gen, at);
      else await this.waitUntil(gen, Math.min(at, now + LEAD_RECHECK_MS));
      if (gen !== this.generation) return false;
    }
  }

  /** waitUntil(atMs), cut short when transactions enter the pool. */
  private async waitUntilAdded(gen: number, atMs: number): Promise<void> {
    const wait = this.waitUntil(gen, atMs);
    const cancel = this.cancelTimer;
    const off = this.deps.txs.onAdded!(() => {
      if (this.cancelTimer === cancel) cancel?.();
    });
    try {
      await wait;
    } finally {
      off();
    }
  }

  private yieldTo(gen: number, head: BttcHeader, hash: Uint8Array, number: bigint, difficulty: bigint, succ: number): boolean {
    if (succ === 0 || !this.deps.incoming?.hasBetter(hash, difficulty)) return false;
    this.yielded = { gen, head, hash, difficulty };
    this.record(number, 'yielded', succ);
    this.deps.logger?.debug({ number: String(number), succession: succ }, 'backup slot yielded to a better block being imported');
    return true;
  }

  private async build(gen: number, head: BttcHeader, headHash: Uint8Array, number: bigint, time: bigint, difficulty: bigint, succ: number, releaseMs: number) {
    const p = this.opts.params;
    let producers: readonly ProducerEntry[] | null = null;
    if (isSprintEnd(number, p.sprint)) {
      producers = this.deps.spans.producersFor(number + 1n) ?? null;
      if (!producers) {
        this.record(number, 'span-unknown', succ);
        this.deps.logger?.warn({ number: String(number) }, 'next span unknown at a sprint end: cannot seal');
        return null;
      }
    }
    const gasLimit = calcGasLimit(head.gasLimit, this.opts.targetGasLimit);
    const offer = new Offer(gasLimit * BigInt(this.opts.overcommit), this.opts.maxTxsOffered);
    // Listening before the snapshot: nothing that arrives after it goes unnoticed by the top-up.
    const arrivals = { seen: false };
    const off =
      this.opts.topUp && this.deps.txs.onAdded
        ? this.deps.txs.onAdded(() => {
            arrivals.seen = true;
          })
        : null;
    offer.take(this.deps.txs.pending(gasLimit));
    try {
      return await this.runBuild(gen, head, headHash, number, time, difficulty, succ, releaseMs, producers, gasLimit, offer, off ? arrivals : null);
    } finally {
      off?.();
    }
  }

  /** The build proper, once the first snapshot is taken (`build` keeps the arrival listener around it). */
  private async runBuild(
    gen: number,
    head: BttcHeader,
    headHash: Uint8Array,
    number: bigint,
    time: bigint,
    difficulty: bigint,
    succ: number,
    releaseMs: number,
    producers: readonly ProducerEntry[] | null,
    gasLimit: bigint,
    offer: Offer,
    arrivals: { seen: boolean } | null,
  ) {
    const { txs, senders, offered } = offer;
    const firstOffered = txs.length;
    const systemCalls = this.deps.systemCalls ? await this.deps.systemCalls.systemCallsFor(number, head) : [];
    const ancestorHashes = this.deps.ancestorHashes ? await this.deps.ancestorHashes(head, headHash) : [headHash];
    if (gen !== this.generation) return null;
    const budgetMs = Math.max(50, Math.min(this.opts.buildBudgetMs, releaseMs - this.opts.sealMarginMs - this.deps.clock.now()));
    const t0 = this.deps.clock.now();
    const topUp = arrivals ? this.topUpSource(gen, releaseMs, gasLimit, offer, arrivals) : null;
    const result = await this.deps.builder.buildBlock({
      parent: { hash: headHash, number: head.number, stateRoot: head.stateRoot },
      header: { number, time, gasLimit, difficulty, coinbase: new Uint8Array(20), extra: buildExtra(this.opts.vanity, producers), mixDigest: new Uint8Array(32), nonce: new Uint8Array(8) },
      author: this.opts.signerAddress,
      ancestorHashes,
      systemCalls,
      codeChanges: this.deps.codeChanges?.(number) ?? [],
      txs,
      senders,
      budgetMs,
      more: topUp?.more ?? null,
    });
    // Time spent waiting for arrivals is not build work: the lead estimate learns only the work.
    const buildMs = this.deps.clock.now() - t0 - (topUp?.waitedMs() ?? 0);
    this.metrics?.buildSeconds.observe(buildMs / 1000);
    this.lead.record({ ms: buildMs, gasUsed: result.header.gasUsed });
    const t = result.timings;
    this.finaliseMs.push(t.systemMs + t.commitMs + t.rootsMs);
    if (this.finaliseMs.length > FINALISE_WINDOW) this.finaliseMs.shift();
    // A build for a head that has since moved ran on a stale state: its refusals say nothing about
    // the new head. Otherwise the pool drops only the refusals that were next in their sender's line.
    if (gen !== this.generation) return null;
    if (result.rejected.length) await this.deps.txs.dropRejected(result.rejected.map((r) => offered[r.index]!));
    if (gen !== this.generation) return null;
    const header = sealHeader(result.header, this.opts.signerKey);
    this.metrics?.txsPerBlock.observe(result.included.length);
    return {
      header,
      hash: headerHash(header),
      txs: result.included.map((i) => txs[i]!),
      senders: result.included.map((i) => senders[i]!),
      build: result,
      succession: succ,
      offered: txs.length,
      /** Transactions offered after the first snapshot, while the block was being built. */
      topUps: txs.length - firstOffered,
      /** How long before the release the pool was read and the build began. */
      leadMs: releaseMs - t0,
    };
  }

  /**
   * The build's `more`: waits (without polling) until transactions arrive, gathers them for a few
   * ms, and answers those pending the first snapshot and earlier top-ups did not offer, in the pool's
   * order (price, then nonce per sender). Null once the top-up window closes: release − seal margin −
   * the slowest recent finalise × 1.25 − 30 ms, or the head moved. An empty pool costs no reads.
   */
  private topUpSource(gen: number, releaseMs: number, gasLimit: bigint, offer: Offer, arrivals: { seen: boolean }) {
    let waited = 0;
    let lastAt = -Infinity;
    const closesAt = () => releaseMs - this.opts.sealMarginMs - this.finaliseEstimateMs();
    const more = async (): Promise<TopUpBatch | null> => {
      const entered = this.deps.clock.now();
      try {
        for (;;) {
          const end = closesAt();
          if (gen !== this.generation || this.deps.clock.now() >= end || offer.full()) return null;
          if (!arrivals.seen) await this.waitUntilAdded(gen, end);
          else await this.waitUntil(gen, Math.min(end, lastAt + TOPUP_GATHER_MS));
          if (gen !== this.generation || !arrivals.seen) continue;
          const now = this.deps.clock.now();
          if (now < lastAt + TOPUP_GATHER_MS || now >= end) continue;
          arrivals.seen = false;
          lastAt = now;
          const from = offer.txs.length;
          offer.take(this.deps.txs.pending(gasLimit));
          if (offer.txs.length === from) continue;
          this.metrics?.topUpTxs.inc(offer.txs.length - from);
          return { txs: offer.txs.slice(from), senders: offer.senders.slice(from), budgetMs: Math.max(0, end - now) };
        }
      } finally {
        waited += this.deps.clock.now() - entered;
      }
    };
    return { more, waitedMs: () => waited };
  }

  /** Finalise time to keep free before the release; the whole budget until a build has been seen. */
  private finaliseEstimateMs(): number {
    if (this.finaliseMs.length === 0) return this.opts.buildBudgetMs;
    return Math.max(...this.finaliseMs) * 1.25 + 30;
  }

  private waitUntil(gen: number, atMs: number): Promise<void> {
    if (atMs <= this.deps.clock.now()) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.deps.clock.at(atMs, () => {
        if (this.cancelTimer === cancel) this.cancelTimer = null;
        resolve();
      });
      // A newer head cancels the wait; the stale task then finds its generation outdated.
      this.cancelTimer = () => {
        cancel();
        resolve();
      };
      if (gen !== this.generation) this.cancelTimer();
    });
  }

  private record(number: bigint, outcome: SlotOutcome, succ?: number): void {
    this.history.push(succ === undefined ? { number, outcome } : { number, outcome, succession: succ });
    if (this.history.length > 10_000) this.history.splice(0, 5000);
    this.metrics?.slots.inc({ outcome });
  }
}

/** What a block build has offered so far: the first snapshot, then each top-up, in that order. */
class Offer {
  readonly txs: Uint8Array[] = [];
  readonly senders: Uint8Array[] = [];
  readonly offered: Uint8Array[] = [];
  private readonly seen = new Set<string>();
  private gas = 0n;
  private readonly gasCap: bigint;
  private readonly maxTxs: number;

  constructor(gasCap: bigint, maxTxs: number) {
    this.gasCap = gasCap;
    this.maxTxs = maxTxs;
  }

  full(): boolean {
    return this.txs.length >= this.maxTxs;
  }

  /** Adds the pending transactions not offered yet, until the caps; a sender's order is the pool's. */
  take(pending: Iterable<PoolTx>): void {
    for (const tx of pending) {
      const key = bytesToHex(tx.hash);
      if (this.seen.has(key)) continue;
      if (this.full() || this.gas + tx.gasLimit > this.gasCap) break;
      this.seen.add(key);
      this.txs.push(tx.raw);
      this.senders.push(tx.sender);
      this.offered.push(tx.hash);
      this.gas += tx.gasLimit;
    }
  }
}

function roundTimings(t: object | undefined): Record<string, number> | undefined {
  return t && Object.fromEntries(Object.entries(t as Record<string, number>).map(([k, v]) => [k, Math.round(v)]));
}
