/**
 * Main-thread side of the executor worker: the same ExecutorApi as the in-process Executor, each
 * call one packed request (transferred) and one packed reply. Calls may be issued concurrently; the
 * worker serialises them in arrival order.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import * as codec from './codec.ts';
import { bytesToBig } from './block.ts';
import type { ExecutorOptions } from './executor.ts';
import {
  BlockValidationError,
  CallRevertedError,
  type AccountState,
  type BuildBlockRequest,
  type BuildBlockResult,
  type CallBlockRef,
  type CallRequest,
  type CallResult,
  type ExecuteBlockRequest,
  type ExecuteBlockResult,
  type ExecutorApi,
  type GenesisSpec,
  type HeaderFields,
  type TimingBreakdown,
  type TopUpBatch,
} from './interface.ts';
import type { StateNodeHost } from './call/interface.ts';
import type { ExecutorAttachMsg, ExecutorLifecycleMsg, ExecutorMethod, ExecutorRequestMsg, ExecutorResponseMsg, ExecutorTopUpAskMsg, ExecutorTopUpMsg, ExecutorWorkerData } from './rpcTypes.ts';

const WORKER_URL = new URL('../../workers/executor.ts', import.meta.url);

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  end?: () => void;
  /** A build's top-up source (BuildBlockRequest.more), asked by the worker while it builds. */
  more?: () => Promise<TopUpBatch | null>;
}

