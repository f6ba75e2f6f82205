/**
 * Time for the scheduler, behind an interface so a simulation can run many sprints in milliseconds
 * with a deterministic order of events.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` at `atMs` (or at once, asynchronously, if that has passed); returns a cancel function. */
  at(atMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs, fn) {
    const t = setTimeout(fn, Math.max(0, atMs - Date.now()));
    return () => clearTimeout(t);
  },
};

/** A virtual clock: time moves only through `runUntil`, timers fire in time order (then FIFO). */
export class FakeClock implements Clock {
  private time: number;
  private readonly timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  constructor(startMs: number) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  at(atMs: number, fn: () => void): () => void {
    const t = { at: Math.max(atMs, this.time), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Fires due timers in order, letting promises settle between them, until `endMs`. */
  async runUntil(endMs: number): Promise<void> {
    for (;;) {
      await settle();
      let next = -1;
      for (let i = 0; i < this.timers.length; i++) {
        const t = this.timers[i]!;
        if (t.cancelled) continue;
        if (next < 0 || t.at < this.timers[next]!.at || (t.at === this.timers[next]!.at && t.seq < this.timers[next]!.seq)) next = i;
      }
      if (next < 0 || this.timers[next]!.at > endMs) break;
      const [t] = this.timers.splice(next, 1);
      this.time = t!.at;
      t!.fn();
    }
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.cancelled) this.timers.splice(i, 1);
    this.time = Math.max(this.time, endMs);
  }

  /** A promise resolved at `atMs` on this clock. */
  sleepUntil(atMs: number): Promise<void> {
    return new Promise((resolve) => this.at(atMs, resolve));
  }
}

/** Lets pending promise chains (and I/O callbacks queued for immediate run) complete. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}
