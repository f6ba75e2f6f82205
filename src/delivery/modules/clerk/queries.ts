/** Clerk's read side: event records by id and by range (Bttc's state-sync source). */
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
}
