/**
 * The slot scheduler (main thread). On every new head it works out whether this node may seal the
 * next block and when: the in-turn producer at parent.time + period (producerDelay at a sprint
 * start), a backup at + succession × backupMultiplier more (Bor's `CalcProducerDelay`). It starts
 * building a time budget before that moment, seals when the build returns, and releases the block at
 * its timestamp only if the head has not moved meanwhile: a backup's block is thus published only
 * when the in-turn producer (and every better-placed backup) missed the slot. Turn order comes from
 * the snapshot, so the in-turn producer of the next sprint takes over again by itself.
 */
import type { CodeChange } from '../../evm/interface.ts';
import type { Logger } from '../../observability/logger.ts';
import { counter, histogram, SECONDS_BUCKETS, type Counter, type Histogram, type Registry } from '../../observability/metrics.ts';
import { bytesToHex } from '../../util/bytes.ts';
import { buildExtra, isSprintEnd } from '../engine/extra.ts';
import { headerHash } from '../engine/header.ts';
import type { SpanProducerSource } from '../engine/interface.ts';
import { calcGasLimit, NotAProducerError, producerDelay, succession } from '../engine/rules.ts';
import { sealHeader } from '../engine/seal.ts';
import type { Snapshot } from '../engine/snapshot.ts';
import type { BorParams, BttcHeader } from '../engine/types.ts';
import { BuildLeadEstimator } from './buildLead.ts';
import type { Clock } from './clock.ts';
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

export type SlotOutcome = 'sealed' | 'superseded' | 'yielded' | 'not-producer' | 'span-unknown' | 'failed';

interface Metrics {
  slots: Counter<string>;
  sealed: Counter<string>;
  buildSeconds: Histogram<string>;
  txsPerBlock: Histogram<string>;
  releaseLate: Histogram<string>;
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

  constructor(opts: ProducerOptions, deps: ProducerDeps) {
    this.opts = { buildBudgetMs: 1000, sealMarginMs: 50, adaptiveLead: true, overcommit: 3, maxTxsOffered: 5000, vanity: new Uint8Array(32), ...opts };
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
    let producers = null;
    if (isSprintEnd(number, p.sprint)) {
      producers = this.deps.spans.producersFor(number + 1n);
      if (!producers) {
        this.record(number, 'span-unknown', succ);
        this.deps.logger?.warn({ number: String(number) }, 'next span unknown at a sprint end: cannot seal');
        return null;
      }
    }
    const gasLimit = calcGasLimit(head.gasLimit, this.opts.targetGasLimit);
    const txs: Uint8Array[] = [];
    const senders: Uint8Array[] = [];
    const offered: Uint8Array[] = [];
    let gasOffered = 0n;
    const gasCap = gasLimit * BigInt(this.opts.overcommit);
    for (const tx of this.deps.txs.pending(gasLimit)) {
      if (txs.length >= this.opts.maxTxsOffered || gasOffered + tx.gasLimit > gasCap) break;
      txs.push(tx.raw);
      senders.push(tx.sender);
      offered.push(tx.hash);
      gasOffered += tx.gasLimit;
    }
    const systemCalls = this.deps.systemCalls ? await this.deps.systemCalls.systemCallsFor(number, head) : [];
    const ancestorHashes = this.deps.ancestorHashes ? await this.deps.ancestorHashes(head, headHash) : [headHash];
    if (gen !== this.generation) return null;
    const budgetMs = Math.max(50, Math.min(this.opts.buildBudgetMs, releaseMs - this.opts.sealMarginMs - this.deps.clock.now()));
    const t0 = this.deps.clock.now();
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
    });
    const buildMs = this.deps.clock.now() - t0;
    this.metrics?.buildSeconds.observe(buildMs / 1000);
    this.lead.record({ ms: buildMs, gasUsed: result.header.gasUsed });
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
      /** How long before the release the pool was read and the build began. */
      leadMs: releaseMs - t0,
    };
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

function roundTimings(t: object | undefined): Record<string, number> | undefined {
  return t && Object.fromEntries(Object.entries(t as Record<string, number>).map(([k, v]) => [k, Math.round(v)]));
}
