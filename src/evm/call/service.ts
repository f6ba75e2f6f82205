/**
 * The main thread's side of the call workers (see interface.ts): a FIFO of requests and a small pool
 * of workers, each running up to JOBS_PER_WORKER requests at once, interleaved in time slices, each
 * on its own state view: a cheap call is not queued behind long ones (geth: one goroutine per call).
 *
 * Time limit: a request's deadline is its arrival plus evmTimeoutMs (a trace's own `timeout` if it
 * gives one). At the deadline the caller gets CallTimeoutError whether the request is queued or
 * running; a running worker stops itself (the EVM checks the clock) and answers shortly after. One
 * that has not answered `graceMs` later is stuck somewhere the check cannot reach: it is terminated
 * and a fresh worker takes its place (its node cache starts empty).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, gauge, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';
import { silentLogger } from '../../observability/logger.ts';
import { CallRevertedError, CallTimeoutError, type CallBlockRef, type CallRequest, type CallResult } from '../interface.ts';
import type { AccessListResult, AccountProof, CallServiceApi, CallServiceOptions, ReplayBlock, StateNodeHost, TraceOptions } from './interface.ts';
import type { CallJob, CallJobMsg, CallLifecycleMsg, CallReplyMsg, CallWorkerData } from './protocol.ts';
import type { NodeFetchStats } from './remoteNodeDb.ts';

const WORKER_URL = new URL('../../../workers/call.ts', import.meta.url);
const RESPAWN_BACKOFF_MS = 1000;

export interface CallServiceDeps {
  /** Owner of the state nodes: the executor (ExecutorClient or an in-process Executor). */
  host: StateNodeHost;
  metrics?: Registry | null;
  logger?: Logger;
  logLevel?: string;
}

interface Job {
  id: number;
  job: CallJob;
  timeoutMs: number;
  deadlineEpochMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  settled: boolean;
  endTimer?: () => void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  /** Jobs running in the worker (several at once, interleaved in time slices: workers/call.ts). */
  running: Map<number, Job>;
  /** Per running job past its deadline: terminate the worker if that job has not answered by then. */
  grace: Map<number, NodeJS.Timeout>;
}

/**
 * Jobs one worker runs at once. Above the number a flood of long calls is likely to reach, so a
 * cheap call arriving meanwhile still starts at once; each in-flight job holds a runner (an EVM and
 * its state caches) in the worker.
 */
export const JOBS_PER_WORKER = 32;

interface Metrics {
  seconds: ReturnType<typeof histogram>;
  timeouts: ReturnType<typeof counter>;
  restarts: ReturnType<typeof counter>;
  roundTrips: ReturnType<typeof counter>;
  fetched: ReturnType<typeof counter>;
  hits: ReturnType<typeof counter>;
  fetchWait: ReturnType<typeof counter>;
  queued: ReturnType<typeof gauge>;
}

function createMetrics(reg: Registry): Metrics {
  return {
    seconds: histogram(reg, 'bttc_call_seconds', 'Call worker requests from arrival to answer (eth_call, estimateGas, access lists, proofs, traces)', SECONDS_BUCKETS, ['kind']),
    timeouts: counter(reg, 'bttc_call_timeouts_total', 'Call worker requests that ran past rpc.evmTimeoutMs', ['kind']),
    restarts: counter(reg, 'bttc_call_worker_restarts_total', 'Call workers replaced, by reason (stuck past its deadline, crashed)', ['reason']),
    roundTrips: counter(reg, 'bttc_call_node_fetch_round_trips_total', 'Messages from call workers to the executor asking for state trie nodes'),
    fetched: counter(reg, 'bttc_call_node_fetch_nodes_total', 'State trie nodes and code fetched by call workers from the executor'),
    hits: counter(reg, 'bttc_call_node_cache_hits_total', "State trie node reads served by a call worker's own cache"),
    fetchWait: counter(reg, 'bttc_call_node_fetch_wait_seconds_total', 'Time call workers waited for the executor to answer node reads'),
    queued: gauge(reg, 'bttc_call_queue_length', 'Call worker requests waiting for a free worker'),
  };
}

