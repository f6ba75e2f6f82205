/**
 * A bounded async job queue: at most `concurrency` jobs run at once, at most `maxLength` wait.
 * Priority jobs wait in their own FIFO that is always served first ("to the front"), so a burst of
 * gossip cannot delay a block seal. When the queue is full, the drop policy decides who loses: the
 * new job ('reject-new') or the oldest waiting normal job ('drop-oldest', for intake where fresh
 * messages are worth more than stale ones). A dropped job's promise rejects with JobDroppedError:
 * nothing is lost silently.
 *
 * Metrics (when a prom-client Registry is given), labelled by queue name: queue length, running
 * jobs, wait time, run time, jobs by outcome, drops by reason. The two gauges are read when scraped
 * (prom-client `collect`) from the registry's open queues, not set on every push and finish: each
 * set hashes its labels, four sets per job on the gossip validation queues.
 */
import type { Registry, Gauge, Histogram, Counter } from 'prom-client';
import { counter, histogram, scrapedGauge, SECONDS_BUCKETS } from '../observability/metrics.ts';

export type DropPolicy = 'reject-new' | 'drop-oldest';

export interface JobQueueOptions {
  /** Metric label and error prefix. */
  name: string;
  /** Waiting jobs (not counting running ones) before the drop policy applies. */
  maxLength: number;
  /** Jobs running at once. */
  concurrency: number;
  dropPolicy?: DropPolicy;
  /** `canAccept()` turns false at this many waiting jobs (default: maxLength). */
  highWaterMark?: number;
}

export interface JobQueueDeps {
  metrics?: Registry | null;
}

export interface PushOptions {
  priority?: boolean;
}

export class JobDroppedError extends Error {
  override name = 'JobDroppedError';
  readonly reason: 'queue full' | 'evicted' | 'closed';
  constructor(message: string, reason: 'queue full' | 'evicted' | 'closed') {
    super(message);
    this.reason = reason;
  }
}

interface Entry<T, R> {
  job: T;
  enqueuedAt: number;
  priority: boolean;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** FIFO with O(1) amortised shift (an array with a moving head, compacted now and then). */
class Fifo<E> {
  #items: E[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(e: E): void {
    this.#items.push(e);
  }
  shift(): E | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const e = this.#items[this.#head]!;
    (this.#items as (E | undefined)[])[this.#head] = undefined;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }
  drain(): E[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

/** What a scrape reads from an open queue. */
interface GaugeSource {
  readonly name: string;
  readonly length: number;
  readonly running: number;
}

/** Open queues per registry: the gauges' collect hooks read these at scrape time. */
const openQueues = new WeakMap<Registry, Set<GaugeSource>>();

/**
 * A gauge whose value per queue is read at scrape time from the registry's open queues. A closed
 * queue leaves the set after a last set, so its series keeps its final value, as when gauges were
 * set eagerly.
 */
function queueGauge(reg: Registry, name: string, help: string, read: (q: GaugeSource) => number): Gauge<string> {
  let queues = openQueues.get(reg);
  if (!queues) {
    queues = new Set();
    openQueues.set(reg, queues);
  }
  const open = queues;
  return scrapedGauge(reg, name, help, ['queue'], (g) => {
    for (const q of open) g.set({ queue: q.name }, read(q));
  });
}

interface QueueMetrics {
  length: Gauge<string>;
  running: Gauge<string>;
  wait: Histogram<string>;
  run: Histogram<string>;
  jobs: Counter<string>;
  dropped: Counter<string>;
}

export class JobQueue<T, R> {
  readonly name: string;
  readonly maxLength: number;
  readonly concurrency: number;
  readonly dropPolicy: DropPolicy;
  readonly highWaterMark: number;
  readonly #process: (job: T) => Promise<R>;
  readonly #priority = new Fifo<Entry<T, R>>();
  readonly #normal = new Fifo<Entry<T, R>>();
  readonly #metrics: QueueMetrics | null;
  #running = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: JobQueueOptions, deps: JobQueueDeps, process: (job: T) => Promise<R>) {
    if (!Number.isInteger(opts.maxLength) || opts.maxLength < 0) throw new RangeError(`JobQueue ${opts.name}: maxLength must be an integer >= 0, got ${opts.maxLength}`);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`JobQueue ${opts.name}: concurrency must be an integer >= 1, got ${opts.concurrency}`);
    this.name = opts.name;
    this.maxLength = opts.maxLength;
    this.concurrency = opts.concurrency;
    this.dropPolicy = opts.dropPolicy ?? 'reject-new';
    this.highWaterMark = Math.min(opts.highWaterMark ?? opts.maxLength, opts.maxLength);
    this.#process = process;
    const reg = deps.metrics;
    this.#metrics = reg
      ? {
          length: queueGauge(reg, 'bttc_job_queue_length', 'Jobs waiting in a job queue', (q) => q.length),
          running: queueGauge(reg, 'bttc_job_queue_running', 'Jobs running from a job queue', (q) => q.running),
          wait: histogram(reg, 'bttc_job_queue_wait_seconds', 'Time a job waited before it started', SECONDS_BUCKETS, ['queue']),
          run: histogram(reg, 'bttc_job_queue_run_seconds', 'Time a job ran', SECONDS_BUCKETS, ['queue']),
          jobs: counter(reg, 'bttc_job_queue_jobs_total', 'Jobs finished, by outcome', ['queue', 'outcome']),
          dropped: counter(reg, 'bttc_job_queue_dropped_total', 'Jobs dropped, by reason', ['queue', 'reason']),
        }
      : null;
    this.#registry = reg ?? null;
    if (reg) this.#track(true);
  }

  readonly #registry: Registry | null;

  /** Adds this queue to (or, closed, removes it from) the set its registry's gauges read at scrape time. */
  #track(open: boolean): void {
    const queues = this.#registry ? openQueues.get(this.#registry) : undefined;
    if (open) queues?.add(this);
    else queues?.delete(this);
  }

