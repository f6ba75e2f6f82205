/**
 * Follows the StakingInfo, RootChain and StateSender logs of one root chain, `confirmations` blocks
 * behind its head, and hands each decoded event to `onEvent` exactly once across restarts:
 *
 * - the cursor (last fully processed block + sequence of the last delivered event) lives in the
 *   key-value store and is written after every delivered event, so a restart resumes after the last
 *   event that was handed over, even in the middle of a block range; a range without events moves
 *   the stored cursor at most every `cursorSaveMs` (and on stop): on a root chain that mines every
 *   second, that was a LevelDB write per second per validator for nothing, and a restart that
 *   rescans those few empty blocks delivers nothing twice (events at or below the stored sequence
 *   are skipped);
 * - events carry their replay sequence (§6), which a consumer may also store with its own state;
 * - RPC errors back off exponentially (with a cap) and the loop carries on; a throwing `onEvent`
 *   is retried the same way, since dropping the event would lose a record.
 */
import type { Registry } from 'prom-client';
import { BUCKETS } from '../db/buckets.ts';
import type { KeyValueStore } from '../db/interface.ts';
import { Repository, u64Codec, type Codec } from '../db/repository.ts';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { counter, gauge } from '../observability/metrics.ts';
import { decodeRootLog, type RootEvent } from './abi.ts';
import { watchedAddresses, type RootChainClient } from './interface.ts';

export interface WatcherOptions {
  confirmations: number;
  /** First block to scan when there is no saved cursor. */
  startBlock?: number;
  /** Most blocks per getLogs call. */
  maxBlockRange?: number;
  pollIntervalMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Longest time a cursor advanced over event-less blocks stays unsaved (default 10 s; 0 = save every range). */
  cursorSaveMs?: number;
}

export interface WatcherDeps {
  client: RootChainClient;
  db: KeyValueStore;
  onEvent: (event: RootEvent) => Promise<void> | void;
  logger?: Logger;
  metrics?: Registry | null;
}

interface Cursor {
  /** Every event in blocks ≤ block has been delivered. */
  block: number;
  /** Sequence of the last delivered event (only events above it are delivered). */
  lastSequence: bigint;
}

/** `{"block":…,"lastSequence":"…"}` in UTF-8; the sequence as a decimal string (it can pass 2^53). */
const cursorCodec: Codec<Cursor> = {
  encode: (c) => new TextEncoder().encode(JSON.stringify({ block: c.block, lastSequence: c.lastSequence.toString() })),
  decode(raw) {
    const j = JSON.parse(new TextDecoder().decode(raw)) as { block: number; lastSequence: string };
    return { block: j.block, lastSequence: BigInt(j.lastSequence) };
  },
};

export class RootChainWatcher {
  private readonly opts: Required<WatcherOptions>;
  private readonly deps: WatcherDeps;
  private readonly logger: Logger;
  /** Cursors by root chain id (u64); this watcher reads and writes only its own chain's. */
  private readonly cursors: Repository<number, Cursor>;
  private cursor: Cursor | null = null;
  /** When the cursor was last written (ms, performance.now()); -Infinity: never in this process. */
  private savedAt = Number.NEGATIVE_INFINITY;
  /** The in-memory cursor is ahead of the stored one. */
  private dirty = false;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  private readonly m: {
    events: ReturnType<typeof counter>;
    errors: ReturnType<typeof counter>;
    head: ReturnType<typeof gauge>;
    processed: ReturnType<typeof gauge>;
  } | null;

