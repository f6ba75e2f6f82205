/**
 * Slashing's REST routes (the usual `{"height","result"}` envelope):
 *   GET  /slashing/candidates        open candidates: [{id, offense, validator, validatorId, height, openedAt, closesAt}]
 *   GET  /slashing/final             final slash records (status "final", with their penalty)
 *   GET  /slashing/evidence          every record (recorded, candidate, voided, final)
 *   GET  /slashing/evidence/{hash}   one record by evidence id; 400 bad hash, 404 unknown
 *   POST /slashing/evidence          body: evidence JSON (docs/slashing.md). Checked against the
 *                                    committed state: 400 {"error":"<code>: <reason>"} when refused,
 *                                    else {"id":"0x…","queued":true} (proposed by this node when it proposes)
 *   POST /slashing/challenge         body: {"id":"0x…","counter":{…}}: queued the same way
 */
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import { EvidenceFormatError, parseEvidence, type Evidence } from '../../../slashing/evidence.ts';
import type { CommittedState } from '../../app/state.ts';
import { HttpError } from '../../rest/http-error.ts';
import type { RestRequest, RestRoute } from '../../rest/interface.ts';
import type { BlockContext } from '../module.ts';
import type { SlashingQueries } from './queries.ts';

export interface EvidenceInbox {
  /** Queues evidence for this node's next proposal; returns its id. */
  submitEvidence(e: Evidence): string;
  submitChallenge(id: string, counter: unknown): void;
  /** The tx checks against a context: null when the evidence would be accepted, else "<code>: <reason>". */
  check(e: Evidence, ctx: BlockContext): string | null;
}

function json(v: unknown): GoJsonValue {
  return JSON.parse(JSON.stringify(v)) as GoJsonValue;
}

/** The inbox refuses a flood: 503, so the client tries later. */
function queue<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as Error).name === 'InboxFullError') throw new HttpError(503, (err as Error).message);
    throw err;
  }
}

function nextBlock(req: RestRequest, committed: CommittedState): BlockContext {
  return { config: req.config, stakingChainId: req.stakingChainId, height: req.height + 1, blockTime: req.time + 1, state: committed.get() };
}

export function slashingRoutes(q: SlashingQueries, inbox: EvidenceInbox, committed: CommittedState): RestRoute[] {
  return [
    { path: '/slashing/candidates', handle: () => json(q.candidates().map(({ evidence: _e, ...c }) => c)) },
    { path: '/slashing/final', handle: async () => json(await q.byStatus('final')) },
    { path: '/slashing/evidence', handle: async () => json(await q.all()) },
    {
      path: '/slashing/evidence',
      method: 'POST',
      handle: (req) => {
        const body = req.body;
        let e: Evidence;
        try {
          e = parseEvidence(body);
        } catch (err) {
          if (err instanceof EvidenceFormatError || err instanceof SyntaxError) throw new HttpError(400, `malformed: ${err.message}`);
          throw err;
        }
        const refused = inbox.check(e, nextBlock(req, committed));
        if (refused) throw new HttpError(400, refused);
        return json({ id: queue(() => inbox.submitEvidence(e)), queued: true });
      },
    },
    {
      path: '/slashing/challenge',
      method: 'POST',
      handle: (req) => {
        const b = req.body as { id?: unknown; counter?: unknown } | null;
        if (typeof b?.id !== 'string' || !/^0x[0-9a-f]{64}$/.test(b.id)) throw new HttpError(400, 'challenge.id: expected a 0x 32-byte evidence id');
        if (typeof b.counter !== 'object' || b.counter === null) throw new HttpError(400, 'challenge.counter: expected an object');
        const id = b.id;
        if (!q.candidates().some((c) => c.id === id)) throw new HttpError(404, `no open candidate ${id}`);
        queue(() => inbox.submitChallenge(id, b.counter));
        return json({ id, queued: true });
      },
    },
    {
      path: '/slashing/evidence/:hash',
      handle: async (req) => {
        const h = req.params.hash ?? '';
        if (!/^0x[0-9a-f]{64}$/.test(h)) throw new HttpError(400, `hash: expected a lower-case 0x 32-byte evidence id, got ${JSON.stringify(h)}`);
        const r = await q.record(h);
        if (!r) throw new HttpError(404, `no slashing evidence ${h}`);
        return json(r);
      },
    },
  ];
}
