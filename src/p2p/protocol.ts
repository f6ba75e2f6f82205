/**
 * What crosses between the main thread (NetworkClient) and the network core (in the worker, or on
 * the same thread for tools): plain objects, byte strings packed into one buffer per message
 * (codec/wire.ts). `id` pairs a call with its `reply`.
 */
import type { GossipKind, ReqMethod } from './topics.ts';
import type { NetworkStats, PeerInfo } from './interface.ts';
import type { KindLimits } from './topics.ts';

/** Options of the libp2p node; everything needed to build it travels in workerData. */
export interface NetworkCoreOptions {
  /** Carried in topic and protocol names. */
  chainId: number | string;
  /** libp2p private key, protobuf-encoded (identity.ts); the peer id follows from it. */
  privateKey: Uint8Array;
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/30303`. */
  listen: string[];
  /** Always kept connected: redialled with backoff whenever they drop. Must include `/p2p/<id>`. */
  staticPeers?: string[];
  /** Dialled at start and redialled with backoff while we have fewer than `minPeers` connections. */
  bootstrap?: string[];
  minPeers?: number;
  maxConnections?: number;
  reconnect?: { baseMs?: number; maxMs?: number };
  kindLimits?: Partial<Record<GossipKind, Partial<KindLimits>>>;
  gossip?: GossipTuning;
  reqresp?: ReqRespLimits;
  /**
   * How often counters are pushed to the main thread; 0 (the default) never: the main thread's
   * metrics ask for them when scraped, so an idle node wakes nobody for counters nobody reads.
   */
  statsIntervalMs?: number;
  /**
   * A peer whose gossip score falls below the graylist threshold (junk it sent us) is disconnected
   * and refused this long, seconds (default 600; 0 only disconnects it).
   */
  banSeconds?: number;
  logLevel?: string;
}

export interface GossipTuning {
  /** Mesh degree: target, low and high water marks, gossip-only peers. */
  D?: number;
  Dlo?: number;
  Dhi?: number;
  Dlazy?: number;
  heartbeatIntervalMs?: number;
  /** How long a message id stays in the seen cache. */
  seenTTLms?: number;
}

export interface ReqRespLimits {
  /** Items in one response (a server answers fewer, a client rejects more). */
  maxItems?: number;
  /** One frame (one block), bytes. */
  maxFrameBytes?: number;
  /** A whole response, bytes. */
  maxResponseBytes?: number;
  /** Client: dial to last frame. */
  requestTimeoutMs?: number;
  /** Server: the main thread must answer an inbound request within this. */
  serverTimeoutMs?: number;
  /** Inbound requests being served at once (further ones get a 'busy' error). */
  maxInbound?: number;
}

export type ToCore =
  /** Publishes of one event-loop turn (codec/wire.ts packPublishes); answered by 'published'. */
  | { t: 'publish'; buf: Uint8Array }
  | { t: 'subscribe'; kind: GossipKind }
  | { t: 'unsubscribe'; kind: GossipKind }
  | { t: 'validated'; results: Uint8Array }
  | { t: 'handle'; method: ReqMethod }
  | { t: 'request'; id: number; peer: string; method: ReqMethod; body: Uint8Array; timeoutMs?: number }
  | { t: 'respond'; id: number; ok: true; items: Uint8Array }
  | { t: 'respond'; id: number; ok: false; error: string }
  | { t: 'penalize'; peer: string; reason: string }
  | { t: 'dial'; id: number; addr: string }
  | { t: 'peers'; id: number }
  | { t: 'stats'; id: number }
  | { t: 'stop'; id: number };

export type FromCore =
  | { t: 'ready'; peerId: string; addrs: string[] }
  | { t: 'failed'; error: string }
  | { t: 'gossip'; buf: Uint8Array; peers: string[] }
  | { t: 'peer'; event: 'connect' | 'disconnect'; peer: string; addr?: string }
  | { t: 'inbound'; id: number; peer: string; method: ReqMethod; body: Uint8Array }
  | { t: 'reply'; id: number; ok: true; value?: ReplyValue }
  | { t: 'reply'; id: number; ok: false; error: string; code?: string }
  | { t: 'stats'; stats: NetworkStats }
  /** Publish outcomes of one turn: successes packed (packPublished), failures with their reason. */
  | { t: 'published'; ok: Uint8Array; failed: { id: number; error: string }[] };

export type ReplyValue = { recipients: number } | { items: Uint8Array } | { peers: PeerInfo[] } | { stats: NetworkStats };

/** One end of the channel, as each side sees it. */
export interface Port<Out, In> {
  post(msg: Out, transfer?: ArrayBuffer[]): void;
  onMessage(cb: (msg: In) => void): void;
}
