/**
 * The verify pool: secp256k1 verify/recover and BLS fastAggregateVerify in piscina worker threads.
 *
 * - Items are checked for shape on the calling thread; a malformed item resolves at once with its
 *   reason and never reaches a worker, so one bad item never fails a batch.
 * - Well-formed items travel packed, ≤ maxBatchSize per task, in one exact-size transferred buffer
 *   (src/pools/verifyCodec.ts).
 * - Single items (`verify`) wait in a short flush window (flushItems items or flushMs, whichever
 *   comes first) so gossip traffic shares tasks; priority singles flush on the next tick and go to
 *   the front of the queue.
 * - Tasks wait in a JobQueue that keeps two tasks per thread in flight (one running, one posted)
 *   so threads never idle on a round trip, with priority tasks served first.
 * - `canAcceptWork()` is false from `highWaterJobs` queued tasks; past `maxQueuedJobs` new work is
 *   rejected with a clear error.
 * - close(): buffered and queued items reject with PoolClosedError; running tasks finish (or are
 *   cut off after closeTimeoutMs), then the threads stop. Nothing is left pending.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Registry, Histogram, Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { SignatureVerifier, VerifyItem, VerifyOptions, VerifyResult } from './interface.ts';
import { malformedReason, itemKind, executeWellFormed } from './execute.ts';
import { packRequest, unpackResults } from './verifyCodec.ts';
import { JobQueue, JobDroppedError } from '../util/jobQueue.ts';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import type { VerifyTask, VerifyTaskResult } from '../../workers/verify-types.ts';

export interface VerifyPoolOptions {
  /** Worker threads; default: available cores − 1, at least 1. */
  threads?: number;
  /** Items per task (default 128: a task stays ~10–15 ms, short enough for priority work to cut in). */
  maxBatchSize?: number;
  /** Single items buffered before a flush (default 32). */
  flushItems?: number;
  /** Longest a buffered single item waits before its task is sent (default 2 ms). */
  flushMs?: number;
  /** `canAcceptWork()` turns false at this many queued tasks (default 512). */
  highWaterJobs?: number;
  /** Hard cap on queued tasks; beyond it work is rejected (default 4096). */
  maxQueuedJobs?: number;
  /** Tasks in flight per thread (default 2: one running, one already posted). */
  tasksPerThread?: number;
  /** How long close() lets running tasks finish before stopping the threads (default 5000 ms). */
  closeTimeoutMs?: number;
  /** Worker file (tests and benches may point elsewhere). */
  workerFile?: string;
  /**
   * A batch of at most this many secp256k1 items runs on the calling thread when no task is queued
   * or running (default 0: never). For the one or two votes an idle validator checks at a time, the
   * worker round trip (piscina bookkeeping, two messages, a thread wake-up) costs more CPU than the
   * ~0.1 ms native check itself. BLS items always go to a worker (~2 ms each).
   */
  inlineMax?: number;
}

export interface VerifyPoolDeps {
  metrics?: Registry | null;
  logger?: Logger | null;
}

export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
}

export class PoolOverloadedError extends Error {
  override name = 'PoolOverloadedError';
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Pending {
  item: VerifyItem;
  resolve: (r: VerifyResult) => void;
  reject: (e: unknown) => void;
}

interface Job {
  items: VerifyItem[];
  packed: Uint8Array;
  enqueuedAt: number;
}

interface PoolMetrics {
  itemsPerTask: Histogram<string>;
  workerRun: Histogram<string>;
  items: Counter<string>;
}

const WORKER_FILE = fileURLToPath(new URL('../../workers/verify.ts', import.meta.url));

export class VerifyPool implements SignatureVerifier {
  readonly threads: number;
  readonly maxBatchSize: number;
  readonly flushItems: number;
  readonly flushMs: number;
  readonly closeTimeoutMs: number;
  readonly inlineMax: number;
  readonly #piscina: Piscina<VerifyTask, VerifyTaskResult>;
  readonly #queue: JobQueue<Job, VerifyResult[]>;
  readonly #metrics: PoolMetrics | null;
  readonly #logger: Logger | null;
  #buffer: Pending[] = [];
  #priorityBuffer: Pending[] = [];
  #flushTimer: NodeJS.Timeout | null = null;
  #priorityScheduled = false;
  #closed = false;

