/**
 * Telemetry's records on the node db (src/db/buckets.ts: telemetryFacts, telemetryTotals): per
 * Delivery height its facts and, once the next height committed, its record; and the cumulative
 * totals. One batch per height, so a restarted node resumes from a consistent point with the same
 * numbers.
 */
import { BUCKETS } from '../db/buckets.ts';
import type { KeyValueStore } from '../db/interface.ts';
import { jsonCodec, Repository, stringCodec, u64Codec } from '../db/repository.ts';
import type { BttcTotals } from './chain/bttc.ts';
import type { DeliveryTotals, HeightFacts, HeightRecord } from './chain/delivery.ts';

export interface HeightEntry {
  facts: HeightFacts;
  /** Set once height + 1 committed. */
  record?: HeightRecord;
}

export class TelemetryStore {
  private readonly db: KeyValueStore;
  private readonly heights: Repository<number, HeightEntry>;
  private readonly totals: Repository<string, DeliveryTotals | BttcTotals>;

  constructor(db: KeyValueStore) {
    this.db = db;
    this.heights = new Repository(db, BUCKETS.telemetryFacts, u64Codec, jsonCodec<HeightEntry>());
    this.totals = new Repository(db, BUCKETS.telemetryTotals, stringCodec, jsonCodec<DeliveryTotals | BttcTotals>());
  }

  /** Height h's facts, h − 1's finished entry (null for none) and the totals after it, in one batch. */
  commitHeight(facts: HeightFacts, finished: HeightEntry | null, totals: DeliveryTotals): Promise<void> {
    const ops = [this.heights.putOp(facts.height, { facts }), this.totals.putOp('delivery', totals)];
    if (finished) ops.push(this.heights.putOp(finished.facts.height, finished));
    return this.db.batch(ops);
  }

  putBttcTotals(t: BttcTotals): Promise<void> {
    return this.totals.put('bttc', t);
  }

  async deliveryTotals(): Promise<DeliveryTotals | undefined> {
    return (await this.totals.get('delivery')) as DeliveryTotals | undefined;
  }

  async bttcTotals(): Promise<BttcTotals | undefined> {
    return (await this.totals.get('bttc')) as BttcTotals | undefined;
  }

  entry(height: number): Promise<HeightEntry | undefined> {
    return this.heights.get(height);
  }

  /** The newest `limit` entries, newest first. */
  async latest(limit: number): Promise<HeightEntry[]> {
    const out: HeightEntry[] = [];
    for await (const v of this.heights.values({ reverse: true, limit })) out.push(v);
    return out;
  }

  /** Every entry in height order (a from-scratch recomputation reads them all). */
  async all(): Promise<HeightEntry[]> {
    const out: HeightEntry[] = [];
    for await (const v of this.heights.values()) out.push(v);
    return out;
  }
}
