/**
 * A clock that only moves when the simulation says so: timers are kept in a heap and fired in
 * (time, insertion) order, so a run is a pure function of its seed and takes no real time waiting.
 */
import type { Clock } from '../interface.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private heap: Timer[] = [];
  private live = 0;

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return () => {
      if (!timer.cancelled) {
        timer.cancelled = true;
        this.live--;
      }
    };
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.live;
  }

  /** Time of the next live timer, or undefined. */
  peek(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.at;
  }

  /**
   * Moves to the next timer time (if it is ≤ `limit`) and fires every timer due then, in order.
   * Returns false when there is nothing to fire before the limit (time is moved to the limit).
   */
  advance(limit = Infinity): boolean {
    const at = this.peek();
    if (at === undefined || at > limit) {
      if (Number.isFinite(limit) && limit > this.t) this.t = limit;
      return false;
    }
    this.t = at;
    while (this.heap.length > 0 && this.heap[0]!.at === at) {
      const timer = this.pop()!;
      if (timer.cancelled) continue;
      timer.cancelled = true;
      this.live--;
      timer.fn();
    }
    return true;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: Timer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Real timers, for a running node. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
