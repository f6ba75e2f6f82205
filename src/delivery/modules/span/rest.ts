/**
 * Span's REST routes, as BTTC's Delivery serves them (bor/client/rest/query.go):
 *
 *   GET /bor/span/{id}             types.Span; a bad id 400, an unknown one 500 (the keeper's error)
 *   GET /bor/latest-span           the latest span (an empty span before any, as Delivery answers)
 *   GET /bor/span/list?page&limit  spans in the string order of their ids, ≤ 20 a page, null when
 *                                  none; page and limit are required
 *   GET /bor/params                sprint_duration, span_duration (in force), producer_count
 *   GET /bor/next-span-seed        the seed of the next span (`nextSpanSeedRoute`: it needs the
 *                                  node's root-chain client, so the node mounts it)
 *
 * Bttc's client reads `bor/span/{id}` (span_id, start_block, end_block, validator_set{validators,
 * proposer}, selected_producers, bor_chain_id as a string).
 */
import { deliverySpan } from '../../../protocol/delivery-rest/format.ts';
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import type { SpanSeedSource } from '../../app/interface.ts';
import { appendMsg, internalQueryError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { decimalOrderPage } from '../../rest/paging.ts';
import { clampedCount, parseUint64, storedId } from '../../rest/params.ts';
import type { SpanQueries } from './queries.ts';

/** Delivery's GetSpanList caps a page at 20 spans. */
const MAX_SPAN_PAGE = 20;

/** What Delivery's latest-span query answers before any span exists: Go's zero Span. */
const EMPTY_SPAN: GoJsonValue = { span_id: 0, start_block: 0, end_block: 0, validator_set: { validators: null, proposer: null }, selected_producers: null, bor_chain_id: '' };

export function spanRoutes(q: SpanQueries): RestRoute[] {
  return [
    {
      path: '/bor/span/list',
      heightZero: true,
      handle: async (req) => {
        const page = parseUint64(req.url.searchParams.get('page'));
        const limit = parseUint64(req.url.searchParams.get('limit'));
        const ids = decimalOrderPage(0, q.lastId, clampedCount(page), Math.min(clampedCount(limit), MAX_SPAN_PAGE));
        const spans = await q.many(ids);
        return spans.length ? spans.map(deliverySpan) : null;
      },
    },
    {
      path: '/bor/span/:id',
      handle: async (req) => {
        const id = storedId(parseUint64(req.params.id));
        const span = id === null ? null : await q.json(id);
        if (!span) throw internalQueryError(500, appendMsg('could not get span', 'span not found for id'));
        return deliverySpan(span);
      },
    },
    {
      path: '/bor/latest-span',
      handle: async () => {
        const span = await q.latestJson();
        return span ? deliverySpan(span) : EMPTY_SPAN;
      },
    },
    {
      path: '/bor/params',
      // span_duration: the length the next span gets (governance may have changed it, gov/params.ts).
      handle: (req) => ({ sprint_duration: req.config.bttc.sprint, span_duration: q.spanDuration(req.config, req.height), producer_count: req.config.bttc.producerCount }),
    },
  ];
}

/**
 * `GET /bor/next-span-seed`: the root-chain block hash the next span's producers are drawn with
 * (common.Hash JSON, lower-case 0x hex). When the root chain cannot answer, a 400 as Delivery's
 * handler gives for its keeper error.
 */
export function nextSpanSeedRoute(q: SpanQueries, seed: SpanSeedSource): RestRoute {
  return {
    path: '/bor/next-span-seed',
    heightZero: true,
    handle: async () => {
      const id = q.lastId + 1;
      const s = await seed(id).catch(() => null);
      if (s?.length !== 32) throw internalQueryError(400, appendMsg('Error fetching next span seed', `root chain block ${id} is not available`));
      return bytesToHex(s);
    },
  };
}
