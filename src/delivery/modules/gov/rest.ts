/**
 * The gov module's REST routes (ours; BTTC's Delivery has no governance module). Integers that can
 * exceed 2^53 (power, nonces, counts in wei) are decimal strings; heights and block numbers numbers.
 *
 *   POST /gov/ballots                       a signed ballot {proposalId, support, voter, nonce, reason, signature}
 *                                           → {proposalId, voter, nonce, status: pooled|duplicate};
 *                                           400 naming the malformed field, 503 when the pool is full
 *   GET  /gov/ballots/unattributed          ballots included that name no mirrored proposal or do not parse
 *   GET  /gov/proposals                     every mirrored proposal: {id, governor, chainId, proposer, snapshot,
 *                                           deadline, rootBlock, height, ballots, closeHeight, status} with
 *                                           status active, tallied or anchored
 *   GET  /gov/proposals/{id}                one (404 unknown)
 *   GET  /gov/proposals/{id}/ballots        the ballot set `audit tally` reads ({proposalId, closeHeight,
 *                                           ballots: [{height, ballot}]}) plus `counted` and `refused` (with reasons)
 *   GET  /gov/proposals/{id}/tally          the approved tally: counts, manifestRoot, outcome, the signed data and
 *                                           signatures, `anchored` ({txHash, blockNumber, …} or null); 404 before
 *   GET  /gov/params                        Delivery parameters governance may change: {params: [{name, key, value,
 *                                           unit, source: genesis|governor, effectiveHeight, rootBlock, txHash}],
 *                                           pending: [changes applied, in force from effectiveHeight > height]}
 */
import { BallotError, isProposalId, proposalIdHex } from '../../../gov/ballot.ts';
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import { HttpError } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import type { ParamChange } from './params.ts';
import type { GovQueries, ProposalView } from './queries.ts';
import type { StoredBallot, StoredTally } from './store.ts';

function idParam(raw: string | undefined): string {
  try {
    const s = raw ?? '';
    if (isProposalId(s.toLowerCase())) return s.toLowerCase();
    return proposalIdHex(/^0x[0-9a-fA-F]{1,64}$/.test(s) || /^\d{1,78}$/.test(s) ? BigInt(s) : -1n);
  } catch {
    throw new HttpError(400, `proposal id ${JSON.stringify(raw)}: expected a uint256 (decimal or 0x-hex)`);
  }
}

function proposalJson(p: ProposalView): GoJsonValue {
  return {
    id: p.id,
    governor: p.governor,
    chainId: p.chainId,
    proposer: p.proposer,
    snapshot: p.snapshot,
    deadline: p.deadline,
    rootBlock: p.rootBlock,
    height: p.height,
    ballots: p.ballots,
    closeHeight: p.closeHeight,
    status: p.status,
  };
}

function refusalOf(b: StoredBallot, proposalId: string | null): GoJsonValue {
  const o = b.json !== null && typeof b.json === 'object' ? (b.json as Record<string, unknown>) : {};
  return { index: b.index, height: b.height, code: b.refusal!.code, detail: b.refusal!.detail, proposalId, voter: typeof o.voter === 'string' ? o.voter.toLowerCase() : null };
}

function tallyJson(t: StoredTally): GoJsonValue {
  return { ...(t.tally as Record<string, GoJsonValue>), closeHeight: t.closeHeight, height: t.height, data: t.data, signatures: t.signatures, submitter: t.submitter, anchored: t.anchored };
}

/** Units of the parameters' values (as the Governor stores them). */
const PARAM_UNITS: Record<ParamChange['name'], string> = { checkpoint_buffer_time: 's', span_duration: 'blocks' };

function changeJson(c: ParamChange): GoJsonValue {
  return {
    name: c.name,
    value: c.value,
    oldValue: c.oldValue,
    unit: PARAM_UNITS[c.name],
    height: c.height,
    effectiveHeight: c.effectiveHeight,
    rootChainId: c.rootChainId,
    rootBlock: c.rootBlock,
    logIndex: c.logIndex,
    txHash: c.txHash,
  };
}

export function govRoutes(q: GovQueries): RestRoute[] {
  const known = async (raw: string | undefined) => {
    const id = idParam(raw);
    const p = await q.proposal(id);
    if (!p) throw new HttpError(404, `no proposal ${id} mirrored from the Governor`);
    return p;
  };
  return [
    {
      path: '/gov/ballots',
      method: 'POST',
      handle(req) {
        let r: ReturnType<GovQueries['submit']>;
        try {
          r = q.submit(req.body);
        } catch (err) {
          if (err instanceof BallotError) throw new HttpError(400, `malformed: ${err.message}`);
          throw err;
        }
        if (r.status === 'full') throw new HttpError(503, `ballot pool full (${q.pooled} ballots): retry later`);
        return { proposalId: r.proposalId, voter: r.voter, nonce: r.nonce, status: r.status };
      },
    },
    {
      path: '/gov/ballots/unattributed',
      async handle() {
        return (await q.ballots(`0x${'00'.repeat(32)}`)).map((b) => ({ ...(refusalOf(b, null) as Record<string, GoJsonValue>), ballot: b.json as GoJsonValue }));
      },
    },
    {
      path: '/gov/params',
      handle(req) {
        const { params, pending } = q.params(req.config, req.height);
        return {
          params: params.map((p) => ({
            name: p.name,
            key: p.key,
            value: p.value,
            unit: PARAM_UNITS[p.name],
            source: p.source,
            effectiveHeight: p.change?.effectiveHeight ?? 0,
            rootBlock: p.change?.rootBlock ?? null,
            txHash: p.change?.txHash ?? null,
          })),
          pending: pending.map(changeJson),
        };
      },
    },
    { path: '/gov/proposals', handle: async () => (await q.proposals()).map(proposalJson) },
    { path: '/gov/proposals/:id', handle: async (req) => proposalJson(await known(req.params.id)) },
    {
      path: '/gov/proposals/:id/ballots',
      async handle(req) {
        const p = await known(req.params.id);
        const [stream, t] = await Promise.all([q.ballots(p.id), q.tally(p.id)]);
        const judged = new Set((t?.refusals ?? []).map((r) => r.index as number));
        const refused: GoJsonValue[] = [...((t?.refusals ?? []) as GoJsonValue[])];
        // Refused at inclusion and not in the tally's judgement (included with or after its approval): closed.
        for (const b of stream) if (b.refusal && !judged.has(b.index)) refused.push(refusalOf(b, p.id));
        return {
          proposalId: p.id,
          closeHeight: p.closeHeight,
          ballots: stream.map((b) => ({ height: b.height, ballot: b.json as GoJsonValue })),
          counted: (t?.counted ?? []) as GoJsonValue[],
          refused,
        };
      },
    },
    {
      path: '/gov/proposals/:id/tally',
      async handle(req) {
        const p = await known(req.params.id);
        const t = await q.tally(p.id);
        if (!t) throw new HttpError(404, `proposal ${p.id} has no approved tally yet (status ${p.status})`);
        return tallyJson(t);
      },
    },
  ];
}
