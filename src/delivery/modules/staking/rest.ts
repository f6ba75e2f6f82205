/** Staking's REST routes (Heimdall's paths). */
import { HttpError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { pathId } from '../../rest/params.ts';
import type { StakingQueries } from './queries.ts';

export function stakingRoutes(q: StakingQueries): RestRoute[] {
  return [
    { path: '/staking/validator-set', handle: () => q.validatorSet() },
    { path: '/staking/proposer', handle: () => ({ signer: q.proposer() }) },
    {
      path: '/staking/validator/:id',
      handle: (req) => {
        const id = pathId(req.params.id!, 'validator id');
        const v = q.validator(id);
        if (!v) throw new HttpError(404, `validator ${id} not found`);
        return v;
      },
    },
  ];
}
