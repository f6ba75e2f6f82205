/**
 * The hash pool: checkpoint roots over block ranges (protocol §2, up to 2^15 blocks) and account
 * roots (§3) in piscina worker threads. Callers hand over headers (packed here) or ready packed
 * preimages (copied into an exact-size buffer, then transferred); the worker hashes layer by layer
 * with the native batch keccak. Tasks queue in a JobQueue with priority and backpressure like the
 * verify pool; one thread by default, since roots are bursty and the verify pool owns the cores.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Counter, Registry, Histogram } from 'prom-client';
import type { Logger } from 'pino';
import { JobQueue, JobDroppedError } from '../util/jobQueue.ts';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { packLeafPreimages, LEAF_PREIMAGE_SIZE, MAX_ROOT_HASH_BLOCKS, type CheckpointHeader } from '../merkle/checkpoint.ts';
import type { DividendAccount } from '../merkle/account.ts';
import { compareBytes, exactCopy, uintToBytes } from '../util/bytes.ts';
import { PoolClosedError, PoolOverloadedError } from './verifyPool.ts';
import type { HashTask, HashTaskResult } from '../../workers/hash-types.ts';

export interface HashPoolOptions {
  threads?: number;
  /** `canAcceptWork()` turns false at this many queued roots (default 64). */
  highWaterJobs?: number;
  /** Hard cap on queued roots (default 1024). */
  maxQueuedJobs?: number;
  closeTimeoutMs?: number;
  workerFile?: string;
}

export interface HashPoolDeps {
  metrics?: Registry | null;
  logger?: Logger | null;
}

export interface HashOptions {
  priority?: boolean;
}

const WORKER_FILE = fileURLToPath(new URL('../../workers/hash.ts', import.meta.url));

export class HashPool {
  readonly threads: number;
  readonly closeTimeoutMs: number;
  readonly #piscina: Piscina<HashTask, HashTaskResult>;
  readonly #queue: JobQueue<HashTask, Uint8Array>;
  readonly #metrics: { blocks: Histogram<string>; workerRun: Histogram<string>; workerCpu: Counter<string> } | null;
  readonly #logger: Logger | null;
  #closed = false;

