/**
 * The incremental path: on each committed Delivery block, its facts (read while the app still has
 * the deciding set), the previous height's record, the fold, one batch. On Bttc head changes, the
 * confirmed blocks' slot records. The numbers it keeps are exactly `foldRecords(recordsFromFacts(…))`
 * over the same blocks (test/telemetry/derive.test.ts compares the two).
 */
import type { Logger } from 'pino';
import type { DeliveryBlock } from '../delivery/app/types.ts';
import { applySlot, emptyBttcTotals, slotRecord, type BttcTotals } from './chain/bttc.ts';
import { applyRecord, deriveRecord, emptyTotals, foldRecords, heightFacts, type DecidingSet, type DeliveryTotals, type HeightFacts, type HeightRecord } from './chain/delivery.ts';
import type { TelemetryMetrics } from './metrics.ts';
import type { HeightEntry, TelemetryStore } from './store.ts';

/** Bttc blocks this deep below the head are counted (the depth Delivery checkpoints wait for): reorgs above it would make nodes disagree. */
export const BTTC_CONFIRMATIONS = 10;

export interface TelemetryCollectorOptions {
  /** Delivery heights in the sliding window the scorecard scores. */
  windowHeights: number;
}

/** What the collector reads from a Bttc chain: confirmed header facts (the wiring recovers sealers and looks up span producers). */
export interface BttcSlotSource {
  headNumber(): number;
  /** Block `n`'s difficulty, sealer, time and its span's producers; null when not available. */
  slot(n: number): Promise<{ time: number; difficulty: number; sealer: string; producers: string[] } | null>;
}

export class TelemetryCollector {
  readonly windowHeights: number;
  private readonly store: TelemetryStore;
  private readonly metrics: TelemetryMetrics | null;
  private readonly logger: Logger | null;
  private totals: DeliveryTotals = emptyTotals();
  private bttc: BttcTotals = emptyBttcTotals();
  /** The last two heights' facts, oldest first. */
  private recentFacts: HeightFacts[] = [];
  /** The last `windowHeights` records, oldest first. */
  private window: HeightRecord[] = [];
  private chain: Promise<void> = Promise.resolve();
  private bttcBusy: Promise<void> | null = null;
  private skipped = 0;
  private readonly label: (signer: string) => string;
  /** Metrics are set at scrape time (refreshMetrics) when the gauges are lazy; these say what changed since. */
  private readonly lazyMetrics: boolean;
  private deliveryStale = false;
  private bttcStale = false;

  /** `label`: a signer's `validator` metric label (the node passes its staking id). */
  /**
   * `label`: a signer's `validator` metric label (the node passes its staking id). `lazyMetrics`: the
   * gauges were made with a refresh hook that calls refreshMetrics() (telemetryMetrics(reg, refresh)),
   * so heights only mark them stale.
   */
  constructor(opts: TelemetryCollectorOptions, deps: { store: TelemetryStore; metrics?: TelemetryMetrics | null; logger?: Logger | null; label?: (signer: string) => string; lazyMetrics?: boolean }) {
    this.label = deps.label ?? ((s) => s);
    this.lazyMetrics = deps.lazyMetrics === true;
    if (!Number.isSafeInteger(opts.windowHeights) || opts.windowHeights < 1) throw new Error(`telemetry: windowHeights must be a positive integer, got ${opts.windowHeights}`);
    this.windowHeights = opts.windowHeights;
    this.store = deps.store;
    this.metrics = deps.metrics ?? null;
    this.logger = deps.logger?.child({ module: 'telemetry' }) ?? null;
  }

  /**
   * Loads what was stored. `last` is the app's last committed block with its deciding set: when the
   * process stopped between the app's commit and ours, that height is taken in now.
   */
  async open(last: { block: DeliveryBlock; set: DecidingSet } | null): Promise<void> {
    this.totals = (await this.store.deliveryTotals()) ?? emptyTotals();
    this.bttc = (await this.store.bttcTotals()) ?? emptyBttcTotals();
    const latest = await this.store.latest(Math.max(this.windowHeights + 1, 2));
    this.recentFacts = latest
      .slice(0, 2)
      .map((e) => e.facts)
      .reverse();
    this.window = latest
      .flatMap((e) => (e.record ? [e.record] : []))
      .slice(0, this.windowHeights)
      .reverse();
    if (last && last.block.height > (this.recentFacts.at(-1)?.height ?? 0)) await this.take(heightFacts(last.block, last.set));
    this.publish();
  }

  /** Call from the app's onCommitted listener, synchronously: `set` must be the set that decided `block`. */
  onCommitted(block: DeliveryBlock, set: DecidingSet): Promise<void> {
    const facts = heightFacts(block, set);
    this.chain = this.chain.then(() => this.take(facts)).catch((err: unknown) => this.logger?.error({ err: (err as Error).message, height: block.height }, 'telemetry: could not record a height'));
    return this.chain;
  }

