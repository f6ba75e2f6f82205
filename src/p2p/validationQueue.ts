/**
 * One bounded intake queue per gossip kind on the main thread: at most `maxQueue` messages waiting
 * or running, `concurrency` handlers at once; when full, or when downstream says it cannot take
 * more (`canAccept`, the verify pool's backpressure), a new message is refused at once and
 * answered IGNORE — shedding load without penalising the peer that sent it.
 * Deliberately minimal until the shared job queue (src/util/jobQueue.ts) lands; then this becomes
 * a thin adapter over it.
 */

export interface ValidationQueueOptions {
  maxQueue: number;
  concurrency: number;
  canAccept?: () => boolean;
}

export class ValidationQueue<T> {
  readonly #opts: ValidationQueueOptions;
  readonly #run: (item: T) => Promise<void>;
  #items: T[] = [];
  #head = 0;
  #running = 0;

  constructor(opts: ValidationQueueOptions, run: (item: T) => Promise<void>) {
    if (!(opts.maxQueue >= 1) || !(opts.concurrency >= 1)) throw new RangeError(`validation queue: maxQueue (${opts.maxQueue}) and concurrency (${opts.concurrency}) must be ≥ 1`);
    this.#opts = opts;
    this.#run = run;
  }

  /** Waiting plus running. */
  get length(): number {
    return this.#items.length - this.#head + this.#running;
  }

  /** False (and the item not taken) when full or downstream is saturated. */
  push(item: T): boolean {
    if (this.length >= this.#opts.maxQueue) return false;
    if (this.#opts.canAccept && !this.#opts.canAccept()) return false;
    this.#items.push(item);
    this.#drain();
    return true;
  }

  #drain(): void {
    while (this.#running < this.#opts.concurrency && this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#running++;
      void this.#run(item).finally(() => {
        this.#running--;
        this.#drain();
      });
    }
  }
}
