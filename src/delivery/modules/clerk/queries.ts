/**
 * Clerk's read side: event records by id, by id range and by time (Bttc's state-sync source, the
 * REST routes). Record ids are contiguous from 1 and record times never decrease with the id (they
 * are block times), which lets the last id and the first record of a time be found by bisection.
 */
import type { EventRecord, EventRecordStore } from './store.ts';

export class ClerkQueries {
  private readonly store: EventRecordStore;

  constructor(deps: { store: EventRecordStore }) {
    this.store = deps.store;
  }

  /** Records from `fromId` with recordTime < toTime (unix s), at most `limit`. */
  list(fromId: number, toTime: number, limit: number): Promise<EventRecord[]> {
    return this.store.list(fromId, toTime, limit);
  }

  get(id: number): Promise<EventRecord | null> {
    return this.store.get(id);
  }

  /** The highest record id (0 before the first record). */
  async lastId(): Promise<number> {
    if (!(await this.store.get(1))) return 0;
    let lo = 1;
    let hi = 2;
    while (await this.store.get(hi)) {
      lo = hi;
      hi *= 2;
    }
    // Record lo exists, record hi does not.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.store.get(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** The first record id whose recordTime ≥ `time` (unix s), or lastId + 1 when none is. */
  async firstIdAtOrAfter(time: number, lastId: number): Promise<number> {
    let lo = 1;
    let hi = lastId + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = await this.store.get(mid);
      if (r && r.recordTime >= time) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
