/**
 * Where the network core runs: in the network worker (the default) or on the calling thread (the
 * gossip bench's baseline, and tools that want no worker). Both give the client the same port.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { NetworkCore } from './core/node.ts';
import type { FromCore, NetworkCoreOptions, Port, ToCore } from './protocol.ts';

export interface CoreHost {
  readonly port: Port<ToCore, FromCore>;
  /** Called once with the reason when the core goes away without terminate() (worker crash). */
  onExit(cb: (err: Error) => void): void;
  terminate(): Promise<void>;
}

export const NETWORK_WORKER_URL = new URL('../../workers/network.ts', import.meta.url);

export class WorkerHost implements CoreHost {
  readonly #worker: Worker;
  readonly port: Port<ToCore, FromCore>;
  #terminating = false;
  #exitCb: ((err: Error) => void) | null = null;

  constructor(opts: NetworkCoreOptions) {
    this.#worker = new Worker(NETWORK_WORKER_URL, { workerData: { opts }, name: 'bttc-network' });
    const w = this.#worker;
    this.port = {
      post: (msg, transfer) => w.postMessage(msg, transfer ?? []),
      onMessage: (cb) => w.on('message', cb),
    };
    w.on('error', (err) => this.#exited(err));
    w.on('exit', (code) => this.#exited(new Error(`network worker exited with code ${code}`)));
  }

  #exited(err: Error): void {
    if (this.#terminating || !this.#exitCb) return;
    const cb = this.#exitCb;
    this.#exitCb = null;
    cb(err);
  }

  onExit(cb: (err: Error) => void): void {
    this.#exitCb = cb;
  }

  async terminate(): Promise<void> {
    this.#terminating = true;
    await this.#worker.terminate();
  }
}

/**
 * Runs the core on this thread. Each message is delivered in its own macrotask (setImmediate), as
 * a worker's message would be: microtasks would let a publish loop starve timers and I/O.
 */
export class InProcessHost implements CoreHost {
  readonly port: Port<ToCore, FromCore>;
  readonly core: NetworkCore;

  constructor(opts: NetworkCoreOptions, logger: Logger) {
    let toClient: ((m: FromCore) => void) | null = null;
    let toCore: ((m: ToCore) => void) | null = null;
    this.port = {
      post: (msg) => setImmediate(() => toCore?.(msg)),
      onMessage: (cb) => {
        toClient = cb;
      },
    };
    this.core = new NetworkCore(opts, {
      port: {
        post: (msg) => setImmediate(() => toClient?.(msg)),
        onMessage: (cb) => {
          toCore = cb;
        },
      },
      logger,
    });
    this.core.start().catch(async (err: unknown) => {
      // libp2p may be listening already when a later step fails: release the port first.
      await this.core.stop().catch(() => undefined);
      toClient?.({ t: 'failed', error: (err as Error).message });
    });
  }

  onExit(): void {}

  async terminate(): Promise<void> {
    await this.core.stop();
  }
}