  /** Waiting jobs (not running). */
  get length(): number {
    return this.#priority.length + this.#normal.length;
  }

  get running(): number {
    return this.#running;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** False from the high-water mark on, and once closed: callers should slow down or shed load. */
  canAccept(): boolean {
    return !this.#closed && this.length < this.highWaterMark;
  }

  push(job: T, opts: PushOptions = {}): Promise<R> {
    if (this.#closed) return Promise.reject(new JobDroppedError(`${this.name}: queue is closed`, 'closed'));
    const priority = opts.priority === true;
    if (this.length >= this.maxLength) {
      // drop-oldest evicts a waiting normal job; a queue full of priority jobs rejects the new one
      const victim = this.dropPolicy === 'drop-oldest' ? this.#normal.shift() : undefined;
      if (victim) {
        this.#metrics?.dropped.inc({ queue: this.name, reason: 'evicted' });
        victim.reject(new JobDroppedError(`${this.name}: dropped, evicted by newer work (queue full at ${this.maxLength})`, 'evicted'));
      } else {
        this.#metrics?.dropped.inc({ queue: this.name, reason: 'queue full' });
        return Promise.reject(new JobDroppedError(`${this.name}: queue full (${this.maxLength} waiting)`, 'queue full'));
      }
    }
    const { promise, resolve, reject } = Promise.withResolvers<R>();
    (priority ? this.#priority : this.#normal).push({ job, enqueuedAt: performance.now(), priority, resolve, reject });
    this.#pump();
    return promise;
  }

  /** Resolves when nothing waits and nothing runs. */
  onIdle(): Promise<void> {
    if (this.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((res) => this.#idleWaiters.push(res));
  }

  /**
   * Stops intake and rejects every waiting job with JobDroppedError('closed'); running jobs finish
   * (their promises settle as their processor settles). Resolves once they have.
   */
  async close(message = 'queue closed'): Promise<void> {
    this.#closed = true;
    const waiting = [...this.#priority.drain(), ...this.#normal.drain()];
    for (const e of waiting) {
      this.#metrics?.dropped.inc({ queue: this.name, reason: 'closed' });
      e.reject(new JobDroppedError(`${this.name}: ${message}`, 'closed'));
    }
    await this.onIdle();
    // The last values stay on the series, as they did when gauges were set eagerly.
    this.#updateGauges();
    this.#track(false);
  }

  #pump(): void {
    while (this.#running < this.concurrency) {
      const e = this.#priority.shift() ?? this.#normal.shift();
      if (!e) break;
      this.#start(e);
    }
    if (this.length === 0 && this.#running === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }

  #start(e: Entry<T, R>): void {
    this.#running++;
    const started = performance.now();
    this.#metrics?.wait.observe({ queue: this.name }, (started - e.enqueuedAt) / 1000);
    let p: Promise<R>;
    try {
      p = this.#process(e.job);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => {
        this.#finish(started, 'ok');
        e.resolve(r);
      },
      (err: unknown) => {
        this.#finish(started, 'error');
        e.reject(err);
      },
    );
  }

  #finish(started: number, outcome: 'ok' | 'error'): void {
    this.#running--;
    this.#metrics?.run.observe({ queue: this.name }, (performance.now() - started) / 1000);
    this.#metrics?.jobs.inc({ queue: this.name, outcome });
    this.#pump();
  }

  #updateGauges(): void {
    this.#metrics?.length.set({ queue: this.name }, this.length);
    this.#metrics?.running.set({ queue: this.name }, this.#running);
  }
}