  constructor(opts: HashPoolOptions = {}, deps: HashPoolDeps = {}) {
    this.threads = opts.threads ?? 1;
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new RangeError(`HashPool: threads must be an integer >= 1, got ${this.threads}`);
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.#logger = deps.logger ?? null;
    this.#piscina = new Piscina<HashTask, HashTaskResult>({ filename: opts.workerFile ?? WORKER_FILE, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 2 ** 31 - 1 });
    this.#queue = new JobQueue<HashTask, Uint8Array>(
      { name: 'hash-pool', maxLength: opts.maxQueuedJobs ?? 1024, highWaterMark: opts.highWaterJobs ?? 64, concurrency: this.threads * 2 },
      { metrics: deps.metrics ?? null },
      (task) => this.#run(task),
    );
    const reg = deps.metrics;
    this.#metrics = reg
      ? {
          blocks: histogram(reg, 'bttc_hash_pool_leaves_per_task', 'Leaves (blocks or accounts) per root task', [1, 16, 64, 256, 1024, 4096, 6400, 16384, 32768]),
          workerRun: histogram(reg, 'bttc_hash_pool_worker_run_seconds', 'Time a root task ran inside its worker thread', SECONDS_BUCKETS),
          workerCpu: counter(reg, 'bttc_hash_pool_worker_cpu_seconds_total', 'CPU time the hash worker threads spent on tasks, by task', ['op']),
        }
      : null;
  }

  canAcceptWork(): boolean {
    return !this.#closed && this.#queue.canAccept();
  }

  get queueLength(): number {
    return this.#queue.length;
  }

  /** Checkpoint root of a block range: headers, or their packed 128-byte leaf preimages. */
  checkpointRoot(range: readonly CheckpointHeader[] | Uint8Array, opts: HashOptions = {}): Promise<Uint8Array> {
    let data: Uint8Array;
    try {
      if (range instanceof Uint8Array) {
        const count = range.length / LEAF_PREIMAGE_SIZE;
        if (!Number.isInteger(count) || count === 0) throw new RangeError(`checkpointRoot: preimages must be a non-empty multiple of ${LEAF_PREIMAGE_SIZE} bytes, got ${range.length}`);
        if (count > MAX_ROOT_HASH_BLOCKS) throw new RangeError(`checkpointRoot: ${count} blocks exceed the limit of ${MAX_ROOT_HASH_BLOCKS}`);
        // a copy we own, so it can be transferred without detaching the caller's buffer
        data = exactCopy(range);
      } else {
        if (range.length === 0) throw new RangeError('checkpointRoot: empty block range');
        if (range.length > MAX_ROOT_HASH_BLOCKS) throw new RangeError(`checkpointRoot: ${range.length} blocks exceed the limit of ${MAX_ROOT_HASH_BLOCKS}`);
        data = packLeafPreimages(range);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#submit({ op: 'checkpoint-root', data }, opts);
  }

  /** Account root over fee-dividend accounts (sorted here by address). */
  accountRoot(accounts: readonly DividendAccount[], opts: HashOptions = {}): Promise<Uint8Array> {
    if (accounts.length === 0) return Promise.reject(new RangeError('accountRoot: no accounts'));
    const sorted = [...accounts].sort((a, b) => compareBytes(a.address, b.address));
    const data = new Uint8Array(sorted.length * 64);
    try {
      sorted.forEach((acc, i) => {
        if (!(acc.address instanceof Uint8Array) || acc.address.length !== 20) throw new RangeError(`accountRoot: address of account ${i} (sorted) must be 20 bytes`);
        data.set(acc.address, i * 64 + 12);
        data.set(uintToBytes(acc.fee), i * 64 + 32);
      });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#submit({ op: 'account-root', data }, opts);
  }

  /**
   * Seals one audit-log batch (src/audit-log/batch.ts): hash-chains its records, digests and signs
   * with the key inside the packed task. Answers the packed result (unpackSealResult).
   */
  auditBatch(packed: Uint8Array, opts: HashOptions = {}): Promise<Uint8Array> {
    return this.#submit({ op: 'audit-batch', data: exactCopy(packed) }, opts);
  }

  #submit(task: HashTask, opts: HashOptions): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new PoolClosedError('hash pool is closed'));
    return this.#queue.push(task, { priority: opts.priority === true }).catch((err: unknown) => {
      if (err instanceof JobDroppedError)
        throw err.reason === 'closed'
          ? new PoolClosedError(`hash pool closed before the ${task.op} task ran`)
          : new PoolOverloadedError(`hash pool overloaded: ${err.message}; check canAcceptWork() before submitting`);
      throw err;
    });
  }

  async #run(task: HashTask): Promise<Uint8Array> {
    // an audit batch has records, not leaves: it is not counted in the leaves histogram
    const leaves = task.op === 'audit-batch' ? null : task.data.length / (task.op === 'checkpoint-root' ? LEAF_PREIMAGE_SIZE : 64);
    let res: HashTaskResult;
    try {
      res = await this.#piscina.run(task, { transferList: [task.data.buffer as ArrayBuffer] });
    } catch (err) {
      if (this.#closed) throw new PoolClosedError(`hash pool closed while a ${task.op} task was running: ${(err as Error).message}`);
      this.#logger?.error({ err, op: task.op, leaves }, 'hash worker task failed');
      throw err;
    }
    if (leaves !== null) this.#metrics?.blocks.observe(leaves);
    this.#metrics?.workerRun.observe(res.runMs / 1000);
    this.#metrics?.workerCpu.inc({ op: task.op }, res.cpuMs / 1000);
    return res.root;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const drained = this.#queue.close('hash pool closed');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, this.closeTimeoutMs)))]);
    clearTimeout(timer);
    await this.#piscina.destroy();
    await drained;
  }
}
