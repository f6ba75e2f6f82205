/**
 * Peers refused for a while. gossipsub only stops listening to a peer whose score fell below the
 * graylist threshold; it keeps the connection, and a peer that reconnects starts from a decaying
 * score. The core disconnects such a peer and refuses it here (dials to it and connections from it,
 * through libp2p's connection gater) until the ban expires, so a junk sender costs us a few dozen
 * messages per ban period, not a stream.
 */

export interface Ban {
  until: number;
  reason: string;
}

export class BanList {
  readonly #bans = new Map<string, Ban>();
  readonly #now: () => number;

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Bans `peer` for `ms` (extending a shorter ban); false when it was already banned at least that long. */
  ban(peer: string, ms: number, reason: string): boolean {
    const until = this.#now() + ms;
    const cur = this.#live(peer);
    if (cur && cur.until >= until) return false;
    this.#bans.set(peer, { until, reason });
    return cur === undefined;
  }

  isBanned(peer: string): boolean {
    return this.#live(peer) !== undefined;
  }

  get(peer: string): Ban | undefined {
    return this.#live(peer);
  }

  /** Bans still running (expired ones are dropped). */
  get size(): number {
    const now = this.#now();
    for (const [p, b] of this.#bans) if (b.until <= now) this.#bans.delete(p);
    return this.#bans.size;
  }

  #live(peer: string): Ban | undefined {
    const b = this.#bans.get(peer);
    if (b === undefined) return undefined;
    if (b.until > this.#now()) return b;
    this.#bans.delete(peer);
    return undefined;
  }
}
