/**
 * Our own running copy of each peer's P4 (invalid message deliveries) score term. gossipsub computes
 * a peer's score at most once per heartbeat and caches it, so a peer streaming junk at a hundred
 * messages a second would get ~70 more through before a cached score shows the damage; this tally
 * follows every reject at once, with the same weights and decay as scoring.ts, so the ban comes
 * after the few dozen messages the weights intend.
 */
import type { GossipKind } from '../topics.ts';
import { topicScoreParams } from './scoring.ts';

interface Count {
  n: number;
  at: number;
}

export class InvalidTally {
  readonly #peers = new Map<string, Map<GossipKind, Count>>();
  readonly #now: () => number;

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Records one invalid message; returns the peer's P4 term now (≤ 0). */
  add(peer: string, kind: GossipKind): number {
    let m = this.#peers.get(peer);
    if (!m) this.#peers.set(peer, (m = new Map()));
    const c = this.#decayed(kind, m.get(kind));
    m.set(kind, { n: c + 1, at: this.#now() });
    return this.penalty(peer);
  }

  /** Σ over topics of weight × count² × topicWeight, counts decayed to now. */
  penalty(peer: string): number {
    let p = 0;
    for (const [kind, c] of this.#peers.get(peer) ?? []) {
      const t = topicScoreParams(kind);
      const n = this.#decayed(kind, c);
      p += t.invalidMessageDeliveriesWeight! * n * n * t.topicWeight!;
    }
    return p;
  }

  delete(peer: string): void {
    this.#peers.delete(peer);
  }

  #decayed(kind: GossipKind, c: Count | undefined): number {
    if (!c) return 0;
    return c.n * topicScoreParams(kind).invalidMessageDeliveriesDecay! ** ((this.#now() - c.at) / 1000);
  }
}
