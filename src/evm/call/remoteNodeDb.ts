/**
 * The call worker's side of the state-node channel: reads trie nodes and code from the state owner
 * over a MessagePort and keeps them in an LRU shared by the worker's calls. Nodes are
 * content-addressed and never change, so a cached node is always right and is never invalidated;
 * only misses cross the thread boundary. Each call runs on a NodeView (an EthereumJS `DB`): its
 * writes (the scratch nodes of its own state changes) stay in the view's overlay, which
 * `clearLocal()` drops: the call worker never writes state back.
 *
 * Reads issued in one synchronous run are sent as one message (one round trip).
 */
import type { MessagePort } from 'node:worker_threads';
import { OverlayDb, type NodeReader } from './overlayDb.ts';
import type { NodeReplyMsg, NodeRequestMsg } from './nodeProtocol.ts';

export interface NodeFetchStats {
  /** Reads answered from the LRU or a view's overlay. */
  hits: number;
  /** Keys fetched from the owner. */
  fetched: number;
  /** Messages sent to the owner (several keys may share one). */
  roundTrips: number;
  /** Wall time spent waiting for the owner's answers, ms. */
  waitMs: number;
}

interface Waiter {
  resolve: (v: Uint8Array | undefined) => void;
  reject: (e: Error) => void;
}

export class RemoteNodeDb implements NodeReader {
  private readonly port: MessagePort;
  private readonly lru = new Map<string, Uint8Array>();
  private readonly limit: number;
  private queued = new Map<string, Waiter[]>();
  private readonly inflight = new Map<number, { keys: string[]; waiters: Waiter[][]; sentAt: number }>();
  private nextId = 1;
  private closedError: Error | null = null;
  stats: NodeFetchStats = { hits: 0, fetched: 0, roundTrips: 0, waitMs: 0 };

  constructor(port: MessagePort, opts: { cacheNodes?: number } = {}) {
    this.port = port;
    this.limit = opts.cacheNodes ?? 200_000;
    port.on('message', (msg: NodeReplyMsg) => this.onReply(msg));
    port.on('close', () => {
      this.closedError = new Error('the state owner closed the node channel');
      this.abort(this.closedError);
      this.inflight.clear();
    });
  }

  private onReply(msg: NodeReplyMsg): void {
    const req = this.inflight.get(msg.id);
    if (!req) return;
    this.inflight.delete(msg.id);
    this.stats.waitMs += performance.now() - req.sentAt;
    if ('error' in msg) {
      const err = new Error(`state node read failed: ${msg.error}`);
      for (const ws of req.waiters) for (const w of ws) w.reject(err);
      return;
    }
    for (let i = 0; i < req.keys.length; i++) {
      const v = msg.values[i] ?? undefined;
      // A miss is not cached: a root unknown now may be stored by the next block.
      if (v !== undefined) this.remember(req.keys[i]!, v);
      for (const w of req.waiters[i]!) w.resolve(v);
    }
  }

  private remember(key: string, value: Uint8Array): void {
    this.lru.delete(key);
    this.lru.set(key, value);
    if (this.lru.size > this.limit) {
      // Drop the least recent 1/16th at once, so eviction is not paid per insert.
      let drop = this.lru.size - this.limit + (this.limit >> 4);
      for (const k of this.lru.keys()) {
        if (drop-- <= 0) break;
        this.lru.delete(k);
      }
    }
  }

  private send(): void {
    if (this.queued.size === 0) return;
    const keys = [...this.queued.keys()];
    const waiters = [...this.queued.values()];
    this.queued = new Map();
    const id = this.nextId++;
    this.inflight.set(id, { keys, waiters, sentAt: performance.now() });
    this.stats.roundTrips++;
    this.stats.fetched += keys.length;
    this.port.postMessage({ id, keys } satisfies NodeRequestMsg);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const c = this.lru.get(key);
    if (c !== undefined) {
      this.stats.hits++;
      this.lru.delete(key);
      this.lru.set(key, c);
      return c;
    }
    if (this.closedError) throw this.closedError;
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      const q = this.queued.get(key);
      if (q) q.push(w);
      else {
        if (this.queued.size === 0) queueMicrotask(() => this.send());
        this.queued.set(key, [w]);
      }
    });
  }

  cachedNodes(): number {
    return this.lru.size;
  }

  /**
   * Fails every read waiting for the owner (a deadline passed). Answers that arrive later are still
   * cached: the next call will want the same nodes.
   */
  abort(err: Error): void {
    for (const ws of this.queued.values()) for (const w of ws) w.reject(err);
    this.queued = new Map();
    for (const req of this.inflight.values()) {
      for (const ws of req.waiters) for (const w of ws) w.reject(err);
      req.waiters = req.waiters.map(() => []);
    }
  }

  /** A view for one runner (several may run at once): own scratch overlay, own abortable reads. */
  view(): NodeView {
    return new NodeView(this);
  }

  /** Takes the counters since the last call (reported to the main thread with each answer). */
  takeStats(): NodeFetchStats {
    const s = this.stats;
    this.stats = { hits: 0, fetched: 0, roundTrips: 0, waitMs: 0 };
    return s;
  }
}

/**
 * One runner's view of a shared RemoteNodeDb: its own scratch overlay and its own waiting reads, so
 * several calls can run at once in one worker (interleaved at their time slices, deadline.ts) and a
 * deadline aborts only the reads of the call that ran out of time. The LRU and the channel are shared.
 */
export class NodeView extends OverlayDb {
  private readonly shared: RemoteNodeDb;
  private readonly waiting = new Set<(e: Error) => void>();

  constructor(shared: RemoteNodeDb) {
    super(shared);
    this.shared = shared;
  }

  override async get(key: string): Promise<string | Uint8Array | undefined> {
    const l = this.local.get(key);
    if (l !== undefined) {
      this.shared.stats.hits++;
      return l;
    }
    const read = this.shared.get(key);
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      this.waiting.add(fail);
      read.then(
        (v) => {
          this.waiting.delete(fail);
          resolve(v);
        },
        (e: Error) => {
          this.waiting.delete(fail);
          reject(e);
        },
      );
    });
  }

  /** Fails this view's reads still waiting for the owner; the shared fetch goes on and is cached. */
  abort(err: Error): void {
    for (const fail of this.waiting) fail(err);
    this.waiting.clear();
  }
}
