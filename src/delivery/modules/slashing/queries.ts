/** Read side of the slashing module: open candidates from the committed state, records from the store. */
import type { CommittedState } from '../../app/state.ts';
import type { EvidenceInbox } from './rest.ts';
import { slashingOf, type Candidate, type FinalEntry } from './state.ts';
import type { SlashRecord, SlashRecordStore } from './store.ts';

export class SlashingQueries {
  private readonly committed: CommittedState;
  private readonly store: SlashRecordStore;
  /** Where this node's own submissions go (REST, CLI, its consensus evidence). */
  readonly inbox: EvidenceInbox;

  constructor(deps: { committed: CommittedState; store: SlashRecordStore; inbox: EvidenceInbox }) {
    this.committed = deps.committed;
    this.store = deps.store;
    this.inbox = deps.inbox;
  }

  candidates(): Candidate[] {
    return slashingOf(this.committed.get()).slashingOpen;
  }

  /** Final slashes not yet batched for the root chain. */
  queued(): FinalEntry[] {
    return slashingOf(this.committed.get()).slashingFinal;
  }

  record(id: string): Promise<SlashRecord | null> {
    return this.store.get(id);
  }

  async byStatus(status: SlashRecord['status']): Promise<SlashRecord[]> {
    return (await this.store.all()).filter((r) => r.status === status);
  }

  all(): Promise<SlashRecord[]> {
    return this.store.all();
  }
}
