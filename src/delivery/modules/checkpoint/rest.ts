/** Checkpoint's REST routes (Heimdall's paths); `?root-chain=` picks the line, the staking chain by default. */
import { HttpError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { pathId } from '../../rest/params.ts';
import type { CheckpointQueries } from './queries.ts';

export function checkpointRoutes(q: CheckpointQueries): RestRoute[] {
  return [
    {
      path: '/checkpoints/latest',
      handle: async (req) => {
        const chain = req.rootChain();
        const cp = await q.latest(chain);
        if (!cp) throw new HttpError(404, `no checkpoint acked yet on root chain ${chain}`);
        return cp;
      },
    },
    { path: '/checkpoints/count', handle: (req) => ({ result: q.ackCount(req.rootChain()) }) },
    { path: '/checkpoints/buffer', handle: (req) => q.buffer(req.rootChain()) },
    {
      path: '/checkpoints/:number',
      handle: async (req) => {
        const chain = req.rootChain();
        const n = pathId(req.params.number!, 'checkpoint number');
        const cp = n === 0 ? null : await q.get(chain, n);
        if (!cp) throw new HttpError(404, `checkpoint ${n} not found on root chain ${chain} (${q.ackCount(chain)} acked)`);
        return cp;
      },
    },
  ];
}