export class CallService implements CallServiceApi {
  private readonly opts: Required<Omit<CallServiceOptions, 'hardfork' | 'eips' | 'workerUrl'>> & Pick<CallServiceOptions, 'hardfork' | 'eips'>;
  private readonly workerUrl: URL;
  private readonly deps: CallServiceDeps;
  private readonly logger: Logger;
  private readonly m: Metrics | null;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(opts: CallServiceOptions, deps: CallServiceDeps) {
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`call service: workers must be a positive integer, got ${workers}`);
    this.opts = {
      chainId: opts.chainId,
      hardfork: opts.hardfork,
      eips: opts.eips,
      workers,
      gasCap: opts.gasCap ?? 50_000_000n,
      evmTimeoutMs: opts.evmTimeoutMs ?? 5000,
      graceMs: opts.graceMs ?? 1000,
      cacheNodes: opts.cacheNodes ?? 200_000,
    };
    this.workerUrl = opts.workerUrl ?? WORKER_URL;
    this.deps = deps;
    this.logger = deps.logger ?? silentLogger();
    this.m = deps.metrics ? createMetrics(deps.metrics) : null;
  }

  /** Starts the workers and connects each to the host's state nodes; resolves when all are ready. */
  static async start(opts: CallServiceOptions, deps: CallServiceDeps): Promise<CallService> {
    const s = new CallService(opts, deps);
    for (let i = 0; i < s.opts.workers; i++) s.slots.push({ index: i, worker: null, running: new Map(), grace: new Map() });
    try {
      await Promise.all(s.slots.map((slot) => s.spawn(slot)));
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  private async spawn(slot: Slot): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    await this.deps.host.serveStateNodes(port1);
    const workerData: CallWorkerData = {
      chainId: this.opts.chainId,
      hardfork: this.opts.hardfork,
      eips: this.opts.eips,
      gasCap: this.opts.gasCap,
      cacheNodes: this.opts.cacheNodes,
      logLevel: this.deps.logLevel,
      nodePort: port2,
    };
    const worker = new Worker(this.workerUrl, { workerData, transferList: [port2], name: `bttc-call-${slot.index}` });
    await new Promise<void>((resolve, reject) => {
      const onFirst = (msg: CallLifecycleMsg) => {
        worker.off('error', onError);
        if ('ready' in msg) resolve();
        else {
          void worker.terminate();
          reject(new Error(`call worker failed to start: ${msg.failed}`));
        }
      };
      const onError = (err: Error) => reject(new Error(`call worker failed to start: ${err.message}`));
      worker.once('message', onFirst);
      worker.once('error', onError);
    });
    if (this.closed) {
      await worker.terminate();
      return;
    }
    worker.on('message', (msg: CallReplyMsg) => this.onReply(slot, worker, msg));
    worker.on('error', (err) => this.onDown(slot, worker, `crashed: ${err.message}`));
    worker.on('exit', (code) => this.onDown(slot, worker, `exited (code ${code})`));
    slot.worker = worker;
    this.dispatch();
  }

  /** Replaces the worker of `slot` (retrying while the host is unavailable). */
  private respawn(slot: Slot, reason: 'timeout' | 'crash'): void {
    this.m?.restarts.inc({ reason });
    const attempt = () => {
      if (this.closed) return;
      this.spawn(slot).catch((err: Error) => {
        this.logger.error({ worker: slot.index, err: err.message }, 'call worker did not start; retrying');
        setTimeout(attempt, RESPAWN_BACKOFF_MS).unref();
      });
    };
    attempt();
  }

  /** Forgets the slot's running jobs (and their grace timers); returns them. */
  private takeRunning(slot: Slot): Job[] {
    for (const t of slot.grace.values()) clearTimeout(t);
    slot.grace.clear();
    const jobs = [...slot.running.values()];
    slot.running.clear();
    return jobs;
  }

  private onDown(slot: Slot, worker: Worker, why: string): void {
    if (slot.worker !== worker) return; // already replaced
    slot.worker = null;
    const jobs = this.takeRunning(slot);
    if (this.closed) return;
    this.logger.error({ worker: slot.index, why }, 'call worker stopped; starting another');
    for (const job of jobs) this.settle(job, new Error(`call worker ${why}`));
    this.respawn(slot, 'crash');
  }

  private onReply(slot: Slot, worker: Worker, msg: CallReplyMsg): void {
    if (slot.worker !== worker) return;
    this.countStats(msg.stats);
    const job = slot.running.get(msg.id);
    if (!job) return;
    slot.running.delete(msg.id);
    const g = slot.grace.get(msg.id);
    if (g) clearTimeout(g);
    slot.grace.delete(msg.id);
    if (msg.ok) this.settle(job, null, msg.result);
    else {
      const e = msg.error;
      let err: Error;
      if (e.name === 'CallRevertedError') err = new CallRevertedError(e.message, e.data ?? new Uint8Array(0));
      else if (e.name === 'CallTimeoutError') err = new CallTimeoutError(e.timeoutMs ?? job.timeoutMs);
      else {
        err = new Error(e.message);
        err.name = e.name;
      }
      this.settle(job, err);
    }
    this.dispatch();
  }

  private countStats(s: NodeFetchStats): void {
    if (!this.m) return;
    this.m.roundTrips.inc(s.roundTrips);
    this.m.fetched.inc(s.fetched);
    this.m.hits.inc(s.hits);
    this.m.fetchWait.inc(s.waitMs / 1000);
  }

  private settle(job: Job, err: Error | null, result?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    job.endTimer?.();
    if (err) {
      if (err instanceof CallTimeoutError) this.m?.timeouts.inc({ kind: job.job.kind });
      job.reject(err);
    } else job.resolve(result);
  }

  /** Hands queued jobs to the least loaded live workers, up to JOBS_PER_WORKER each. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | null = null;
      for (const slot of this.slots) if (slot.worker && slot.running.size < JOBS_PER_WORKER && (!best || slot.running.size < best.running.size)) best = slot;
      if (!best) break;
      const job = this.queue.shift()!;
      best.running.set(job.id, job);
      best.worker!.postMessage({ id: job.id, job: job.job, deadlineEpochMs: job.deadlineEpochMs, timeoutMs: job.timeoutMs } satisfies CallJobMsg);
    }
    this.m?.queued.set(this.queue.length);
  }

  private onDeadline(job: Job): void {
    const qi = this.queue.indexOf(job);
    if (qi >= 0) this.queue.splice(qi, 1);
    this.settle(job, new CallTimeoutError(job.timeoutMs));
    const slot = this.slots.find((s) => s.running.get(job.id) === job);
    if (!slot || slot.grace.has(job.id)) return;
    const t = setTimeout(() => {
      slot.grace.delete(job.id);
      const worker = slot.worker;
      if (slot.running.get(job.id) !== job || !worker) return;
      this.logger.warn({ worker: slot.index, kind: job.job.kind, graceMs: this.opts.graceMs }, 'call worker did not stop at its deadline; replacing it');
      slot.worker = null;
      // The other calls in that worker go with it: the same error as a crash.
      for (const other of this.takeRunning(slot)) this.settle(other, new Error('call worker replaced: another call in it did not stop at its deadline'));
      worker.removeAllListeners();
      void worker.terminate();
      this.respawn(slot, 'timeout');
    }, this.opts.graceMs);
    t.unref();
    slot.grace.set(job.id, t);
  }

  private submit<T>(job: CallJob, timeoutMs = this.opts.evmTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new Error('call service is closed'));
    return new Promise<T>((resolve, reject) => {
      const j: Job = {
        id: this.nextId++,
        job,
        timeoutMs,
        deadlineEpochMs: performance.timeOrigin + performance.now() + timeoutMs,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: setTimeout(() => this.onDeadline(j), timeoutMs),
        settled: false,
      };
      const end = this.m?.seconds.startTimer({ kind: job.kind });
      if (end) j.endTimer = () => void end();
      this.queue.push(j);
      this.dispatch();
    });
  }

  call(req: CallRequest, ref: CallBlockRef): Promise<CallResult> {
    return this.submit({ kind: 'call', req, ref });
  }
  estimateGas(req: CallRequest, ref: CallBlockRef): Promise<bigint> {
    return this.submit({ kind: 'estimateGas', req, ref });
  }
  createAccessList(req: CallRequest, ref: CallBlockRef): Promise<AccessListResult> {
    return this.submit({ kind: 'accessList', req, ref });
  }
  getProof(stateRoot: Uint8Array, address: Uint8Array, storageKeys: Uint8Array[]): Promise<AccountProof> {
    return this.submit({ kind: 'proof', stateRoot, address, storageKeys });
  }
  traceCall(req: CallRequest, ref: CallBlockRef, opts: TraceOptions): Promise<unknown> {
    return this.submit({ kind: 'traceCall', req, ref, opts }, opts.timeoutMs);
  }
  traceBlock(block: ReplayBlock, opts: TraceOptions, txIndex?: number): Promise<unknown[]> {
    const job: CallJob = txIndex === undefined ? { kind: 'traceBlock', block, opts } : { kind: 'traceBlock', block, opts, txIndex };
    return this.submit(job, opts.timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('call service is closed');
    for (const j of this.queue.splice(0)) this.settle(j, err);
    await Promise.all(
      this.slots.map(async (slot) => {
        for (const job of this.takeRunning(slot)) this.settle(job, err);
        const w = slot.worker;
        slot.worker = null;
        if (w) {
          w.removeAllListeners();
          await w.terminate();
        }
      }),
    );
  }
}
