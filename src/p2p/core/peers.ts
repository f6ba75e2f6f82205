/**
 * Keeps configured peers connected. Static peers are redialled whenever they drop, forever, with
 * exponential backoff and jitter (a restarting validator comes back on the same address and id);
 * bootstrap peers only while we are below `minPeers` (they are an entry point, not a dependency).
 */
import type { Logger } from 'pino';

export interface PeerKeeperOptions {
  staticPeers: string[];
  bootstrap: string[];
  minPeers: number;
  baseMs: number;
  maxMs: number;
}

export interface PeerKeeperDeps {
  dial(addr: string): Promise<void>;
  connectedCount(): number;
  isConnected(peerId: string): boolean;
  logger: Logger;
}

interface Target {
  addr: string;
  peerId: string;
  isStatic: boolean;
  attempt: number;
  timer: NodeJS.Timeout | null;
  dialling: boolean;
}

/** The peer id in a `/…/p2p/<id>` multiaddr. */
export function peerIdOfAddr(addr: string): string | null {
  const m = /\/p2p\/([^/]+)$/.exec(addr);
  return m ? m[1]! : null;
}

export class PeerKeeper {
  readonly #opts: PeerKeeperOptions;
  readonly #deps: PeerKeeperDeps;
  readonly #targets: Target[] = [];
  #stopped = false;
  /** Redials since start (for tests and metrics). */
  redials = 0;

  constructor(opts: PeerKeeperOptions, deps: PeerKeeperDeps) {
    this.#opts = opts;
    this.#deps = deps;
    for (const [list, isStatic] of [
      [opts.staticPeers, true],
      [opts.bootstrap, false],
    ] as const) {
      for (const addr of list) {
        const peerId = peerIdOfAddr(addr);
        if (peerId === null) throw new Error(`${isStatic ? 'static peer' : 'bootstrap peer'} ${addr}: the address must end in /p2p/<peer id>`);
        this.#targets.push({ addr, peerId, isStatic, attempt: 0, timer: null, dialling: false });
      }
    }
  }

  start(): void {
    for (const t of this.#targets) void this.#dial(t);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#targets) if (t.timer) clearTimeout(t.timer);
  }

  isStatic(peerId: string): boolean {
    return this.#targets.some((t) => t.isStatic && t.peerId === peerId);
  }

  onConnect(peerId: string): void {
    for (const t of this.#targets) {
      if (t.peerId !== peerId) continue;
      t.attempt = 0;
      if (t.timer) clearTimeout(t.timer);
      t.timer = null;
    }
  }

  onDisconnect(peerId: string): void {
    for (const t of this.#targets) if (t.peerId === peerId && this.#wanted(t)) this.#schedule(t);
    // Losing any peer may take us below minPeers: wake idle bootstrap targets.
    if (this.#deps.connectedCount() < this.#opts.minPeers) for (const t of this.#targets) if (!t.isStatic && !t.timer && !t.dialling && !this.#deps.isConnected(t.peerId)) this.#schedule(t);
  }

  #wanted(t: Target): boolean {
    if (this.#stopped || this.#deps.isConnected(t.peerId)) return false;
    return t.isStatic || this.#deps.connectedCount() < this.#opts.minPeers;
  }

  #schedule(t: Target): void {
    if (t.timer || t.dialling || this.#stopped) return;
    const exp = Math.min(this.#opts.maxMs, this.#opts.baseMs * 2 ** Math.min(t.attempt, 20));
    // Jitter in [50%, 100%]: validators restarted together should not redial in lockstep.
    const delay = Math.round(exp * (0.5 + Math.random() * 0.5));
    t.timer = setTimeout(() => {
      t.timer = null;
      this.redials++;
      void this.#dial(t);
    }, delay);
    t.timer.unref();
  }

  async #dial(t: Target): Promise<void> {
    if (!this.#wanted(t) || t.dialling) return;
    t.dialling = true;
    try {
      await this.#deps.dial(t.addr);
      t.attempt = 0;
    } catch (err) {
      t.attempt++;
      this.#deps.logger.debug({ addr: t.addr, attempt: t.attempt, err: (err as Error).message }, 'dial failed, will retry');
    } finally {
      t.dialling = false;
    }
    if (this.#wanted(t)) this.#schedule(t);
  }
}
