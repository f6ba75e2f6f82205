/** Span's REST routes (Heimdall's bor paths). */
import { HttpError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { pathId } from '../../rest/params.ts';
import type { SpanQueries } from './queries.ts';

export function spanRoutes(q: SpanQueries): RestRoute[] {
  return [
    {
      path: '/bor/span/:id',
      handle: async (req) => {
        const id = pathId(req.params.id!, 'span id');
        const span = await q.json(id);
        if (!span) throw new HttpError(404, `span ${id} not found (latest is ${q.lastId})`);
        return span;
      },
    },
    {
      path: '/bor/latest-span',
      handle: async () => {
        const span = await q.latestJson();
        if (!span) throw new HttpError(404, 'no span yet');
        return span;
      },
    },
  ];
}
