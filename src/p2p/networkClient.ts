/**
 * The main thread's side of the network: implements `Network` over the port to the network core
 * (worker or same thread, see transport.ts). Gossip arrives in packed batches; each message goes
 * through its kind's bounded validation queue, and verdicts go back batched, once per
 * event-loop turn.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { packList, packPublishes, packResults, readGossipBatch, readPublished, RESULT_CODE, unpackList, type PublishRecord } from './codec/wire.ts';
import { idToHex } from './msgId.ts';
import { NetworkMetrics } from './metrics.ts';
import type { CoreHost } from './transport.ts';
import type { FromCore, NetworkCoreOptions, ReplyValue, ToCore } from './protocol.ts';
import {
  RequestError,
  type GossipHandler,
  type GossipMessage,
  type Network,
  type NetworkEvents,
  type NetworkStats,
  type PeerInfo,
  type PublishResult,
  type RequestHandler,
  type RequestOptions,
  type SubscribeOptions,
  type ValidationResult,
} from './interface.ts';
import { DEFAULT_KIND_LIMITS, isGossipKind, KIND_CODE, kindFromCode, type GossipKind, type ReqMethod } from './topics.ts';
import { ValidationQueue } from './validationQueue.ts';
import type { SignatureVerifier } from '../pools/interface.ts';

export interface NetworkClientDeps {
  host: CoreHost;
  metrics: Registry | null;
  logger: Logger;
  /** Default backpressure for every kind: no new gossip while the verify pool is saturated. */
  verifier?: SignatureVerifier | null;
}

interface Call {
  resolve(v: ReplyValue | undefined): void;
  reject(e: Error): void;
}

interface Job {
  token: number;
  msg: GossipMessage;
  arrived: number;
}

interface Subscription {
  handler: GossipHandler;
  queue: ValidationQueue<Job>;
}

export class NetworkClosedError extends Error {
  override name = 'NetworkClosedError';
}

/**
 * Why a publish failed, for the metric label. 'no-peers' is the one expected failure (a node
 * alone, or before its peers' subscriptions arrived); anything else is worth a warning.
 */
export function publishFailureReason(error: string): 'no-peers' | 'too-large' | 'duplicate' | 'error' {
  if (/NoPeersSubscribedToTopic|InsufficientPeers/i.test(error)) return 'no-peers';
  if (/exceeds the \d+-byte limit/.test(error)) return 'too-large';
  if (/Duplicate/i.test(error)) return 'duplicate';
  return 'error';
}

export class NetworkClient extends EventEmitter<NetworkEvents> implements Network {
  readonly #opts: NetworkCoreOptions;
  readonly #host: CoreHost;
  readonly #log: Logger;
  readonly #metrics: NetworkMetrics | null;
  readonly #registry: Registry | null;
  readonly #verifier: SignatureVerifier | null;
  #peerId = '';
  #addrs: string[] = [];
  #nextId = 1;
  readonly #calls = new Map<number, Call>();
  /** Kind of each publish in flight (for the publish metrics). */
  readonly #pubKinds = new Map<number, GossipKind>();
  readonly #subs = new Map<GossipKind, Subscription>();
  readonly #reqHandlers = new Map<ReqMethod, RequestHandler>();
  readonly #connected = new Set<string>();
  #pubQueue: PublishRecord[] = [];
  #pubFlushScheduled = false;
  #tokens: number[] = [];
  #codes: number[] = [];
  #flushScheduled = false;
  #ready: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  #started = false;
  #closed = false;
  #terminated = false;
  #lastStats: NetworkStats | null = null;

  constructor(opts: NetworkCoreOptions, deps: NetworkClientDeps) {
    super();
    this.#opts = opts;
    this.#host = deps.host;
    this.#log = deps.logger;
    this.#registry = deps.metrics;
    this.#metrics = deps.metrics ? new NetworkMetrics(deps.metrics, () => this.#pullStats()) : null;
    this.#verifier = deps.verifier ?? null;
    this.#host.port.onMessage((m) => this.#onMessage(m));
    this.#host.onExit((err) => this.#fail(err));
    // Until start() is awaited a failure has nobody to tell; keep it from becoming unhandled.
    this.#ready.promise.catch(() => undefined);
  }

