/**
 * The network core: a libp2p node (TCP, noise, yamux, identify, gossipsub) plus the glue that
 * turns its events into the plain messages of protocol.ts. It runs inside the network worker
 * (workers/network.ts); tools and the gossip bench also run it on the main thread through the
 * same port interface, so both paths share every line of this file.
 *
 * Gossip intake, per message: envelope check here (malformed → REJECT, never crosses the
 * boundary) → per-kind pending cap (full → IGNORE, so a slow main thread sheds load instead of
 * queueing without bound) → batched to the main thread once per event-loop turn → the main
 * thread's verdict comes back by token and is reported to gossipsub, which forwards (accept),
 * drops (ignore) or drops and penalises the sender (reject).
 *
 * Each reject lowers the sender's gossipsub score (P4, scoring.ts). A peer whose score falls below
 * the graylist threshold is disconnected and banned for `banSeconds` (bans.ts): libp2p's
 * connection gater then refuses its connections and our dials to it until the ban expires.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { identify } from '@libp2p/identify';
import { gossipsub, TopicValidatorResult, type GossipSub, type GossipsubMessage } from '@libp2p/gossipsub';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerId } from '@libp2p/interface';
import type { Logger } from 'pino';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../codec/envelope.ts';
import { GossipBatchWriter, packPublished, readPublishes, readResults, resultName, unpackList, type PublishRecord } from '../codec/wire.ts';
import { idToHex, messageId } from '../msgId.ts';
import type { FromCore, NetworkCoreOptions, Port, ReplyValue, ToCore } from '../protocol.ts';
import type { NetworkStats, PeerInfo } from '../interface.ts';
import { DEFAULT_KIND_LIMITS, GOSSIP_KINDS, KIND_CODE, REQ_METHODS, kindFromCode, topicNames, type GossipKind, type KindLimits, type ReqMethod } from '../topics.ts';
import { APP_PENALTY, APP_PENALTY_DECAY, SCORE_THRESHOLDS, peerScoreParams } from './scoring.ts';
import { PeerKeeper } from './peers.ts';
import { BanList } from './bans.ts';
import { InvalidTally } from './invalid.ts';
import { clientVersion } from '../../rpc/version.ts';
import { ReqResp, ReqRespError } from './reqresp.ts';
import { quietNoise } from './quietNoise.ts';
import { lazyYamux } from './lazyYamux.ts';

/** The implementation's methods we use beyond the exported GossipSub interface. */
interface GossipSubImpl extends GossipSub {
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
  getScore(peerId: string): number;
}

type Services = { identify: unknown; pubsub: GossipSubImpl };

const VERDICT = { accept: TopicValidatorResult.Accept, ignore: TopicValidatorResult.Ignore, reject: TopicValidatorResult.Reject } as const;

interface Pending {
  msgId: string;
  peer: string;
  kind: GossipKind;
  at: number;
}

/** Messages the main thread has not answered within this are released as IGNORE. */
const PENDING_TTL_MS = 30_000;
/** Flush the gossip batch early when it grows past this (a burst of blocks). */
const FLUSH_BYTES = 1024 * 1024;
/** Default ban of a peer that fell below the graylist threshold, seconds. */
export const DEFAULT_BAN_SECONDS = 600;
/** How often connected peers' scores are checked against the graylist threshold (gossipsub caches a score for a heartbeat). */
const SCORE_CHECK_MS = 1000;

function hexToId(hex: string): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function zeroCounts(): Record<string, number> {
  return Object.fromEntries(GOSSIP_KINDS.map((k) => [k, 0]));
}

