/**
 * Span seeds without ever holding up consensus. A span's seed is a root-chain block hash; the root
 * chain may be slow or unreachable for minutes, and both callers run inside the consensus loop
 * (proposing a block, and the side-tx verdicts computed while committing one). So a seed is fetched
 * in the background, at most one request per span at a time, and a caller waits for it only a short
 * while (`waitMs`, counted from when the request started): without an answer by then the proposer
 * leaves the span out of this block and the voter abstains, and a later height asks again. An answer
 * that comes late is kept, so the next height has it at once.
 *
 * What waits, and why, is kept for the node status (`waiting()`). Seeds are immutable (block #k of
 * the seed chain, far below its head), so a cached seed is used until its span is committed.
 */
import type { Logger } from 'pino';
import type { SpanSeedSource } from '../../app/interface.ts';
import { timeOfDay, type DeliveryWait } from '../../app/waits.ts';

/** A seed source may name what it reads (the node's says "root chain 2") for the status and logs. */
export type NamedSeedSource = SpanSeedSource & { readonly label?: string };

/**
 * Thrown by a seed source that cannot reach its chain: `chain` names it, `detail` says what went
 * wrong (ECONNREFUSED, request timeout, no answer within 20 s).
 */
export class SeedUnreachableError extends Error {
  readonly chain: string;
  readonly detail: string;

  constructor(chain: string, detail: string) {
    super(`${chain} unreachable (${detail})`);
    this.name = 'SeedUnreachableError';
    this.chain = chain;
    this.detail = detail;
  }
}

export type SeedPurpose = 'proposal' | 'vote';

export interface SpanSeedsOptions {
  /** How long a proposal or a vote may wait for a seed, counted from the start of its request (ms). */
  waitMs: number;
  /** A request without an answer after this long counts as failed, so a later height asks again (ms). */
  fetchTimeoutMs: number;
  /** After a failed request, the next one starts no sooner than this (ms). */
  retryMs: number;
}

export const DEFAULT_SPAN_SEEDS: SpanSeedsOptions = { waitMs: 1000, fetchTimeoutMs: 20_000, retryMs: 2000 };

interface Fetch {
  startedAt: number;
  done: Promise<void>;
}

interface Failure {
  /** First failure of the current run of failures. */
  since: number;
  lastAt: number;
  reason: string;
  cause: 'unreachable' | 'no_answer' | 'no_block';
}

interface WaitEntry {
  spanId: number;
  purpose: SeedPurpose;
  since: number;
}

export class SpanSeeds {
  private readonly opts: SpanSeedsOptions;
  private readonly source: NamedSeedSource;
  private readonly label: string;
  private readonly now: () => number;
  private readonly logger: Logger | null;
  private readonly seeds = new Map<number, Uint8Array>();
  private readonly fetches = new Map<number, Fetch>();
  /** Per span: why its last request gave no seed (cleared by a seed). */
  private readonly failures = new Map<number, Failure>();
  private readonly waits = new Map<string, WaitEntry>();

  constructor(opts: Partial<SpanSeedsOptions>, deps: { source: SpanSeedSource; now?: () => number; logger?: Logger | null }) {
    this.opts = { ...DEFAULT_SPAN_SEEDS, ...opts };
    this.source = deps.source;
    this.label = this.source.label ?? 'the seed source';
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? null;
  }

  /**
   * Span `spanId`'s 32-byte seed, or null when it is not at hand within the bound (a request keeps
   * going in the background, or a later call starts another). Never rejects.
   */
  async seed(spanId: number, purpose: SeedPurpose): Promise<Uint8Array | null> {
    let got = this.seeds.get(spanId);
    if (!got) {
      const f = this.fetches.get(spanId) ?? this.startFetch(spanId);
      if (f) {
        const left = f.startedAt + this.opts.waitMs - this.now();
        if (left > 0) await raceTimer(f.done, left);
      }
      got = this.seeds.get(spanId);
    }
    const key = `${spanId}/${purpose}`;
    if (got) {
      if (this.waits.delete(key)) this.logger?.info({ span: spanId, purpose }, `span ${spanId} ${purpose}: seed available again`);
      return got;
    }
    if (!this.waits.has(key)) {
      this.waits.set(key, { spanId, purpose, since: this.now() });
      this.logger?.warn({ span: spanId, purpose, reason: this.reasonFor(spanId) }, `span ${spanId} ${purpose} waits for its seed; consensus goes on without it`);
    }
    return null;
  }

