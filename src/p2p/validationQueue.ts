/**
 * One bounded intake queue per gossip kind on the main thread, over the shared JobQueue: at most
 * `maxQueue` messages waiting, `concurrency` handlers at once. When full, or when downstream says
 * it cannot take more (`canAccept`, e.g. the verify pool's backpressure), a new message is refused
 * at once and answered IGNORE — shedding load without penalising the peer that sent it, and
 * without growing.
 */
import type { Registry } from 'prom-client';
import { JobQueue } from '../util/jobQueue.ts';

export interface ValidationQueueOptions {
  name: string;
  maxQueue: number;
  concurrency: number;
  canAccept?: () => boolean;
}

export class ValidationQueue<T> {
  readonly #queue: JobQueue<T, void>;
  readonly #canAccept: (() => boolean) | undefined;

  constructor(opts: ValidationQueueOptions, deps: { metrics: Registry | null }, run: (item: T) => Promise<void>) {
    if (!(opts.maxQueue >= 1) || !(opts.concurrency >= 1)) throw new RangeError(`validation queue ${opts.name}: maxQueue (${opts.maxQueue}) and concurrency (${opts.concurrency}) must be ≥ 1`);
    this.#queue = new JobQueue<T, void>({ name: opts.name, maxLength: opts.maxQueue, concurrency: opts.concurrency, dropPolicy: 'reject-new' }, { metrics: deps.metrics }, run);
    this.#canAccept = opts.canAccept;
  }

  /** Waiting plus running. */
  get length(): number {
    return this.#queue.length + this.#queue.running;
  }

  /** False (and the item not taken) when full or downstream is saturated. */
  push(item: T): boolean {
    if (!this.#queue.canAccept()) return false;
    if (this.#canAccept && !this.#canAccept()) return false;
    // `run` answers every message itself; a rejection here can only be the queue closing.
    this.#queue.push(item).catch(() => undefined);
    return true;
  }

  close(): void {
    void this.#queue.close().catch(() => undefined);
  }
}