  constructor(opts: WatcherOptions, deps: WatcherDeps) {
    this.opts = {
      confirmations: opts.confirmations,
      startBlock: opts.startBlock ?? 0,
      maxBlockRange: opts.maxBlockRange ?? 1000,
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      backoffInitialMs: opts.backoffInitialMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      cursorSaveMs: opts.cursorSaveMs ?? 10_000,
    };
    if (!Number.isInteger(this.opts.confirmations) || this.opts.confirmations < 0) throw new Error(`watcher: confirmations must be a non-negative integer, got ${opts.confirmations}`);
    this.deps = deps;
    this.logger = (deps.logger ?? silentLogger()).child({ module: 'root-watcher', rootChainId: deps.client.rootChainId });
    this.cursors = new Repository(deps.db, BUCKETS.watcherCursor, u64Codec, cursorCodec);
    this.cursors.key(deps.client.rootChainId); // a root chain id that cannot be a key fails here, not at the first poll
    const reg = deps.metrics;
    this.m = reg
      ? {
          events: counter(reg, 'bttc_root_watcher_events_total', 'Root-chain events delivered', ['root_chain', 'event']),
          errors: counter(reg, 'bttc_root_watcher_errors_total', 'Root-chain watcher poll errors', ['root_chain']),
          head: gauge(reg, 'bttc_root_watcher_head_block', 'Root-chain head seen by the watcher', ['root_chain']),
          processed: gauge(reg, 'bttc_root_watcher_processed_block', 'Last root-chain block fully processed', ['root_chain']),
        }
      : null;
  }

  /** Last fully processed block (after `start` or one `poll`). */
  get processedBlock(): number | null {
    return this.cursor?.block ?? null;
  }

  private async loadCursor(): Promise<Cursor> {
    if (this.cursor) return this.cursor;
    this.cursor = (await this.cursors.get(this.deps.client.rootChainId)) ?? { block: this.opts.startBlock - 1, lastSequence: -1n };
    return this.cursor;
  }

  private async saveCursor(c: Cursor, lazy = false): Promise<void> {
    this.cursor = c;
    this.m?.processed.set({ root_chain: String(this.deps.client.rootChainId) }, c.block);
    if (lazy && performance.now() - this.savedAt < this.opts.cursorSaveMs) {
      this.dirty = true;
      return;
    }
    await this.cursors.put(this.deps.client.rootChainId, c);
    this.savedAt = performance.now();
    this.dirty = false;
  }

  /** Writes a cursor held back by the lazy rule (stop calls it). */
  async flushCursor(): Promise<void> {
    if (this.dirty && this.cursor) await this.saveCursor(this.cursor);
  }

  /**
   * One pass: scan from the cursor up to head − confirmations (at most maxBlockRange blocks per
   * getLogs) and deliver what it finds. Returns how many events were delivered. Throws on RPC errors.
   */
  async poll(): Promise<number> {
    const { client } = this.deps;
    const cursor = await this.loadCursor();
    const head = await client.blockNumber();
    this.m?.head.set({ root_chain: String(client.rootChainId) }, head);
    const safe = head - this.opts.confirmations;
    // BTTC's staking events come from StakingInfo; the StakeManager itself emits none worth following.
    const addresses = watchedAddresses(client.contracts);
    let delivered = 0;
    let from = cursor.block + 1;
    while (from <= safe && (this.running || this.loop === null)) {
      const to = Math.min(safe, from + this.opts.maxBlockRange - 1);
      const logs = await client.getLogs(from, to, addresses);
      const before = delivered;
      for (const log of logs) {
        const ev = decodeRootLog(log, client.contracts, client.rootChainId);
        if (!ev) continue;
        // Compare in the staking form for every event: the clerk form is that × 100 + chain id.
        const seq = ev.name === 'StateSynced' ? ev.sequence / 100n : ev.sequence;
        if (seq <= this.cursor!.lastSequence) continue;
        await this.deps.onEvent(ev);
        delivered++;
        this.m?.events.inc({ root_chain: String(client.rootChainId), event: ev.name });
        await this.saveCursor({ block: this.cursor!.block, lastSequence: seq });
      }
      await this.saveCursor({ block: to, lastSequence: this.cursor!.lastSequence }, delivered === before);
      from = to + 1;
    }
    return delivered;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.opts.pollIntervalMs;
      try {
        await this.poll();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.m?.errors.inc({ root_chain: String(this.deps.client.rootChainId) });
        delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** (this.failures - 1));
        delay = Math.round(delay * (0.75 + Math.random() * 0.5));
        this.logger.warn({ err: (err as Error).message, failures: this.failures, retryInMs: delay }, 'root chain poll failed; backing off');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Polls now instead of waiting for the interval. */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.flushCursor();
  }
}
