/**
 * The clerk module: StateSender events from every configured root chain become event records for
 * Bttc's state syncs.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import type { DeliveryModule, EventTxSpec } from '../module.ts';
import { EVENT_RECORDED } from './notices.ts';
import { ClerkQueries } from './queries.ts';
import { clerkRoutes } from './rest.ts';
import { CLERK_STATE } from './state.ts';
import { EventRecordStore } from './store.ts';
import { applyEventRecordTx, eventRecordStaleInPool, eventRecordTxCodec, eventRecordTxFromEvent, validateEventRecordTx, type EventRecordTx } from './txs.ts';

/** Replay namespace of state-sync events (the processed marker's kind byte). */
export const PROCESSED_CLERK = 3;

export function clerkModule(deps: { db: KeyValueStore }): DeliveryModule<ClerkQueries> {
  const store = new EventRecordStore(deps.db);
  const queries = new ClerkQueries({ store });
  const eventRecordTx: EventTxSpec<EventRecordTx> = {
    kind: 'event',
    codec: eventRecordTxCodec,
    processedKind: PROCESSED_CLERK,
    validate: validateEventRecordTx,
    staleInPool: eventRecordStaleInPool,
    apply(tx, ctx, fx) {
      const r = applyEventRecordTx(tx, ctx);
      if (r.record) {
        fx.write(store.putOp(r.record));
        fx.notify(EVENT_RECORDED, r.record);
      }
      return { outcome: r.outcome, reason: r.reason };
    },
  };
  return {
    name: 'clerk',
    txs: [eventRecordTx],
    state: CLERK_STATE,
    buckets: [BUCKETS.deliveryEventRecord],
    queries,
    initGenesis(g) {
      g.state.init(CLERK_STATE, { clerkLastId: 0, clerkLastStateId: new Map() });
    },
    txFromRootEvent: eventRecordTxFromEvent,
    routes: () => clerkRoutes(queries),
  };
}
