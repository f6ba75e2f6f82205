/**
 * An in-memory `Network` for other modules' tests (consensus, Bttc): no sockets, no libp2p, no
 * worker; every node on a hub sees every other connected node, messages are delivered in their
 * own macrotask with the same semantics as the real network (one handler per kind, dedup by
 * message id, the publisher does not receive its own message, rejects lower the sender's score).
 * `isolate`/`reconnect` simulate a validator going down. The network's own tests use real nodes.
 */
import { EventEmitter } from 'node:events';
import { messageId, idToHex } from './msgId.ts';
import { RequestError, type GossipHandler, type Network, type NetworkEvents, type NetworkStats, type PeerInfo, type PublishResult, type RequestHandler, type RequestOptions } from './interface.ts';
import { GOSSIP_KINDS, isGossipKind, topicName, type GossipKind, type ReqMethod } from './topics.ts';
import { INVALID_MESSAGE_WEIGHT } from './core/scoring.ts';

const zero = () => Object.fromEntries(GOSSIP_KINDS.map((k) => [k, 0]));

export class MemoryHub {
  readonly nodes = new Map<string, MemoryNetwork>();
  readonly #isolated = new Set<string>();
  #next = 1;

  /** A new node on this hub (not started). */
  node(name?: string): MemoryNetwork {
    const id = name ?? `mem-${this.#next++}`;
    if (this.nodes.has(id)) throw new Error(`memory hub: node ${id} exists`);
    const n = new MemoryNetwork(id, this);
    this.nodes.set(id, n);
    return n;
  }

  connected(a: string, b: string): boolean {
    const na = this.nodes.get(a);
    const nb = this.nodes.get(b);
    return a !== b && !!na?.started && !!nb?.started && !this.#isolated.has(a) && !this.#isolated.has(b);
  }

  /** Cuts `peerId` off from everyone (as if its process died); peers see a disconnect. */
  isolate(peerId: string): void {
    const peers = this.#peersOf(peerId);
    this.#isolated.add(peerId);
    for (const p of peers) {
      this.nodes.get(p)?.emit('peer:disconnect', { peerId });
      this.nodes.get(peerId)?.emit('peer:disconnect', { peerId: p });
    }
  }

  reconnect(peerId: string): void {
    this.#isolated.delete(peerId);
    this.announce(peerId);
  }

  announce(peerId: string): void {
    for (const p of this.#peersOf(peerId)) {
      this.nodes.get(p)?.emit('peer:connect', { peerId });
      this.nodes.get(peerId)?.emit('peer:connect', { peerId: p });
    }
  }

  #peersOf(peerId: string): string[] {
    return [...this.nodes.keys()].filter((p) => this.connected(peerId, p));
  }

  peersOf(peerId: string): string[] {
    return this.#peersOf(peerId);
  }
}

export class MemoryNetwork extends EventEmitter<NetworkEvents> implements Network {
  readonly peerId: string;
  readonly #hub: MemoryHub;
  started = false;
  readonly #subs = new Map<GossipKind, GossipHandler>();
  readonly #handlers = new Map<ReqMethod, RequestHandler>();
  readonly #seen = new Set<string>();
  readonly #scores = new Map<string, number>();
  readonly #stats: NetworkStats = {
    received: zero(),
    malformed: zero(),
    droppedQueueFull: zero(),
    accepted: zero(),
    rejected: zero(),
    ignored: zero(),
    published: zero(),
    requests: {},
    redials: 0,
    peers: 0,
    banned: {},
    bannedPeers: 0,
  };

  constructor(peerId: string, hub: MemoryHub) {
    super();
    this.peerId = peerId;
    this.#hub = hub;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.#hub.announce(this.peerId);
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.#hub.isolate(this.peerId);
    this.started = false;
    this.#hub.reconnect(this.peerId);
  }

  listenAddrs(): string[] {
    return [`/memory/${this.peerId}`];
  }

  subscribe(kind: GossipKind, handler: GossipHandler): void {
    if (!isGossipKind(kind)) throw new TypeError(`subscribe: unknown gossip kind ${String(kind)}`);
    if (this.#subs.has(kind)) throw new Error(`subscribe: ${kind} already has a handler`);
    this.#subs.set(kind, handler);
  }

  unsubscribe(kind: GossipKind): void {
    this.#subs.delete(kind);
  }

  async publish(kind: GossipKind, data: Uint8Array): Promise<PublishResult> {
    if (!this.started) throw new Error('memory network: not started');
    const id = idToHex(messageId(topicName('memory', kind), data));
    this.#seen.add(id);
    this.#stats.published[kind]!++;
    let recipients = 0;
    for (const p of this.#hub.peersOf(this.peerId)) {
      const n = this.#hub.nodes.get(p)!;
      recipients++;
      const copy = data.slice();
      setImmediate(() => void n.deliver(kind, id, this.peerId, copy));
    }
    return { recipients };
  }

  /** @internal called by the hub's peers. */
  async deliver(kind: GossipKind, msgId: string, from: string, data: Uint8Array): Promise<void> {
    if (!this.started || !this.#hub.connected(this.peerId, from) || this.#seen.has(msgId)) return;
    this.#seen.add(msgId);
    this.#stats.received[kind]!++;
    const h = this.#subs.get(kind);
    if (!h) return;
    let r;
    try {
      r = await h({ kind, from, msgId, data });
    } catch {
      r = 'ignore' as const;
    }
    (r === 'accept' ? this.#stats.accepted : r === 'reject' ? this.#stats.rejected : this.#stats.ignored)[kind]!++;
    if (r === 'reject') this.#scores.set(from, (this.#scores.get(from) ?? 0) + INVALID_MESSAGE_WEIGHT);
  }

  handleRequest(method: ReqMethod, handler: RequestHandler): void {
    if (this.#handlers.has(method)) throw new Error(`handleRequest: ${method} already has a handler`);
    this.#handlers.set(method, handler);
  }

  async request(peerId: string, method: ReqMethod, body: Uint8Array, _opts?: RequestOptions): Promise<Uint8Array[]> {
    if (!this.#hub.connected(this.peerId, peerId)) throw new RequestError('dial', `${method} to ${peerId}: not connected`);
    const h = this.#hub.nodes.get(peerId)!.#handlers.get(method);
    if (!h) throw new RequestError('protocol', `${method} to ${peerId}: protocol not supported`);
    await new Promise((r) => setImmediate(r));
    try {
      return (await h(this.peerId, body.slice())).map((x) => x.slice());
    } catch (err) {
      throw new RequestError('remote', `${method} from ${peerId}: peer answered '${(err as Error).message}'`);
    }
  }

  penalize(peerId: string): void {
    this.#scores.set(peerId, (this.#scores.get(peerId) ?? 0) - 500);
  }

  async dial(): Promise<void> {}

  async peers(): Promise<PeerInfo[]> {
    return this.#hub.peersOf(this.peerId).map((p) => ({ peerId: p, addrs: [`/memory/${p}`], score: this.#scores.get(p) ?? 0, direction: 'outbound' as const }));
  }

  connectedPeers(): string[] {
    return this.#hub.peersOf(this.peerId);
  }

  async stats(): Promise<NetworkStats> {
    return { ...structuredClone(this.#stats), peers: this.connectedPeers().length };
  }
}