  get peerId(): string {
    return this.#peerId;
  }

  async start(): Promise<void> {
    if (this.#started) return this.#ready.promise;
    this.#started = true;
    return this.#ready.promise;
  }

  listenAddrs(): string[] {
    return [...this.#addrs];
  }

  connectedPeers(): string[] {
    return [...this.#connected];
  }

  lastStats(): NetworkStats | null {
    return this.#lastStats;
  }

  async close(): Promise<void> {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#flushPublishes();
    if (this.#closed) {
      // The core failed earlier: nothing to stop, but the host may still hold a thread.
      await this.#host.terminate().catch(() => undefined);
      return;
    }
    this.#flushResults();
    try {
      await Promise.race([this.#call((id) => ({ t: 'stop', id })), new Promise((r) => setTimeout(r, 5000).unref())]);
    } catch {
      // stopping a core that already failed
    }
    this.#closed = true;
    this.#metrics?.detach();
    for (const s of this.#subs.values()) s.queue.close();
    await this.#host.terminate();
    for (const c of this.#calls.values()) c.reject(new NetworkClosedError('network closed'));
    this.#calls.clear();
    this.#pubKinds.clear();
  }

  subscribe(kind: GossipKind, handler: GossipHandler, opts: SubscribeOptions = {}): void {
    if (!isGossipKind(kind)) throw new TypeError(`subscribe: unknown gossip kind ${String(kind)}`);
    if (this.#subs.has(kind)) throw new Error(`subscribe: ${kind} already has a handler`);
    const limits = { ...DEFAULT_KIND_LIMITS[kind], ...this.#opts.kindLimits?.[kind] };
    const verifier = this.#verifier;
    const canAccept = opts.canAccept ?? (verifier ? () => verifier.canAcceptWork() : undefined);
    const queue = new ValidationQueue<Job>(
      { name: `gossip-${kind}`, maxQueue: opts.maxQueue ?? limits.maxPending, concurrency: opts.concurrency ?? limits.concurrency, canAccept },
      { metrics: this.#registry },
      (job) => this.#validate(kind, job),
    );
    this.#subs.set(kind, { handler, queue });
    this.#post({ t: 'subscribe', kind });
  }

  unsubscribe(kind: GossipKind): void {
    const sub = this.#subs.get(kind);
    if (!sub) return;
    this.#subs.delete(kind);
    sub.queue.close();
    this.#post({ t: 'unsubscribe', kind });
  }

  async publish(kind: GossipKind, data: Uint8Array): Promise<PublishResult> {
    return this.#publish(kind, data, false);
  }

  /**
   * Publishes `data` without the envelope: a malformed message on purpose, for tests and tools
   * that check how peers treat garbage. Never used by the node itself.
   */
  async publishRaw(kind: GossipKind, data: Uint8Array): Promise<PublishResult> {
    return this.#publish(kind, data, true);
  }

  async #publish(kind: GossipKind, data: Uint8Array, raw: boolean): Promise<PublishResult> {
    if (!isGossipKind(kind)) throw new TypeError(`publish: unknown gossip kind ${String(kind)}`);
    if (!(data instanceof Uint8Array)) throw new TypeError(`publish ${kind}: data must be a Uint8Array`);
    if (this.#closed) {
      this.#metrics?.publishErrors.inc({ kind, reason: 'closed' });
      throw new NetworkClosedError('network closed');
    }
    // Publishes of one event-loop turn cross to the core as one packed buffer (a burst of
    // transactions or votes costs one worker message, not one each).
    const id = this.#nextId++;
    const p = new Promise<ReplyValue | undefined>((resolve, reject) => this.#calls.set(id, { resolve, reject }));
    this.#pubKinds.set(id, kind);
    // The payload is copied before publish() returns, so callers may reuse their buffer: small ones
    // now, big ones (blocks) by packing at once rather than copying twice.
    const big = data.length >= 64 * 1024;
    this.#pubQueue.push({ id, kindCode: KIND_CODE[kind], raw, data: big ? data : data.slice() });
    if (big) this.#flushPublishes();
    else if (!this.#pubFlushScheduled) {
      this.#pubFlushScheduled = true;
      setImmediate(() => this.#flushPublishes());
    }
    return { recipients: ((await p) as { recipients: number }).recipients };
  }

  #flushPublishes(): void {
    this.#pubFlushScheduled = false;
    if (this.#pubQueue.length === 0 || this.#closed) return;
    const buf = packPublishes(this.#pubQueue);
    this.#pubQueue = [];
    this.#host.port.post({ t: 'publish', buf }, [buf.buffer as ArrayBuffer]);
  }

  handleRequest(method: ReqMethod, handler: RequestHandler): void {
    if (this.#reqHandlers.has(method)) throw new Error(`handleRequest: ${method} already has a handler`);
    this.#reqHandlers.set(method, handler);
    this.#post({ t: 'handle', method });
  }

  async request(peerId: string, method: ReqMethod, body: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array[]> {
    const copy = body.slice();
    try {
      const v = await this.#call((id) => ({ t: 'request', id, peer: peerId, method, body: copy, timeoutMs: opts.timeoutMs }), [copy.buffer]);
      return unpackList((v as { items: Uint8Array }).items);
    } catch (err) {
      if (err instanceof RequestError) throw err;
      throw new RequestError('closed', (err as Error).message);
    }
  }

  penalize(peerId: string, reason: string): void {
    this.#post({ t: 'penalize', peer: peerId, reason });
  }

  async dial(addr: string): Promise<void> {
    await this.#call((id) => ({ t: 'dial', id, addr }));
  }

  async peers(): Promise<PeerInfo[]> {
    return ((await this.#call((id) => ({ t: 'peers', id }))) as { peers: PeerInfo[] }).peers;
  }

  async stats(): Promise<NetworkStats> {
    const stats = ((await this.#call((id) => ({ t: 'stats', id }))) as { stats: NetworkStats }).stats;
    this.#lastStats = stats;
    return stats;
  }

  /** The worker's counters for a scrape; null once the network is closed (the metrics keep their last values). */
  async #pullStats(): Promise<NetworkStats | null> {
    if (this.#closed || this.#terminated || !this.#started) return null;
    return this.stats().catch(() => null);
  }

  #post(msg: ToCore, transfer?: ArrayBuffer[]): void {
    if (this.#closed) throw new NetworkClosedError('network closed');
    this.#host.port.post(msg, transfer);
  }

  #call(make: (id: number) => ToCore, transfer?: ArrayBuffer[]): Promise<ReplyValue | undefined> {
    if (this.#closed) return Promise.reject(new NetworkClosedError('network closed'));
    const id = this.#nextId++;
    const p = new Promise<ReplyValue | undefined>((resolve, reject) => this.#calls.set(id, { resolve, reject }));
    this.#post(make(id), transfer);
    return p;
  }

  #fail(err: Error): void {
    this.#log.error({ err: err.message }, 'network core failed');
    this.#ready.reject(err);
    for (const c of this.#calls.values()) c.reject(err);
    this.#calls.clear();
    this.#pubKinds.clear();
    this.#closed = true;
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #onMessage(m: FromCore): void {
    switch (m.t) {
      case 'gossip':
        this.#onGossip(m.buf, m.peers);
        return;
      case 'reply': {
        const c = this.#calls.get(m.id);
        if (!c) return;
        this.#calls.delete(m.id);
        if (m.ok) c.resolve(m.value);
        else c.reject(m.code ? new RequestError(m.code, m.error) : new Error(m.error));
        return;
      }
      case 'published':
        for (const [id, recipients] of readPublished(m.ok)) {
          const c = this.#calls.get(id);
          this.#calls.delete(id);
          const kind = this.#pubKinds.get(id);
          this.#pubKinds.delete(id);
          if (recipients === 0 && kind) this.#metrics?.publishNoRecipients.inc({ kind });
          c?.resolve({ recipients });
        }
        for (const f of m.failed) {
          const c = this.#calls.get(f.id);
          this.#calls.delete(f.id);
          this.#publishFailed(this.#pubKinds.get(f.id), f.error);
          this.#pubKinds.delete(f.id);
          c?.reject(new Error(f.error));
        }
        return;
      case 'peer':
        if (m.event === 'connect') {
          this.#connected.add(m.peer);
          this.emit('peer:connect', { peerId: m.peer, addr: m.addr });
        } else {
          this.#connected.delete(m.peer);
          this.emit('peer:disconnect', { peerId: m.peer });
        }
        return;
      case 'inbound':
        void this.#serve(m.id, m.peer, m.method, m.body);
        return;
      case 'stats':
        this.#lastStats = m.stats;
        this.#metrics?.onStats(m.stats);
        return;
      case 'ready':
        this.#peerId = m.peerId;
        this.#addrs = m.addrs;
        this.#ready.resolve();
        return;
      case 'failed':
        this.#fail(new Error(`network failed to start: ${m.error}`));
        return;
    }
  }

  /** Every publish failure is counted here, and all but "no peers yet" logged at warn: callers only log at debug. */
  #publishFailed(kind: GossipKind | undefined, error: string): void {
    const reason = publishFailureReason(error);
    if (kind) this.#metrics?.publishErrors.inc({ kind, reason });
    if (reason !== 'no-peers') this.#log.warn({ kind, reason, err: error }, 'gossip publish failed');
  }

  #onGossip(buf: Uint8Array, peers: string[]): void {
    const now = performance.now();
    for (const r of readGossipBatch(buf)) {
      const kind = kindFromCode(r.kindCode);
      const sub = kind && this.#subs.get(kind);
      if (!kind || !sub) {
        this.#answer(r.token, 'ignore');
        continue;
      }
      // A copy: a handler keeping the payload must not pin the whole batch buffer.
      const msg: GossipMessage = { kind, from: peers[r.peerIndex]!, msgId: idToHex(r.msgId), data: r.data.slice() };
      if (!sub.queue.push({ token: r.token, msg, arrived: now })) {
        this.#metrics?.queueDropped.inc({ kind });
        this.#metrics?.validation.inc({ kind, result: 'ignore' });
        this.#answer(r.token, 'ignore');
      }
    }
    if (this.#metrics) for (const [kind, s] of this.#subs) this.#metrics.queueLength.set({ kind }, s.queue.length);
  }

  async #validate(kind: GossipKind, job: Job): Promise<void> {
    const sub = this.#subs.get(kind);
    let result: ValidationResult = 'ignore';
    if (sub) {
      try {
        result = await sub.handler(job.msg);
        if (result !== 'accept' && result !== 'reject' && result !== 'ignore') {
          this.#log.warn({ kind, result }, 'gossip handler returned an unknown result; ignoring the message');
          result = 'ignore';
        }
      } catch (err) {
        this.#log.warn({ kind, err: (err as Error).message, from: job.msg.from }, 'gossip handler threw; ignoring the message');
        result = 'ignore';
      }
    }
    this.#metrics?.validation.inc({ kind, result });
    this.#metrics?.validationSeconds.observe({ kind }, (performance.now() - job.arrived) / 1000);
    this.#answer(job.token, result);
  }

  #answer(token: number, result: ValidationResult): void {
    this.#tokens.push(token);
    this.#codes.push(RESULT_CODE[result]);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushResults());
    }
  }

  #flushResults(): void {
    this.#flushScheduled = false;
    if (this.#tokens.length === 0 || this.#closed) return;
    const results = packResults(this.#tokens, this.#codes);
    this.#tokens = [];
    this.#codes = [];
    this.#host.port.post({ t: 'validated', results }, [results.buffer as ArrayBuffer]);
  }

  async #serve(id: number, peer: string, method: ReqMethod, body: Uint8Array): Promise<void> {
    const handler = this.#reqHandlers.get(method);
    let msg: ToCore;
    if (!handler) msg = { t: 'respond', id, ok: false, error: `unsupported method ${method}` };
    else {
      try {
        const items = await handler(peer, body);
        msg = { t: 'respond', id, ok: true, items: packList(items) };
      } catch (err) {
        // The reason goes to the peer: keep it short and free of internals.
        msg = { t: 'respond', id, ok: false, error: (err as Error).message.slice(0, 200) };
      }
    }
    if (this.#closed) return;
    this.#host.port.post(msg, msg.ok ? [msg.items.buffer as ArrayBuffer] : undefined);
  }
}