export class NetworkCore {
  readonly #opts: NetworkCoreOptions;
  readonly #port: Port<FromCore, ToCore>;
  readonly #log: Logger;
  readonly #topics: Record<GossipKind, string>;
  readonly #topicKind = new Map<string, GossipKind>();
  readonly #limits: Record<GossipKind, KindLimits>;
  #node: Libp2p<Services> | null = null;
  #reqresp: ReqResp | null = null;
  #keeper: PeerKeeper | null = null;
  readonly #handled = new Set<GossipKind>();
  readonly #pending = new Map<number, Pending>();
  readonly #pendingByKind: Record<string, number> = zeroCounts();
  #nextToken = 1;
  #batch = new GossipBatchWriter();
  #flushScheduled = false;
  readonly #penalties = new Map<string, { score: number; at: number }>();
  readonly #bans = new BanList();
  /** Messages each connected peer sent that we rejected, by kind (named in the ban log line). */
  readonly #rejectedBy = new Map<string, Record<string, number>>();
  readonly #invalid = new InvalidTally();
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  #early: ToCore[] | null = [];
  #pubOk: number[] = [];
  #pubRecipients: number[] = [];
  #pubFailed: { id: number; error: string }[] = [];
  #pubFlushScheduled = false;
  readonly #stats: NetworkStats = {
    received: zeroCounts(),
    malformed: zeroCounts(),
    droppedQueueFull: zeroCounts(),
    accepted: zeroCounts(),
    rejected: zeroCounts(),
    ignored: zeroCounts(),
    published: zeroCounts(),
    requests: {},
    redials: 0,
    peers: 0,
    banned: {},
    bannedPeers: 0,
  };

  constructor(opts: NetworkCoreOptions, deps: { port: Port<FromCore, ToCore>; logger: Logger }) {
    this.#opts = opts;
    this.#port = deps.port;
    this.#log = deps.logger;
    this.#topics = topicNames(opts.chainId);
    for (const k of GOSSIP_KINDS) this.#topicKind.set(this.#topics[k], k);
    this.#limits = Object.fromEntries(GOSSIP_KINDS.map((k) => [k, { ...DEFAULT_KIND_LIMITS[k], ...opts.kindLimits?.[k] }])) as Record<GossipKind, KindLimits>;
    // Calls may arrive while libp2p is still starting (subscribe right after construction): hold them.
    this.#port.onMessage((m) => (this.#early ? this.#early.push(m) : this.#onMessage(m)));
  }

  get node(): Libp2p<Services> {
    if (!this.#node) throw new Error('network core not started');
    return this.#node;
  }

  async start(): Promise<void> {
    const o = this.#opts;
    const g = o.gossip ?? {};
    const maxData = Math.max(...GOSSIP_KINDS.map((k) => this.#limits[k].maxBytes)) + ENVELOPE_HEADER_BYTES;
    const D = g.D ?? 4;
    const node = await createLibp2p({
      privateKey: privateKeyFromProtobuf(o.privateKey),
      addresses: { listen: o.listen },
      // Identify announces it: peers see our client and version (web3_clientVersion's string), the telemetry's version drift.
      nodeInfo: { userAgent: clientVersion() },
      transports: [tcp()],
      connectionEncrypters: [quietNoise()],
      // Same wire protocols; fewer frames and syscalls per message (quietNoise.ts, lazyYamux.ts).
      streamMuxers: [lazyYamux()],
      // Our own keeper redials static peers; libp2p's keep-alive reconnect would race it.
      connectionManager: { maxConnections: o.maxConnections ?? 64, reconnectRetries: 0, dialTimeout: 5000 },
      connectionMonitor: { enabled: false },
      // Banned peers (see #ban) are refused both ways until their ban expires.
      connectionGater: {
        denyDialPeer: (p: PeerId) => this.#bans.isBanned(p.toString()),
        denyInboundEncryptedConnection: (p: PeerId) => this.#bans.isBanned(p.toString()),
        denyOutboundEncryptedConnection: (p: PeerId) => this.#bans.isBanned(p.toString()),
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          // Small validator networks: a mesh of 4 (3–8) reaches everyone in two hops at 50 nodes
          // and costs less duplicate traffic than the default 6 (4–12) at 4–10 nodes.
          D,
          Dlo: g.Dlo ?? 3,
          Dhi: g.Dhi ?? 8,
          Dout: 1,
          Dscore: 2,
          Dlazy: g.Dlazy ?? 4,
          heartbeatInterval: g.heartbeatIntervalMs ?? 700,
          seenTTL: g.seenTTLms ?? 120_000,
          // Authorship is in the payloads (validator signatures, tx signatures): libp2p-level
          // signatures would add 100+ bytes and an ed25519 verify per message for nothing.
          globalSignaturePolicy: 'StrictNoSign',
          asyncValidation: true,
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          fallbackToFloodsub: false,
          floodPublish: true,
          allowedTopics: Object.values(this.#topics),
          maxInboundDataLength: maxData,
          msgIdFn: (msg) => messageId(msg.topic, msg.data),
          msgIdToStrFn: idToHex,
          scoreParams: peerScoreParams(this.#topics, (p) => this.#appScore(p)),
          scoreThresholds: SCORE_THRESHOLDS,
        }) as unknown as (components: unknown) => GossipSubImpl,
      },
    });
    this.#node = node as unknown as Libp2p<Services>;
    const pubsub = this.#node.services.pubsub;
    pubsub.addEventListener('gossipsub:message', (e: CustomEvent<GossipsubMessage>) => this.#onGossip(e.detail));
    node.addEventListener('peer:connect', (e) => {
      const peer = e.detail.toString();
      // The gater refuses a banned peer; one whose connection was already upgrading when we banned it is cut here.
      if (this.#bans.isBanned(peer)) void node.hangUp(e.detail).catch(() => undefined);
      this.#keeper?.onConnect(peer);
      this.#stats.peers = this.#connectedPeers().size;
      this.#port.post({ t: 'peer', event: 'connect', peer, addr: node.getConnections(e.detail)[0]?.remoteAddr.toString() });
    });
    node.addEventListener('peer:disconnect', (e) => {
      const peer = e.detail.toString();
      this.#stats.peers = this.#connectedPeers().size;
      this.#rejectedBy.delete(peer);
      this.#invalid.delete(peer);
      this.#port.post({ t: 'peer', event: 'disconnect', peer });
      this.#keeper?.onDisconnect(peer);
    });
    this.#reqresp = new ReqResp(o.chainId, o.reqresp, {
      node: this.#node,
      post: (m, tr) => this.#port.post(m, tr),
      logger: this.#log,
      count: (method, dir, result) => {
        const key = `${method}:${dir}:${result}`;
        this.#stats.requests[key] = (this.#stats.requests[key] ?? 0) + 1;
      },
    });
    this.#keeper = new PeerKeeper(
      { staticPeers: o.staticPeers ?? [], bootstrap: o.bootstrap ?? [], minPeers: o.minPeers ?? 3, baseMs: o.reconnect?.baseMs ?? 1000, maxMs: o.reconnect?.maxMs ?? 30_000 },
      {
        dial: async (addr) => {
          await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) });
        },
        connectedCount: () => this.#connectedPeers().size,
        isConnected: (p) => this.#connectedPeers().has(p),
        logger: this.#log,
      },
    );
    this.#keeper.start();
    const statsEvery = o.statsIntervalMs ?? 0;
    if (statsEvery > 0) this.#timers.push(setInterval(() => this.#postStats(), statsEvery));
    this.#timers.push(setInterval(() => this.#sweepPending(), 5000));
    this.#timers.push(setInterval(() => this.#checkScores(), SCORE_CHECK_MS));
    for (const t of this.#timers) t.unref();
    this.#port.post({ t: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) });
    const early = this.#early ?? [];
    this.#early = null;
    for (const m of early) this.#onMessage(m);
    this.#log.info({ peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) }, 'network started');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#keeper?.stop();
    this.#reqresp?.close();
    this.#flush();
    this.#flushPublished();
    await this.#node?.stop();
  }

  #connectedPeers(): Set<string> {
    const out = new Set<string>();
    for (const c of this.#node?.getConnections() ?? []) if (c.status === 'open') out.add(c.remotePeer.toString());
    return out;
  }

  #appScore(peer: string): number {
    const p = this.#penalties.get(peer);
    if (!p) return 0;
    const v = p.score * APP_PENALTY_DECAY ** ((Date.now() - p.at) / 1000);
    if (v > -1) {
      this.#penalties.delete(peer);
      return 0;
    }
    return v;
  }

  #onGossip(ev: GossipsubMessage): void {
    const pubsub = this.node.services.pubsub;
    const peer = ev.propagationSource.toString();
    const kind = this.#topicKind.get(ev.msg.topic);
    if (kind === undefined) {
      pubsub.reportMessageValidationResult(ev.msgId, peer, VERDICT.reject);
      return;
    }
    this.#stats.received[kind]!++;
    const env = decodeEnvelope(ev.msg.data, kind, this.#limits[kind].maxBytes);
    if (!env.ok) {
      this.#stats.malformed[kind]!++;
      this.#stats.rejected[kind]!++;
      this.#log.debug({ peer, kind, err: env.error.message }, 'malformed gossip rejected');
      pubsub.reportMessageValidationResult(ev.msgId, peer, VERDICT.reject);
      this.#onRejected(peer, kind);
      return;
    }
    if (!this.#handled.has(kind) || this.#pendingByKind[kind]! >= this.#limits[kind].maxPending) {
      if (this.#handled.has(kind)) this.#stats.droppedQueueFull[kind]!++;
      this.#stats.ignored[kind]!++;
      pubsub.reportMessageValidationResult(ev.msgId, peer, VERDICT.ignore);
      return;
    }
    const token = this.#nextToken;
    this.#nextToken = (this.#nextToken + 1) >>> 0 || 1;
    this.#pending.set(token, { msgId: ev.msgId, peer, kind, at: Date.now() });
    this.#pendingByKind[kind]!++;
    this.#batch.add(token, KIND_CODE[kind], peer, hexToId(ev.msgId), env.value.payload);
    if (this.#batch.bytes >= FLUSH_BYTES) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#batch.size === 0) return;
    const { buf, peers } = this.#batch.flush();
    this.#port.post({ t: 'gossip', buf, peers }, [buf.buffer as ArrayBuffer]);
  }

  #settle(token: number, result: 'accept' | 'ignore' | 'reject'): void {
    const p = this.#pending.get(token);
    if (!p) return;
    this.#pending.delete(token);
    this.#pendingByKind[p.kind]!--;
    const stat = result === 'accept' ? this.#stats.accepted : result === 'reject' ? this.#stats.rejected : this.#stats.ignored;
    stat[p.kind]!++;
    if (this.#stopped) return;
    this.node.services.pubsub.reportMessageValidationResult(p.msgId, p.peer, VERDICT[result]);
    if (result === 'reject') this.#onRejected(p.peer, p.kind);
  }

  #onRejected(peer: string, kind: GossipKind): void {
    // Verdicts still arrive for a peer already gone: nothing to keep for it (gossipsub keeps its score).
    if (!this.#connectedPeers().has(peer)) return;
    const counts = this.#rejectedBy.get(peer) ?? {};
    counts[kind] = (counts[kind] ?? 0) + 1;
    this.#rejectedBy.set(peer, counts);
    // gossipsub's own score lags by up to a heartbeat (it is cached): our copy of its P4 term does not.
    const p4 = this.#invalid.add(peer, kind);
    if (p4 < SCORE_THRESHOLDS.graylistThreshold) this.#ban(peer, p4);
    else this.#checkScore(peer);
  }

  /** Every connected peer against the graylist threshold (scores also fall through penalize()). */
  #checkScores(): void {
    if (this.#stopped) return;
    for (const peer of this.#connectedPeers()) this.#checkScore(peer);
  }

  #checkScore(peer: string): void {
    const score = this.node.services.pubsub.getScore(peer);
    if (score < SCORE_THRESHOLDS.graylistThreshold) this.#ban(peer, score);
  }

  /** Disconnects `peer` and, with banSeconds > 0, refuses it until the ban expires. */
  #ban(peer: string, score: number): void {
    const seconds = this.#opts.banSeconds ?? DEFAULT_BAN_SECONDS;
    const reason = 'gossip-score';
    const conns = this.node.getConnections().filter((c) => c.remotePeer.toString() === peer);
    const fresh = seconds > 0 ? this.#bans.ban(peer, seconds * 1000, reason) : conns.length > 0;
    if (!fresh && conns.length === 0) return;
    if (fresh) {
      this.#stats.banned[reason] = (this.#stats.banned[reason] ?? 0) + 1;
      this.#stats.bannedPeers = this.#bans.size;
      this.#log.warn(
        { peer, reason, score: Math.round(score), graylistThreshold: SCORE_THRESHOLDS.graylistThreshold, rejected: this.#rejectedBy.get(peer) ?? {}, banSeconds: seconds },
        'peer banned: its gossip score fell below the graylist threshold (invalid messages); disconnected and refused until the ban expires',
      );
    }
    const remote = conns[0]?.remotePeer;
    if (remote) void this.node.hangUp(remote).catch((err: unknown) => this.#log.debug({ peer, err: (err as Error).message }, 'hang-up of a banned peer failed'));
  }

  #sweepPending(): void {
    const cutoff = Date.now() - PENDING_TTL_MS;
    for (const [token, p] of this.#pending) if (p.at < cutoff) this.#settle(token, 'ignore');
  }

  #postStats(): void {
    this.#stats.redials = this.#keeper?.redials ?? 0;
    this.#stats.bannedPeers = this.#bans.size;
    this.#port.post({ t: 'stats', stats: structuredClone(this.#stats) });
  }

  #reply<V extends ReplyValue | undefined>(id: number, p: Promise<V>, transfer?: (v: V) => ArrayBuffer[]): void {
    p.then(
      (value) => this.#port.post(value === undefined ? { t: 'reply', id, ok: true } : { t: 'reply', id, ok: true, value }, transfer?.(value)),
      (err: unknown) => this.#port.post({ t: 'reply', id, ok: false, error: (err as Error).message ?? String(err), code: err instanceof ReqRespError ? err.code : undefined }),
    );
  }

  #publishOne(r: PublishRecord): void {
    const kind = kindFromCode(r.kindCode);
    const done = (ok: boolean, value: number | string) => {
      if (ok) {
        this.#pubOk.push(r.id);
        this.#pubRecipients.push(value as number);
      } else this.#pubFailed.push({ id: r.id, error: value as string });
      if (!this.#pubFlushScheduled) {
        this.#pubFlushScheduled = true;
        setImmediate(() => this.#flushPublished());
      }
    };
    if (kind === undefined) return done(false, `publish: unknown kind code ${r.kindCode}`);
    const limit = this.#limits[kind].maxBytes;
    if (r.data.length > limit) return done(false, `publish ${kind}: ${r.data.length} bytes exceeds the ${limit}-byte limit`);
    // gossipsub keeps the data (message cache): copy out of the shared batch buffer.
    const data = r.raw ? r.data.slice() : encodeEnvelope(kind, r.data);
    this.node.services.pubsub.publish(this.#topics[kind], data).then(
      (res) => {
        this.#stats.published[kind]!++;
        done(true, res.recipients.length);
      },
      (err: unknown) => done(false, `publish ${kind}: ${(err as Error).message}`),
    );
  }

  #flushPublished(): void {
    this.#pubFlushScheduled = false;
    if (this.#pubOk.length === 0 && this.#pubFailed.length === 0) return;
    const ok = packPublished(this.#pubOk, this.#pubRecipients);
    const failed = this.#pubFailed;
    this.#pubOk = [];
    this.#pubRecipients = [];
    this.#pubFailed = [];
    this.#port.post({ t: 'published', ok, failed }, [ok.buffer as ArrayBuffer]);
  }

  async #peers(): Promise<PeerInfo[]> {
    const node = this.node;
    const byPeer = new Map<string, PeerInfo>();
    const ids = new Map<string, PeerId>();
    for (const c of node.getConnections()) {
      const id = c.remotePeer.toString();
      const info = byPeer.get(id) ?? { peerId: id, addrs: [], score: node.services.pubsub.getScore(id), direction: c.direction };
      info.addrs.push(c.remoteAddr.toString());
      byPeer.set(id, info);
      ids.set(id, c.remotePeer);
    }
    // What each peer announced through identify (its client and version), once identify has run.
    await Promise.all(
      [...byPeer.values()].map(async (info) => {
        const agent = await node.peerStore
          .get(ids.get(info.peerId)!)
          .then((p) => p.metadata.get('AgentVersion'))
          .catch(() => undefined);
        if (agent) info.agentVersion = new TextDecoder().decode(agent);
      }),
    );
    return [...byPeer.values()];
  }

  #onMessage(m: ToCore): void {
    try {
      switch (m.t) {
        case 'validated':
          for (const [token, code] of readResults(m.results)) this.#settle(token, resultName(code) ?? 'ignore');
          return;
        case 'publish':
          for (const r of readPublishes(m.buf)) this.#publishOne(r);
          return;
        case 'subscribe':
          this.#handled.add(m.kind);
          this.node.services.pubsub.subscribe(this.#topics[m.kind]);
          return;
        case 'unsubscribe':
          this.#handled.delete(m.kind);
          this.node.services.pubsub.unsubscribe(this.#topics[m.kind]);
          return;
        case 'handle':
          if (!(REQ_METHODS as readonly ReqMethod[]).includes(m.method)) throw new Error(`unknown request method ${m.method}`);
          void this.#reqresp!.register(m.method).catch((err: unknown) => this.#log.error({ err, method: m.method }, 'could not register request handler'));
          return;
        case 'request':
          this.#reply(
            m.id,
            this.#reqresp!.request(m.peer, m.method, m.body, m.timeoutMs).then((items) => ({ items })),
            (v) => [v.items.buffer as ArrayBuffer],
          );
          return;
        case 'respond':
          this.#reqresp!.onRespond(m.id, m.ok ? { ok: true, items: unpackList(m.items) } : { ok: false, error: m.error });
          return;
        case 'penalize': {
          const cur = this.#appScore(m.peer);
          this.#penalties.set(m.peer, { score: cur + APP_PENALTY, at: Date.now() });
          this.#log.info({ peer: m.peer, reason: m.reason }, 'peer penalised');
          return;
        }
        case 'dial':
          this.#reply(
            m.id,
            this.node.dial(multiaddr(m.addr), { signal: AbortSignal.timeout(5000) }).then(() => undefined),
          );
          return;
        case 'peers':
          this.#reply(
            m.id,
            this.#peers().then((peers) => ({ peers })),
          );
          return;
        case 'stats':
          this.#stats.redials = this.#keeper?.redials ?? 0;
          this.#stats.bannedPeers = this.#bans.size;
          this.#reply(m.id, Promise.resolve({ stats: structuredClone(this.#stats) }));
          return;
        case 'stop':
          this.#reply(
            m.id,
            this.stop().then(() => undefined),
          );
          return;
      }
    } catch (err) {
      const id = 'id' in m ? m.id : undefined;
      if (id !== undefined) this.#port.post({ t: 'reply', id, ok: false, error: (err as Error).message });
      else this.#log.error({ err, t: m.t }, 'network core: bad message from the main thread');
    }
  }
}
