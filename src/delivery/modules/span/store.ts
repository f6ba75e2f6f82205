/**
 * Committed spans by id in the span module's bucket (`deliverySpan`: id u64 → JSON). Written only
 * through batch operations of the block that applies them (span 0: the genesis batch).
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { jsonCodec, Repository, u64Codec } from '../../../db/repository.ts';
import type { SpanJson } from '../../../protocol/span/span.ts';

export type StoredSpanJson = SpanJson;

export class SpanStore {
  private readonly repo: Repository<number, StoredSpanJson>;

  constructor(db: KeyValueStore) {
    this.repo = new Repository(db, BUCKETS.deliverySpan, u64Codec, jsonCodec<StoredSpanJson>());
  }

  async get(id: number): Promise<StoredSpanJson | null> {
    return (await this.repo.get(id)) ?? null;
  }

  putOp(span: StoredSpanJson): BatchOp {
    return this.repo.putOp(span.id, span);
  }
}
