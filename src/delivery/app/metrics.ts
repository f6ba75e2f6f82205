import type { Registry } from 'prom-client';
import { counter, gauge, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';

export function deliveryMetrics(reg: Registry) {
  return {
    height: gauge(reg, 'bttc_delivery_height', 'Last committed Delivery height'),
    txs: counter(reg, 'bttc_delivery_txs_total', 'Delivery transactions by type and outcome (included, applied, stale, early, rejected)', ['type', 'outcome']),
    sideVotes: counter(reg, 'bttc_delivery_side_votes_cast_total', 'Our own side-transaction votes by verdict', ['vote']),
    commitSeconds: histogram(reg, 'bttc_delivery_commit_seconds', 'Time to apply and persist one Delivery block', SECONDS_BUCKETS),
    pool: gauge(reg, 'bttc_delivery_root_event_pool', 'Root-chain events seen and not yet applied'),
    invalidValues: counter(reg, 'bttc_delivery_invalid_values_total', 'Proposed Delivery blocks judged invalid, by reason', ['reason']),
  };
}

export type DeliveryMetrics = ReturnType<typeof deliveryMetrics>;
