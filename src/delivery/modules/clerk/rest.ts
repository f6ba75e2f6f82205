/**
 * Clerk's REST routes, as BTTC's Delivery serves them (clerk/client/rest/query.go); both answer
 * with height "0", as Delivery's handlers do.
 *
 *   GET /clerk/event-record/{id}   clerk EventRecord; a bad id 400, an unknown one 400 (keeper error)
 *   GET /clerk/event-record/list   limit: at most 50 (a larger one is cut to 50); then, by the
 *                                  parameters given:
 *     from-id & to-time            Bttc's query: records from-id, from-id+1, … while each exists
 *                                  and was recorded before to-time, `[]` when none. Once from-id
 *                                  exists, Delivery must have committed a block after to-time (a
 *                                  later block could still record one before it): a 500 otherwise.
 *     from-time & to-time (& page) records recorded in [from-time, to-time), by time, paged
 *     neither                      every record, page by page (page from 1), in the string order
 *                                  of their ids
 */
import { deliveryEventRecord } from '../../../protocol/delivery-rest/format.ts';
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import { appendMsg, internalQueryError } from '../../rest/http-error.ts';
import type { RestRequest, RestRoute } from '../../rest/interface.ts';
import { decimalOrderPage } from '../../rest/paging.ts';
import { clampedCount, parseInt64, parseUint64, storedId } from '../../rest/params.ts';
import type { ClerkQueries } from './queries.ts';
import type { EventRecord } from './store.ts';

/** Delivery's default and largest page of records. */
const MAX_RECORDS = 50;

function recordJson(r: EventRecord): GoJsonValue {
  return deliveryEventRecord({
    id: r.id,
    contract: r.contract,
    data: r.data,
    txHash: r.txHash,
    logIndex: r.logIndex,
    bttcChainId: r.bttcChainId,
    recordTimeMs: r.recordTime * 1000,
    rootChainId: r.rootChainId,
  });
}

/** Go's time.Time String() in UTC ("2023-11-14 22:13:20 +0000 UTC"), as Delivery's messages print times. */
function goTimeString(unixSeconds: bigint): string {
  const ms = Number(unixSeconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${unixSeconds} (unix seconds)`;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' +0000 UTC');
}

/** Delivery's GetEventRecordListWithTime refuses a to-time its latest block has not passed. */
function requirePassed(req: RestRequest, fromTime: bigint, toTime: bigint): void {
  if (BigInt(req.time) > toTime * 1000n) return;
  throw internalQueryError(500, appendMsg(`could not fetch record list with fromTime ${goTimeString(fromTime)} and toTime ${goTimeString(toTime)}`, 'latest block time is before toTime'));
}

/** A unix-seconds bound as a number the store compares with (anything past 2^53 is "never"). */
function timeBound(t: bigint): number {
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (t < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(t);
}

/** Bttc's query: contiguous records from `fromId`, each recorded before `toTime`, at most `limit`. */
async function tillTime(q: ClerkQueries, req: RestRequest, fromId: bigint, toTime: bigint, limit: number): Promise<GoJsonValue> {
  const id = storedId(fromId);
  const first = id === null ? null : await q.get(id);
  if (!first || id === null) return [];
  requirePassed(req, BigInt(first.recordTime), toTime);
  const out: GoJsonValue[] = [];
  let next = id;
  for (const r of await q.list(id, timeBound(toTime), limit)) {
    if (r.id !== next) break;
    out.push(recordJson(r));
    next++;
  }
  return out;
}

/**
 * Records recorded in [fromTime, toTime), page `page` of `limit`, in Delivery's key order: by time,
 * then by the id's decimal string. page 0 with limit 0 is every record in the range.
 */
async function timeRange(q: ClerkQueries, req: RestRequest, fromTime: bigint, toTime: bigint, page: number, limit: number): Promise<GoJsonValue> {
  requirePassed(req, fromTime, toTime);
  const all = page === 0 && limit === 0;
  if (!all && (page === 0 || limit === 0)) return null;
  const want = all ? Number.MAX_SAFE_INTEGER : (page - 1) * limit + limit;
  const lastId = await q.lastId();
  const lo = timeBound(fromTime);
  const hi = timeBound(toTime);
  const found: EventRecord[] = [];
  // Collect in id order (= time order) until enough, finishing the last second so its ids can be sorted.
  for (let id = await q.firstIdAtOrAfter(lo, lastId); id <= lastId; id++) {
    const r = await q.get(id);
    if (!r || r.recordTime >= hi) break;
    if (found.length >= want && r.recordTime !== found[found.length - 1]!.recordTime) break;
    found.push(r);
  }
  found.sort((a, b) => a.recordTime - b.recordTime || (String(a.id) < String(b.id) ? -1 : 1));
  const pageOf = all ? found : found.slice((page - 1) * limit, page * limit);
  return pageOf.length ? pageOf.map(recordJson) : null;
}

export function clerkRoutes(q: ClerkQueries): RestRoute[] {
  return [
    {
      path: '/clerk/event-record/list',
      heightZero: true,
      handle: async (req) => {
        const p = req.url.searchParams;
        const given = (k: string) => (p.get(k) ?? '') !== '';
        const page = given('page') ? clampedCount(parseUint64(p.get('page'))) : 1;
        let limit = MAX_RECORDS;
        if (given('limit')) {
          const l = parseUint64(p.get('limit'));
          if (l < BigInt(limit)) limit = Number(l);
        }
        if (given('from-time') && given('to-time')) {
          const fromTime = parseInt64(p.get('from-time'));
          const toTime = parseInt64(p.get('to-time'));
          return timeRange(q, req, fromTime, toTime, page, limit);
        }
        if (given('from-id') && given('to-time')) {
          const fromId = parseUint64(p.get('from-id'));
          const toTime = parseInt64(p.get('to-time'));
          return tillTime(q, req, fromId, toTime, limit);
        }
        const ids = decimalOrderPage(1, await q.lastId(), page, limit);
        const recs = await Promise.all(ids.map((id) => q.get(id)));
        const out = recs.filter((r): r is EventRecord => r !== null).map(recordJson);
        return out.length ? out : null;
      },
    },
    {
      path: '/clerk/event-record/:recordId',
      heightZero: true,
      handle: async (req) => {
        const id = storedId(parseUint64(req.params.recordId));
        const rec = id === null ? null : await q.get(id);
        if (!rec) throw internalQueryError(400, appendMsg('could not get state record', 'No record found'));
        return recordJson(rec);
      },
    },
  ];
}