function exact(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

export class ExecutorClient implements ExecutorApi, StateNodeHost {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;
  private readonly logger: Logger;
  private closing = false;
  private readonly seconds: ReturnType<typeof histogram> | null;
  private readonly errors: ReturnType<typeof counter> | null;
  private readonly blockTime: { cpu: ReturnType<typeof counter>; wall: ReturnType<typeof counter> } | null;

  private constructor(worker: Worker, deps: { metrics?: Registry | null; logger?: Logger }) {
    this.worker = worker;
    this.logger = deps.logger ?? silentLogger();
    this.seconds = deps.metrics ? histogram(deps.metrics, 'bttc_executor_request_seconds', 'Executor worker round trip by method', SECONDS_BUCKETS, ['method']) : null;
    this.errors = deps.metrics ? counter(deps.metrics, 'bttc_executor_request_errors_total', 'Executor worker requests that failed, by method', ['method']) : null;
    // CPU against wall time of the worker's block work: far apart means the executor waited for a core.
    this.blockTime = deps.metrics
      ? {
          cpu: counter(deps.metrics, 'bttc_executor_block_cpu_seconds_total', 'CPU time of the executor thread building or executing blocks', ['kind']),
          wall: counter(deps.metrics, 'bttc_executor_block_wall_seconds_total', 'Wall time of the executor building or executing blocks (decode to commit)', ['kind']),
        }
      : null;
    worker.on('message', (msg: ExecutorResponseMsg | ExecutorTopUpAskMsg) => ('topUpAsk' in msg ? this.onTopUpAsk(msg.id) : this.onMessage(msg)));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`executor worker exited (code ${code})`)));
  }

  static start(opts: ExecutorOptions, deps: { metrics?: Registry | null; logger?: Logger; logLevel?: string } = {}): Promise<ExecutorClient> {
    const workerData: ExecutorWorkerData = { opts, logLevel: deps.logLevel };
    const worker = new Worker(WORKER_URL, { workerData, name: 'bttc-executor' });
    return new Promise((resolve, reject) => {
      const onFirst = (msg: ExecutorLifecycleMsg) => {
        worker.off('error', onError);
        if ('ready' in msg) resolve(new ExecutorClient(worker, deps));
        else {
          void worker.terminate();
          reject(new Error(`executor worker failed to start: ${msg.failed}`));
        }
      };
      const onError = (err: Error) => reject(new Error(`executor worker failed to start: ${err.message}`));
      worker.once('message', onFirst);
      worker.once('error', onError);
    });
  }

  private fail(err: Error): void {
    // An exit we asked for (close) is the normal end, not an error an operator should chase.
    if (!this.dead && !this.closing) this.logger.error({ err: err.message }, 'executor worker stopped');
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** The worker waits for this answer before it finalises the block: a failing source ends the top-up. */
  private onTopUpAsk(id: number): void {
    const more = this.pending.get(id)?.more;
    const answer = more ? more() : Promise.resolve(null);
    answer
      .catch((err: unknown) => {
        this.logger.error({ err: (err as Error).message }, 'block top-up failed: finishing the block with what it has');
        return null;
      })
      .then((batch) => {
        if (this.dead) return;
        const body = exact(codec.encodeTopUp(batch));
        this.worker.postMessage({ id, topUp: body } satisfies ExecutorTopUpMsg, [body.buffer as ArrayBuffer]);
      });
  }

  private onMessage(msg: ExecutorResponseMsg): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.end?.();
    if (msg.ok) return p.resolve(msg.payload);
    const e = msg.error;
    let err: Error;
    if (e.name === 'BlockValidationError') err = new BlockValidationError(e.field ?? 'block', e.message);
    else if (e.name === 'CallRevertedError') err = new CallRevertedError(e.message, e.data ?? new Uint8Array(0));
    else {
      err = new Error(e.message);
      err.name = e.name;
    }
    p.reject(err);
  }

  private request(method: ExecutorMethod, payload: Uint8Array, more?: () => Promise<TopUpBatch | null>): Promise<Uint8Array> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const body = exact(payload);
    return new Promise((resolve, reject) => {
      const end = this.seconds?.startTimer({ method });
      this.pending.set(id, {
        resolve,
        reject: (err) => {
          this.errors?.inc({ method });
          reject(err);
        },
        end,
        ...(more ? { more } : {}),
      });
      this.worker.postMessage({ id, method, payload: body } satisfies ExecutorRequestMsg, [body.buffer as ArrayBuffer]);
    });
  }

  async initGenesis(spec: GenesisSpec): Promise<HeaderFields> {
    return codec.decodeHeaderFields(await this.request('initGenesis', codec.encodeGenesis(spec)));
  }
  async buildBlock(req: BuildBlockRequest): Promise<BuildBlockResult> {
    const r = codec.decodeBuildResult(await this.request('buildBlock', codec.encodeBuildRequest(req), req.more ?? undefined));
    this.countBlockTime('build', r.timings);
    return r;
  }
  async executeBlock(req: ExecuteBlockRequest): Promise<ExecuteBlockResult> {
    const r = codec.decodeExecuteResult(await this.request('executeBlock', codec.encodeExecuteRequest(req)));
    this.countBlockTime('execute', r.timings);
    return r;
  }
  private countBlockTime(kind: string, t: TimingBreakdown): void {
    this.blockTime?.cpu.inc({ kind }, t.cpuMs / 1000);
    this.blockTime?.wall.inc({ kind }, (t.decodeMs + t.execMs + t.systemMs + t.commitMs + t.rootsMs) / 1000);
  }
  async call(req: CallRequest, ref: CallBlockRef): Promise<CallResult> {
    return codec.decodeCallResult(await this.request('call', codec.encodeCall(req, ref)));
  }
  async estimateGas(req: CallRequest, ref: CallBlockRef): Promise<bigint> {
    return bytesToBig(codec.decode(await this.request('estimateGas', codec.encodeCall(req, ref))) as unknown as Uint8Array);
  }
  async getAccount(stateRoot: Uint8Array, address: Uint8Array): Promise<AccountState | undefined> {
    return codec.decodeAccount(await this.request('getAccount', codec.encodeBytesList([stateRoot, address])));
  }
  async getAccounts(stateRoot: Uint8Array, addresses: readonly Uint8Array[]): Promise<(AccountState | undefined)[]> {
    if (addresses.length === 0) return [];
    return codec.decodeAccounts(await this.request('getAccounts', codec.encodeBytesList([stateRoot, ...addresses])));
  }
  async getCode(stateRoot: Uint8Array, address: Uint8Array): Promise<Uint8Array> {
    return codec.decode(await this.request('getCode', codec.encodeBytesList([stateRoot, address]))) as unknown as Uint8Array;
  }
  async getStorage(stateRoot: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    return codec.decode(await this.request('getStorage', codec.encodeBytesList([stateRoot, address, slot]))) as unknown as Uint8Array;
  }
  async hasState(stateRoot: Uint8Array): Promise<boolean> {
    return bytesToBig(codec.decode(await this.request('hasState', codec.encodeBytesList([stateRoot]))) as unknown as Uint8Array) === 1n;
  }
  /** Passes `port` to the worker, which serves its trie nodes on it (see Executor.serveStateNodes). */
  serveStateNodes(port: MessagePort): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: () => resolve(), reject });
      this.worker.postMessage({ id, attachStateReader: port } satisfies ExecutorAttachMsg, [port]);
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.closing = true;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    await this.request('close', new Uint8Array(0)).catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (!this.dead) await this.worker.terminate();
  }
}
