/**
 * What consensus (Delivery) and Bttc see of the network. The libp2p node itself runs in a worker
 * thread (or, for tools and benches, on the calling thread): only plain data crosses, and every
 * call here is answered asynchronously. Payloads are opaque bytes to the network; each kind's
 * owner encodes and decodes its own payloads (see codec/ for the ones the network defines).
 */
import type { EventEmitter } from 'node:events';
import type { GossipKind, ReqMethod } from './topics.ts';

export type { GossipKind, ReqMethod } from './topics.ts';

/** gossipsub's three answers: accept (deliver + forward), ignore (drop quietly), reject (drop + penalise sender). */
export type ValidationResult = 'accept' | 'reject' | 'ignore';

export interface GossipMessage {
  kind: GossipKind;
  /** Peer id (base58) of the peer that forwarded it to us, not necessarily its author. */
  from: string;
  /** Hex of the 8-byte message id (a fast hash over topic + data), stable across nodes. */
  msgId: string;
  /** The payload as published (the network's envelope removed). */
  data: Uint8Array;
}

/**
 * Validates and consumes one message. Answer 'reject' only for messages that are invalid whoever
 * sends them (bad signature, malformed payload): it lowers the forwarder's score. Use 'ignore' for
 * messages that are merely useless to us now (old height, duplicate, unknown parent yet). A handler
 * that throws counts as 'ignore' (our bug, not the peer's fault).
 */
export type GossipHandler = (msg: GossipMessage) => ValidationResult | Promise<ValidationResult>;

export interface SubscribeOptions {
  /** Messages of this kind waiting for or in validation on the main thread; beyond it new ones are ignored. */
  maxQueue?: number;
  /** Validations of this kind run at once. */
  concurrency?: number;
  /** Returns false when downstream (the verify pool) is saturated: new messages are then ignored. */
  canAccept?: () => boolean;
}

export interface PublishResult {
  /** Peers the message was sent to (0 is fine for a lone node: nothing is thrown). */
  recipients: number;
}

export interface PeerInfo {
  peerId: string;
  addrs: string[];
  /** gossipsub score as this node sees the peer. */
  score: number;
  direction: 'inbound' | 'outbound';
  /** The client and version the peer announced through libp2p identify (absent until identify ran). */
  agentVersion?: string;
}

export interface PeerEvent {
  peerId: string;
  addr?: string;
}

/** Served requests: `body` is the request as the client sent it; answer with the response items in order. */
export type RequestHandler = (peerId: string, body: Uint8Array) => Promise<Uint8Array[]>;

export interface RequestOptions {
  /** Whole request, dial to last frame (default: the network's requestTimeoutMs). */
  timeoutMs?: number;
}

export class RequestError extends Error {
  override name = 'RequestError';
  /** 'timeout' | 'dial' | 'remote' (the peer answered with an error) | 'limit' | 'protocol' | 'closed' */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface NetworkStats {
  /** Counters since start, by kind. */
  received: Record<string, number>;
  malformed: Record<string, number>;
  droppedQueueFull: Record<string, number>;
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  ignored: Record<string, number>;
  published: Record<string, number>;
  /** Request/response outcomes keyed `method:in|out:result` (result: ok, error, timeout, dial, limit, …). */
  requests: Record<string, number>;
  /** Static/bootstrap redials since start. */
  redials: number;
  peers: number;
  /** Peers banned since start, by reason (see p2p.banSeconds). */
  banned: Record<string, number>;
  /** Bans running now. */
  bannedPeers: number;
}

export interface NetworkEvents {
  'peer:connect': [PeerEvent];
  'peer:disconnect': [PeerEvent];
  /** The worker died or the node failed after start; the network is unusable. */
  error: [Error];
}

export interface Network extends EventEmitter<NetworkEvents> {
  /** This node's peer id (base58); valid after start(). */
  readonly peerId: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Addresses others dial (with /p2p/<id>), valid after start(). */
  listenAddrs(): string[];

  /** Join the topic of `kind`; `handler` validates and consumes every message of it. One handler per kind. */
  subscribe(kind: GossipKind, handler: GossipHandler, opts?: SubscribeOptions): void;
  unsubscribe(kind: GossipKind): void;
  publish(kind: GossipKind, data: Uint8Array): Promise<PublishResult>;

  /** Serve a request method; one handler per method. */
  handleRequest(method: ReqMethod, handler: RequestHandler): void;
  /** Ask `peerId`; resolves with the response items or throws RequestError. */
  request(peerId: string, method: ReqMethod, body: Uint8Array, opts?: RequestOptions): Promise<Uint8Array[]>;

  /** Lower a peer's score for misbehaviour outside gossip validation (a lying sync peer). */
  penalize(peerId: string, reason: string): void;
  dial(addr: string): Promise<void>;
  peers(): Promise<PeerInfo[]>;
  /** Connected peer ids, as last reported by the network (no round trip). */
  connectedPeers(): string[];
  stats(): Promise<NetworkStats>;
}