  /** Resolves when every height handed in so far is stored. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async take(facts: HeightFacts): Promise<void> {
    const [prev2, prev] = this.recentFacts.length === 2 ? this.recentFacts : [undefined, this.recentFacts[0]];
    let finished: { facts: HeightFacts; record: HeightRecord } | null = null;
    if (prev && prev.height === facts.height - 1) {
      const record = deriveRecord(prev2?.height === prev.height - 1 ? prev2 : undefined, prev, facts);
      finished = { facts: prev, record };
    } else if (prev) {
      // Heights this node never saw commit (telemetry added to an old data dir): counting restarts here.
      this.skipped += facts.height - prev.height - 1;
      this.logger?.warn({ from: prev.height + 1, to: facts.height - 1 }, 'telemetry: heights missing; counting resumes after them');
    }
    let totals = this.totals;
    if (finished) {
      if (totals.heights > 0 && finished.record.height !== totals.toHeight + 1) totals = emptyTotals();
      totals = applyRecord(totals, finished.record);
    }
    await this.store.commitHeight(facts, finished, totals);
    this.totals = totals;
    this.recentFacts = [...this.recentFacts, facts].slice(-2);
    if (finished) {
      this.window.push(finished.record);
      if (this.window.length > this.windowHeights) this.window.shift();
    }
    this.publish();
  }

  /** Counts confirmed Bttc blocks up to head − BTTC_CONFIRMATIONS; one run at a time. */
  onBttcHead(src: BttcSlotSource): Promise<void> {
    this.bttcBusy ??= this.bttcCatchUp(src)
      .catch((err: unknown) => this.logger?.warn({ err: (err as Error).message }, 'telemetry: Bttc slot accounting failed; retrying on the next head'))
      .finally(() => {
        this.bttcBusy = null;
      });
    return this.bttcBusy;
  }

  private async bttcCatchUp(src: BttcSlotSource): Promise<void> {
    const target = src.headNumber() - BTTC_CONFIRMATIONS;
    let t = this.bttc;
    let lastTime: number | null = null;
    let prevTime: number | null = null;
    // Block 0 is genesis: nobody sealed it.
    for (let n = t.blocks === 0 ? 1 : t.toBlock + 1; n <= target; n++) {
      const s = await src.slot(n);
      if (!s) break;
      t = applySlot(t, slotRecord({ number: n, ...s }));
      prevTime = lastTime;
      lastTime = s.time;
      if (n % 64 === 0 || n === target) {
        await this.store.putBttcTotals(t);
        this.bttc = t;
      }
    }
    if (t !== this.bttc) {
      await this.store.putBttcTotals(t);
      this.bttc = t;
    }
    if (lastTime !== null && prevTime !== null) this.metrics?.blockInterval.set(lastTime - prevTime);
    this.publishBttc();
  }

  /** Cumulative Delivery totals. */
  cumulative(): DeliveryTotals {
    return this.totals;
  }

  /** Totals over the last `windowHeights` heights (the fold over just those records). */
  windowTotals(): DeliveryTotals {
    return foldRecords(this.window);
  }

  bttcTotals(): BttcTotals {
    return this.bttc;
  }

  /** The newest records, newest first (the dashboard shows recent checkpoint signature sets from them). */
  recentRecords(limit: number): HeightRecord[] {
    return this.window.slice(-limit).reverse();
  }

  /** Height h's stored facts and (once h + 1 committed) record: what an outsider compares with its own derivation. */
  entry(height: number): Promise<HeightEntry | undefined> {
    return this.store.entry(height);
  }

  /** Heights lost to a gap since this process started (0 on a node that ran with telemetry from genesis). */
  get skippedHeights(): number {
    return this.skipped;
  }

  /** Sets the gauges from the totals if a height or a Bttc block came in since the last call (lazy metrics' scrape hook). */
  refreshMetrics(): void {
    if (this.deliveryStale) this.publishNow();
    if (this.bttcStale) this.publishBttcNow();
  }

  private publish(): void {
    if (this.lazyMetrics) this.deliveryStale = true;
    else this.publishNow();
  }

  private publishBttc(): void {
    if (this.lazyMetrics) this.bttcStale = true;
    else this.publishBttcNow();
  }

  private publishNow(): void {
    this.deliveryStale = false;
    const m = this.metrics;
    if (!m) return;
    const win = this.windowTotals();
    m.height.set(this.totals.toHeight);
    for (const [signer, c] of Object.entries(this.totals.validators)) {
      const w = win.validators[signer];
      const v = this.label(signer);
      m.commitsSigned.set({ validator: v }, c.commitsSigned);
      m.commitsMissed.set({ validator: v }, c.commitsMissed);
      m.windowCommitsMissed.set({ validator: v }, w?.commitsMissed ?? 0);
      m.proposalsMade.set({ validator: v }, c.proposalsMade);
      m.proposalsMissed.set({ validator: v }, c.proposalsMissed);
      m.checkpointSigsIncluded.set({ validator: v }, c.checkpointSigsIncluded);
      m.checkpointSigsMissing.set({ validator: v }, c.checkpointSigsMissing);
      m.down.set({ validator: v }, c.openOutage ? 1 : 0);
      if (c.lastRecovery) m.lastRecoverySeconds.set({ validator: v }, c.lastRecovery.ms / 1000);
    }
  }

  private publishBttcNow(): void {
    this.bttcStale = false;
    const m = this.metrics;
    if (!m) return;
    for (const [signer, c] of Object.entries(this.bttc.producers)) {
      const v = this.label(signer);
      m.slotsInTurn.set({ validator: v }, c.sealedInTurn);
      m.slotsBackup.set({ validator: v }, c.sealedAsBackup);
      m.slotsMissed.set({ validator: v }, c.slotsMissed);
    }
  }
}
