/** Span's read side: the latest span id and the stored spans (Bttc reads them in the same process, or over REST). */
import { spanFromJson, type Span } from '../../../protocol/span/span.ts';
import type { NodeConfig } from '../../../config/types.ts';
import type { CommittedState } from '../../app/state.ts';
import { spanDuration } from '../gov/params.ts';
import { spanOf } from './state.ts';
import type { SpanStore, StoredSpanJson } from './store.ts';

export class SpanQueries {
  private readonly committed: CommittedState;
  private readonly store: SpanStore;

  constructor(deps: { committed: CommittedState; store: SpanStore }) {
    this.committed = deps.committed;
    this.store = deps.store;
  }

  /** span_duration in force for block `height` (the genesis config's or governance's, gov/params.ts): the next span's length. */
  spanDuration(config: NodeConfig, height: number): number {
    return spanDuration(this.committed.get(), height, config);
  }

  get lastId(): number {
    return spanOf(this.committed.get()).lastSpanId;
  }

  json(id: number): Promise<StoredSpanJson | null> {
    return this.store.get(id);
  }

  async span(id: number): Promise<Span | null> {
    const j = await this.store.get(id);
    return j ? spanFromJson(j) : null;
  }

  latestJson(): Promise<StoredSpanJson | null> {
    return this.store.get(this.lastId);
  }

  /** Spans by id, in the order given; ids not stored are left out. */
  async many(ids: readonly number[]): Promise<StoredSpanJson[]> {
    const spans = await Promise.all(ids.map((id) => this.store.get(id)));
    return spans.filter((s): s is StoredSpanJson => s !== null);
  }
}
