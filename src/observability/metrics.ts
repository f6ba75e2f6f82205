import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';

export { Registry, Counter, Gauge, Histogram } from 'prom-client';

/**
 * One registry per node, passed to modules as a dependency (`metrics` may be null when a module
 * runs without one, as in unit tests). Names carry units; time is in seconds.
 */
export function createMetricsRegistry(opts: { defaultMetrics?: boolean; prefix?: string; eventLoopSampleMs?: number } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: opts.prefix ?? 'bttc_', eventLoopMonitoringPrecision: opts.eventLoopSampleMs ?? EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/**
 * Period of the timer behind the event-loop delay gauges (`*_eventloop_lag_{min,max,mean,p50,p90,p99}`):
 * Node's `monitorEventLoopDelay` samples the loop by waking it on a timer this often. prom-client's
 * default of 10 ms woke an idle node 100 times a second (two `epoll_wait` returns each), ten times
 * more than everything else its main thread does when idle. At 100 ms every stall of 100 ms or more
 * still lands in the histogram; shorter ones are sampled in proportion to their length.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** Get-or-create helpers: several instances of a module may share one registry (tests, benches). */
export function counter(reg: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (reg.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [reg] });
}

export function gauge(reg: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return (reg.getSingleMetric(name) as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames, registers: [reg] });
}

/**
 * `gauge` whose values are set when the registry is scraped (prom-client's `collect`), for values
 * that change far more often than anyone reads them: `collect` receives the gauge to set.
 */
export function scrapedGauge(reg: Registry, name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void): Gauge<string> {
  return (
    (reg.getSingleMetric(name) as Gauge<string> | undefined) ??
    new Gauge({
      name,
      help,
      labelNames,
      registers: [reg],
      collect() {
        collect(this);
      },
    })
  );
}

export function histogram(reg: Registry, name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram<string> {
  return (reg.getSingleMetric(name) as Histogram<string> | undefined) ?? new Histogram({ name, help, buckets, labelNames, registers: [reg] });
}

/** Latency buckets in seconds from 50 µs to 10 s. */
export const SECONDS_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
