/** prom-client metrics of the network, updated on the main thread (worker counters arrive as stats snapshots). */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram, SECONDS_BUCKETS, type Counter, type Gauge, type Histogram } from '../observability/metrics.ts';
import type { NetworkStats } from './interface.ts';

/** Every network client's pull on one registry (clients may share one: tests, benches). */
const PULLS = new WeakMap<Registry, Set<() => Promise<void>>>();
function pullsOf(reg: Registry): Set<() => Promise<void>> {
  let s = PULLS.get(reg);
  if (!s) PULLS.set(reg, (s = new Set()));
  return s;
}

export class NetworkMetrics {
  readonly validation: Counter<string>;
  readonly validationSeconds: Histogram<string>;
  readonly queueDropped: Counter<string>;
  readonly queueLength: Gauge<string>;
  readonly received: Counter<string>;
  readonly malformed: Counter<string>;
  readonly workerDropped: Counter<string>;
  readonly published: Counter<string>;
  readonly requests: Counter<string>;
  readonly peers: Gauge<string>;
  readonly redials: Counter<string>;
  readonly banned: Counter<string>;
  readonly bannedPeers: Gauge<string>;
  readonly publishErrors: Counter<string>;
  readonly publishNoRecipients: Counter<string>;
  #last: NetworkStats | null = null;
  readonly #reg: Registry;
  readonly #pull: (() => Promise<NetworkStats | null>) | undefined;
  #inflight: Promise<void> | null = null;

  /**
   * `pull` asks the network worker for its counters: called when the registry is scraped (every
   * worker-fed metric's prom-client `collect`, one round trip per scrape), instead of the worker
   * posting them every second whether or not anyone reads them.
   */
  constructor(reg: Registry, pull?: () => Promise<NetworkStats | null>) {
    this.#reg = reg;
    this.#pull = pull;
    this.validation = counter(reg, 'bttc_p2p_gossip_validation_total', 'Gossip messages by validation result on the main thread', ['kind', 'result']);
    this.validationSeconds = histogram(reg, 'bttc_p2p_gossip_validation_seconds', 'Time from arrival on the main thread to a validation result', SECONDS_BUCKETS, ['kind']);
    this.queueDropped = counter(reg, 'bttc_p2p_gossip_queue_dropped_total', 'Gossip messages ignored because the main-thread queue was full or downstream saturated', ['kind']);
    this.queueLength = gauge(reg, 'bttc_p2p_gossip_queue_length', 'Gossip messages waiting or in validation on the main thread', ['kind']);
    this.received = counter(reg, 'bttc_p2p_gossip_received_total', 'Gossip messages received by the network worker', ['kind']);
    this.malformed = counter(reg, 'bttc_p2p_gossip_malformed_total', 'Gossip messages with a malformed envelope, rejected in the worker', ['kind']);
    this.workerDropped = counter(reg, 'bttc_p2p_gossip_worker_dropped_total', 'Gossip messages ignored in the worker because too many were pending on the main thread', ['kind']);
    this.published = counter(reg, 'bttc_p2p_gossip_published_total', 'Gossip messages published by this node', ['kind']);
    this.requests = counter(reg, 'bttc_p2p_requests_total', 'Request/response exchanges by method, direction and result', ['method', 'direction', 'result']);
    this.peers = gauge(reg, 'bttc_p2p_peers', 'Connected peers');
    this.redials = counter(reg, 'bttc_p2p_redials_total', 'Redials of static and bootstrap peers');
    this.banned = counter(
      reg,
      'bttc_p2p_peers_banned_total',
      'Peers disconnected and refused for p2p.banSeconds, by reason (gossip-score: junk messages took the score below the graylist threshold)',
      ['reason'],
    );
    this.bannedPeers = gauge(reg, 'bttc_p2p_banned_peers', 'Peers banned right now');
    this.publishErrors = counter(reg, 'bttc_p2p_publish_errors_total', 'Publishes that failed, by kind and reason', ['kind', 'reason']);
    this.publishNoRecipients = counter(reg, 'bttc_p2p_publish_no_recipients_total', 'Publishes that reached no peer (none connected or subscribed yet, or a duplicate of a recent publish)', ['kind']);
    if (pull) {
      const pulls = pullsOf(reg);
      pulls.add(this.#refresh);
      const collect = () => Promise.all([...pulls].map((r) => r())).then(() => undefined);
      for (const m of [this.received, this.malformed, this.workerDropped, this.published, this.requests, this.peers, this.redials, this.banned, this.bannedPeers]) {
        (m as unknown as { collect?: () => Promise<void> }).collect = collect;
      }
    }
  }

  /** One pull per scrape however many of the worker-fed metrics it reads. */
  readonly #refresh = (): Promise<void> => {
    this.#inflight ??= (this.#pull?.() ?? Promise.resolve(null))
      .then((s) => {
        if (s) this.onStats(s);
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  };

  /** Stops pulling (the network closed); the metrics keep their last values. */
  detach(): void {
    pullsOf(this.#reg).delete(this.#refresh);
  }

  /** Turns a cumulative worker snapshot into counter increments. */
  onStats(s: NetworkStats): void {
    const prev = this.#last;
    const inc = (c: Counter<string>, cur: Record<string, number>, old: Record<string, number> | undefined, label: (k: string) => Record<string, string>) => {
      for (const [k, v] of Object.entries(cur)) {
        const d = v - (old?.[k] ?? 0);
        if (d > 0) c.inc(label(k), d);
      }
    };
    inc(this.received, s.received, prev?.received, (kind) => ({ kind }));
    inc(this.malformed, s.malformed, prev?.malformed, (kind) => ({ kind }));
    inc(this.workerDropped, s.droppedQueueFull, prev?.droppedQueueFull, (kind) => ({ kind }));
    inc(this.published, s.published, prev?.published, (kind) => ({ kind }));
    inc(this.requests, s.requests, prev?.requests, (key) => {
      const [method = '', direction = '', result = ''] = key.split(':');
      return { method, direction, result };
    });
    inc(this.banned, s.banned, prev?.banned, (reason) => ({ reason }));
    this.bannedPeers.set(s.bannedPeers);
    const dr = s.redials - (prev?.redials ?? 0);
    if (dr > 0) this.redials.inc(dr);
    this.peers.set(s.peers);
    this.#last = s;
  }
}
