/** Clerk's REST routes (Heimdall's paths). */
import { HttpError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { pathId, requiredUintParam, uintParam } from '../../rest/params.ts';
import type { ClerkQueries } from './queries.ts';

const DEFAULT_LIST_LIMIT = 50;

export function clerkRoutes(q: ClerkQueries): RestRoute[] {
  return [
    {
      path: '/clerk/event-record/list',
      handle: (req) => {
        const p = req.url.searchParams;
        const fromId = requiredUintParam(p.get('from-id'), 'from-id', { min: 1 });
        const toTime = uintParam(p.get('to-time'), 'to-time') ?? Number.MAX_SAFE_INTEGER;
        const limit = uintParam(p.get('limit'), 'limit', { min: 1 }) ?? DEFAULT_LIST_LIMIT;
        if (limit > req.maxListLimit) throw new HttpError(400, `limit must be at most ${req.maxListLimit}, got ${limit}`);
        return q.list(fromId, toTime, limit);
      },
    },
    {
      path: '/clerk/event-record/:id',
      handle: async (req) => {
        const id = pathId(req.params.id!, 'event record id');
        const rec = await q.get(id);
        if (!rec) throw new HttpError(404, `event record ${id} not found`);
        return rec;
      },
    },
  ];
}
