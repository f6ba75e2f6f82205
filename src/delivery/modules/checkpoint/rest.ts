/**
 * Checkpoint's REST routes, as BTTC's Delivery serves them (checkpoint/client/rest/query.go).
 * Delivery keeps one checkpoint line per root chain and names it in the path: `{root}` is tron,
 * eth or bsc (a configured name or id is accepted too).
 *
 *   GET /checkpoints/params                    checkpoint_buffer_time (ns, governance's value in force), avg/max length, interval
 *   GET /checkpoints/buffer/{root}             the approved checkpoint awaiting its ack (types
 *                                              Checkpoint); none: 500 with Delivery's error
 *   GET /checkpoints/count/{root}              {"result": ack count}
 *   GET /checkpoints/latest/{root}             the last acked one, `id` first (CheckpointWithID);
 *                                              none yet: 400 with the keeper's error
 *   GET /checkpoints/{root}/{number}           acked checkpoint `number` (from 1), with its id
 *   GET /checkpoints/list?root&page&limit      acked checkpoints in the string order of their
 *                                              numbers, ≤ 20 a page (types.Checkpoint, no id)
 *   GET /checkpoints/epoch                     {"result": staking-chain ack count + 1}
 *   GET /checkpoints/last-no-ack               {"result": unix time of the last no-ack}
 *   GET /checkpoints/activation-height/{root}  {"result": 0} (every root chain is active from genesis)
 *
 * Besides Delivery's, the staking chain's line at Heimdall's (Polygon's) paths, with `?root-chain=`
 * picking another: /checkpoints/latest, /checkpoints/count, /checkpoints/buffer, /checkpoints/{number}.
 *
 * An acked checkpoint's `timestamp` is the Delivery block time of its ack, as ack.ts records it;
 * Delivery keeps the time the checkpoint entered the buffer (the buffer's `timestamp` here).
 */
import { deliveryCheckpoint, deliveryCheckpointWithId, rootChainType, ROOT_CHAIN_TYPES, type CheckpointFields } from '../../../protocol/delivery-rest/format.ts';
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import { appendMsg, CODE_NO_CHECKPOINT_BUFFER, DELIVERY_CODESPACE, HttpError, internalQueryError, queryError } from '../../rest/http-error.ts';
import type { RestRequest, RestRoute } from '../../rest/interface.ts';
import { decimalOrderPage } from '../../rest/paging.ts';
import { clampedCount, parseUint64, storedId } from '../../rest/params.ts';
import type { CheckpointQueries } from './queries.ts';
import type { BufferedCheckpoint } from './state.ts';
import type { AckedCheckpoint } from './store.ts';

/** Delivery's GetCheckpointList caps a page at 20. */
const MAX_CHECKPOINT_PAGE = 20;
/** Header block ids step by this (child_chain_block_interval). */
const CHILD_BLOCK_INTERVAL = 10000;

function ackedFields(c: AckedCheckpoint): CheckpointFields {
  return { proposer: c.proposer, start: c.start, end: c.end, rootHash: c.rootHash, borChainId: c.borChainId, timestamp: c.timestamp };
}

function bufferFields(b: BufferedCheckpoint): CheckpointFields {
  const c = b.checkpoint;
  return { proposer: c.proposer, start: c.start, end: c.end, rootHash: c.rootHash, borChainId: c.borChainId, timestamp: Math.floor(b.time / 1000) };
}

async function byNumber(q: CheckpointQueries, chain: number, raw: bigint): Promise<GoJsonValue> {
  const n = storedId(raw);
  const cp = n === null || n === 0 ? null : await q.get(chain, n);
  if (!cp) throw internalQueryError(400, appendMsg(`could not fetch checkpoint by index ${raw} ${rootChainType(chain)}`, 'Invalid checkpoint Index'));
  return deliveryCheckpointWithId(cp.number, ackedFields(cp));
}

function buffer(q: CheckpointQueries, chain: number): GoJsonValue {
  const b = q.buffer(chain);
  if (!b) throw queryError(500, DELIVERY_CODESPACE, CODE_NO_CHECKPOINT_BUFFER, 'Checkpoint buffer not found');
  return deliveryCheckpoint(bufferFields(b));
}

function count(q: CheckpointQueries, chain: number): GoJsonValue {
  return { result: q.ackCount(chain) ?? 0 };
}

/** `?root=` of the list: a name Delivery does not know is refused with Delivery's message. */
function listRoot(req: RestRequest): number {
  const root = req.url.searchParams.get('root') ?? '';
  try {
    return req.rootChainParam(root);
  } catch (err) {
    if (Object.hasOwn(ROOT_CHAIN_TYPES, root)) throw err;
    throw new HttpError(400, `valid root chain ${root}`);
  }
}

function latest(q: CheckpointQueries, chain: number): Promise<GoJsonValue> {
  return byNumber(q, chain, BigInt(q.ackCount(chain) ?? 0));
}

export function checkpointRoutes(q: CheckpointQueries): RestRoute[] {
  return [
    // Delivery's paths.
    {
      path: '/checkpoints/params',
      // The buffer time in force for the committed block: governance may have changed it (gov/params.ts).
      handle: (req) => ({
        checkpoint_buffer_time: BigInt(q.checkpointBufferTime(req.config, req.height)) * 1_000_000_000n,
        avg_checkpoint_length: req.config.checkpoint.avgLength,
        max_checkpoint_length: req.config.checkpoint.maxLength,
        child_chain_block_interval: CHILD_BLOCK_INTERVAL,
      }),
    },
    { path: '/checkpoints/buffer/:root', handle: (req) => buffer(q, req.rootChainParam(req.params.root!)) },
    { path: '/checkpoints/count/:root', handle: (req) => count(q, req.rootChainParam(req.params.root!)) },
    { path: '/checkpoints/latest/:root', handle: (req) => latest(q, req.rootChainParam(req.params.root!)) },
    {
      path: '/checkpoints/:root/:number',
      handle: (req) => {
        const chain = req.rootChainParam(req.params.root!);
        return byNumber(q, chain, parseUint64(req.params.number));
      },
    },
    {
      path: '/checkpoints/list',
      handle: async (req) => {
        const chain = listRoot(req);
        const page = parseUint64(req.url.searchParams.get('page'));
        const limit = parseUint64(req.url.searchParams.get('limit'));
        const ids = decimalOrderPage(1, q.ackCount(chain) ?? 0, clampedCount(page), Math.min(clampedCount(limit), MAX_CHECKPOINT_PAGE));
        const cps = (await Promise.all(ids.map((n) => q.get(chain, n)))).filter((c): c is AckedCheckpoint => c !== null);
        return cps.length ? cps.map((c) => deliveryCheckpoint(ackedFields(c))) : null;
      },
    },
    { path: '/checkpoints/epoch', handle: () => ({ result: (q.ackCount() ?? 0) + 1 }) },
    { path: '/checkpoints/last-no-ack', handle: () => ({ result: Math.floor(q.lastNoAckTime() / 1000) }) },
    {
      path: '/checkpoints/activation-height/:root',
      handle: (req) => {
        req.rootChainParam(req.params.root!);
        return { result: 0 };
      },
    },
    // Heimdall's staking-chain paths (`?root-chain=` for another line).
    { path: '/checkpoints/latest', handle: (req) => latest(q, req.rootChain()) },
    { path: '/checkpoints/count', handle: (req) => count(q, req.rootChain()) },
    { path: '/checkpoints/buffer', handle: (req) => buffer(q, req.rootChain()) },
    { path: '/checkpoints/:number', handle: (req) => byNumber(q, req.rootChain(), parseUint64(req.params.number)) },
  ];
}
