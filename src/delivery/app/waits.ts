/**
 * Work Delivery holds back because something outside consensus cannot answer (a root chain): the
 * node status lists it and a gauge counts how long it has waited. Consensus itself never waits on
 * these: the work is skipped at this height and tried again at a later one.
 */
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';

export interface DeliveryWait {
  /** What waits, for people: "span 12 proposal". */
  what: string;
  /** Why, for people: "root chain 2 unreachable since 12:01:03Z (ECONNREFUSED)". */
  reason: string;
  /** When it began to wait (ms since the epoch). */
  since: number;
  /** What waits, from a fixed vocabulary (a metric label): "span_proposal", "span_vote". */
  kind: string;
  /** Why, from a fixed vocabulary (a metric label): "unreachable", "no_answer", "no_block". */
  cause: string;
}

/** The wall-clock time of day of `ms`, as logs and the status show it (UTC). */
export function timeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + 'Z';
}

/**
 * `bttc_delivery_waiting_seconds{kind, cause}`: how long the oldest wait of each kind has lasted,
 * read from `source` at every scrape (absent when nothing waits).
 */
export function waitingGauge(reg: Registry, source: () => readonly DeliveryWait[], now: () => number = Date.now): Gauge<string> {
  const name = 'bttc_delivery_waiting_seconds';
  // Several apps on one registry (simulations): the first one's waits are the ones exported.
  const existing = reg.getSingleMetric(name) as Gauge<string> | undefined;
  if (existing) return existing;
  return new Gauge({
    name,
    help: 'Seconds Delivery work (a span proposal or vote) has waited for a root chain, by what waits and why',
    labelNames: ['kind', 'cause'],
    registers: [reg],
    collect() {
      this.reset();
      const oldest = new Map<string, DeliveryWait>();
      for (const w of source()) {
        const k = `${w.kind}\u0000${w.cause}`;
        const o = oldest.get(k);
        if (!o || w.since < o.since) oldest.set(k, w);
      }
      const t = now();
      for (const w of oldest.values()) this.set({ kind: w.kind, cause: w.cause }, Math.max(0, (t - w.since) / 1000));
    },
  });
}