  /** Spans up to `lastSpanId` are committed: their seeds and waits are done with. */
  settled(lastSpanId: number): void {
    for (const id of this.seeds.keys()) if (id <= lastSpanId) this.seeds.delete(id);
    for (const id of this.failures.keys()) if (id <= lastSpanId) this.failures.delete(id);
    for (const [k, w] of this.waits) if (w.spanId <= lastSpanId) this.waits.delete(k);
  }

  /** What waits for a seed, and why, oldest first. */
  waiting(): DeliveryWait[] {
    return [...this.waits.values()]
      .sort((a, b) => a.since - b.since)
      .map((w) => ({ what: `span ${w.spanId} ${w.purpose}`, reason: this.reasonFor(w.spanId), since: w.since, kind: `span_${w.purpose}`, cause: this.causeFor(w.spanId) }));
  }

  private reasonFor(spanId: number): string {
    const fail = this.failures.get(spanId);
    const f = this.fetches.get(spanId);
    if (fail) return fail.reason;
    if (f) return `${this.label} has not answered for ${Math.round((this.now() - f.startedAt) / 1000)} s`;
    return `waiting to ask ${this.label} again`;
  }

  private causeFor(spanId: number): string {
    return this.failures.get(spanId)?.cause ?? 'no_answer';
  }

  /** Starts a request unless the last one failed too recently; null when none runs. */
  private startFetch(spanId: number): Fetch | null {
    const fail = this.failures.get(spanId);
    const startedAt = this.now();
    if (fail && startedAt - fail.lastAt < this.opts.retryMs) return null;
    const done = withDeadline(
      Promise.resolve().then(() => this.source(spanId)),
      this.opts.fetchTimeoutMs,
    )
      .then(
        (seed) => {
          if (seed && seed.length === 32) {
            if (fail) this.logger?.info({ span: spanId, source: this.label, downSince: timeOfDay(fail.since) }, `${this.label} answers again: span ${spanId} seed fetched`);
            this.seeds.set(spanId, seed);
            this.failures.delete(spanId);
          } else this.failed(spanId, seed ? `${this.label} gave a ${seed.length}-byte seed for span ${spanId}` : `${this.label} has no block #${spanId} yet`, 'no_block');
        },
        (err: unknown) => {
          if (err instanceof SeedUnreachableError) this.failed(spanId, err.detail, 'unreachable', err.chain);
          else if (err instanceof DeadlineError) this.failed(spanId, `no answer within ${this.opts.fetchTimeoutMs / 1000} s`, 'no_answer');
          else this.failed(spanId, (err as Error).message, 'unreachable');
        },
      )
      .finally(() => this.fetches.delete(spanId));
    const f = { startedAt, done };
    this.fetches.set(spanId, f);
    return f;
  }

  private failed(spanId: number, detail: string, cause: Failure['cause'], chain = this.label): void {
    const at = this.now();
    const prev = this.failures.get(spanId);
    const since = prev?.since ?? at;
    const reason = cause === 'no_block' ? `${detail} (since ${timeOfDay(since)})` : `${chain} unreachable since ${timeOfDay(since)} (${detail})`;
    this.failures.set(spanId, { since, lastAt: at, reason, cause });
    if (!prev) this.logger?.warn({ span: spanId, source: chain, detail }, `span ${spanId} seed: ${reason}`);
  }
}

class DeadlineError extends Error {}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves when `p` settles or after `ms`, whichever is first; never rejects. */
function raceTimer(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    t,
  ]).finally(() => clearTimeout(timer));
}