  constructor(opts: VerifyPoolOptions = {}, deps: VerifyPoolDeps = {}) {
    this.threads = opts.threads ?? defaultThreads();
    this.maxBatchSize = opts.maxBatchSize ?? 128;
    this.flushItems = Math.min(opts.flushItems ?? 32, this.maxBatchSize);
    this.flushMs = opts.flushMs ?? 2;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.inlineMax = opts.inlineMax ?? 0;
    for (const [k, v] of Object.entries({ threads: this.threads, maxBatchSize: this.maxBatchSize, flushItems: this.flushItems }))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`VerifyPool: ${k} must be an integer >= 1, got ${v}`);
    this.#logger = deps.logger ?? null;
    const tasksPerThread = opts.tasksPerThread ?? 2;
    this.#piscina = new Piscina<VerifyTask, VerifyTaskResult>({
      filename: opts.workerFile ?? WORKER_FILE,
      // fixed size: spawning a thread and loading the native bindings costs far more than a task
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 2 ** 31 - 1,
      // The next task must already sit in the worker's port when the current one ends: with one
      // task per worker, piscina posts the next only after the main thread has handled the
      // previous result, and on a busy machine the worker idles for that whole round trip
      // (measured ~0.5-1 ms per task, 5-10% of throughput at batch 128).
      concurrentTasksPerWorker: tasksPerThread,
    });
    const maxQueued = opts.maxQueuedJobs ?? 4096;
    this.#queue = new JobQueue<Job, VerifyResult[]>(
      { name: 'verify-pool', maxLength: maxQueued, highWaterMark: opts.highWaterJobs ?? 512, concurrency: this.threads * tasksPerThread, dropPolicy: 'reject-new' },
      { metrics: deps.metrics ?? null },
      (job) => this.#runJob(job),
    );
    const reg = deps.metrics;
    this.#metrics = reg
      ? {
          itemsPerTask: histogram(reg, 'bttc_verify_pool_items_per_task', 'Items packed into one worker task', [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
          workerRun: histogram(reg, 'bttc_verify_pool_worker_run_seconds', 'Time a task ran inside its worker thread', SECONDS_BUCKETS),
          items: counter(reg, 'bttc_verify_pool_items_total', 'Items verified, by kind and result', ['kind', 'result']),
        }
      : null;
  }

  /** Queued tasks (waiting for a thread) plus buffered single items counted as one task. */
  get queueLength(): number {
    return this.#queue.length + (this.#buffer.length > 0 ? 1 : 0) + (this.#priorityBuffer.length > 0 ? 1 : 0);
  }

  canAcceptWork(): boolean {
    return !this.#closed && this.#queue.canAccept();
  }

  verify(item: VerifyItem, opts: VerifyOptions = {}): Promise<VerifyResult> {
    if (this.#closed) return Promise.reject(new PoolClosedError('verify pool is closed'));
    const bad = malformedReason(item);
    if (bad) return Promise.resolve(this.#count({ ok: false, kind: itemKind(item), reason: bad }));
    const { promise, resolve, reject } = Promise.withResolvers<VerifyResult>();
    if (opts.priority) {
      this.#priorityBuffer.push({ item, resolve, reject });
      if (this.#priorityBuffer.length >= this.maxBatchSize) this.#flushPriority();
      else if (!this.#priorityScheduled) {
        // same-tick priority items share one task; nothing waits longer than this tick
        this.#priorityScheduled = true;
        queueMicrotask(() => this.#flushPriority());
      }
    } else {
      this.#buffer.push({ item, resolve, reject });
      if (this.#buffer.length >= this.flushItems) this.#flush();
      else this.#flushTimer ??= setTimeout(() => this.#flush(), this.flushMs);
    }
    return promise;
  }

  async verifyBatch(items: readonly VerifyItem[], opts: VerifyOptions = {}): Promise<VerifyResult[]> {
    if (this.#closed) throw new PoolClosedError('verify pool is closed');
    if (!Array.isArray(items)) throw new TypeError('verifyBatch: items must be an array');
    const results: VerifyResult[] = new Array(items.length);
    const good: VerifyItem[] = [];
    const goodIndex: number[] = [];
    items.forEach((item, i) => {
      const bad = malformedReason(item);
      if (bad) results[i] = this.#count({ ok: false, kind: itemKind(item), reason: bad });
      else {
        good.push(item);
        goodIndex.push(i);
      }
    });
    const chunks: Promise<VerifyResult[]>[] = [];
    for (let s = 0; s < good.length; s += this.maxBatchSize) chunks.push(this.#submit(good.slice(s, s + this.maxBatchSize), opts.priority === true));
    const chunkResults = await Promise.all(chunks);
    let k = 0;
    for (const chunk of chunkResults) for (const r of chunk) results[goodIndex[k++]!] = r;
    return results;
  }

  #flush(): void {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    const pending = this.#buffer;
    this.#buffer = [];
    if (pending.length > 0) this.#dispatchPending(pending, false);
  }

  #flushPriority(): void {
    this.#priorityScheduled = false;
    const pending = this.#priorityBuffer;
    this.#priorityBuffer = [];
    if (pending.length > 0) this.#dispatchPending(pending, true);
  }

  #dispatchPending(pending: Pending[], priority: boolean): void {
    this.#submit(
      pending.map((p) => p.item),
      priority,
    ).then(
      (results) => pending.forEach((p, i) => p.resolve(results[i]!)),
      (err: unknown) => pending.forEach((p) => p.reject(err)),
    );
  }

  #submit(items: VerifyItem[], priority: boolean): Promise<VerifyResult[]> {
    if (this.#closed) return Promise.reject(new PoolClosedError('verify pool is closed'));
    if (items.length <= this.inlineMax && this.#queue.length === 0 && this.#queue.running === 0 && items.every((i) => i.kind !== 'bls-fast-aggregate')) {
      this.#metrics?.itemsPerTask.observe(items.length);
      return Promise.resolve(items.map((item) => this.#count(runInline(item))));
    }
    // Packing here, on the caller's tick, keeps caller-owned buffers out of the queue: the caller may
    // reuse its arrays as soon as the call returns.
    const job: Job = { items, packed: packRequest(items), enqueuedAt: performance.now() };
    return this.#queue.push(job, { priority }).catch((err: unknown) => {
      if (err instanceof JobDroppedError) {
        throw err.reason === 'closed'
          ? new PoolClosedError(`verify pool closed before ${items.length} queued item(s) ran`)
          : new PoolOverloadedError(`verify pool overloaded: ${err.message}; check canAcceptWork() before submitting`);
      }
      throw err;
    });
  }

  async #runJob(job: Job): Promise<VerifyResult[]> {
    const packed = job.packed;
    let res: VerifyTaskResult;
    try {
      res = await this.#piscina.run({ packed }, { transferList: [packed.buffer as ArrayBuffer] });
    } catch (err) {
      if (this.#closed) throw new PoolClosedError(`verify pool closed while ${job.items.length} item(s) were running: ${(err as Error).message}`);
      this.#logger?.error({ err, items: job.items.length }, 'verify worker task failed');
      throw new Error(`verify worker failed on a task of ${job.items.length} item(s): ${(err as Error).message}`);
    }
    const results = unpackResults(res.packed, job.items);
    if (this.#metrics) {
      this.#metrics.itemsPerTask.observe(job.items.length);
      this.#metrics.workerRun.observe(res.runMs / 1000);
      for (const r of results) this.#count(r);
    }
    return results;
  }

  #count(r: VerifyResult): VerifyResult {
    this.#metrics?.items.inc({ kind: r.kind, result: r.ok ? 'ok' : r.reason.startsWith('malformed') ? 'malformed' : 'invalid' });
    return r;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const err = new PoolClosedError('verify pool closed before the item was sent to a worker');
    for (const p of [...this.#buffer, ...this.#priorityBuffer]) p.reject(err);
    this.#buffer = [];
    this.#priorityBuffer = [];
    const drained = this.#queue.close('verify pool closed');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.closeTimeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) this.#logger?.warn({ timeoutMs: this.closeTimeoutMs }, 'verify pool: running tasks did not finish in time, stopping threads');
    // destroy() rejects whatever still runs; #runJob turns that into PoolClosedError
    await this.#piscina.destroy();
    await drained;
  }
}

/** One well-formed item on the calling thread, as a worker runs it (an exception becomes its result). */
function runInline(item: VerifyItem): VerifyResult {
  try {
    return executeWellFormed(item);
  } catch (err) {
    return { ok: false, kind: item.kind, reason: `error: ${(err as Error).message}` };
  }
}
