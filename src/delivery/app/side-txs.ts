/**
 * Both halves of the side-tx flow, for whatever module owns each tx:
 *   verdicts  after committing block H, each validator's Yes/No on H's side txs (abstentions left
 *             out), which go into its precommit at H+1 as the vote extension;
 *   tally     committing H+2, the Yes votes its carried precommits hold for H's side txs: a tx takes
 *             effect at more than 2/3 of the consensus power, or by its module's own count
 *             (checkpoints), and a mirrored event that took effect or was found stale is marked
 *             processed and leaves the pool.
 */
import type { Logger } from 'pino';
import { isQuorum, quorumThreshold } from '../../protocol/quorum.ts';
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import { bytesToHex } from '../../util/bytes.ts';
import type { ApplyOutcome } from '../modules/context.ts';
import type { BlockContext, BlockEffects, Verdict, YesVote } from '../modules/module.ts';
import type { ModuleRegistry } from '../modules/registry.ts';
import type { PoolRef, ProcessedRef } from '../store/store.ts';
import { decodeSideVotes, encodeSideVotes, encodeTx } from './codec.ts';
import { poolKeyOf, poolRef, processedRef, type RootEventPool } from './pool.ts';
import { SideVote, type DeliveryBlock, type SideVoteEntry, type TxOutcome } from './types.ts';

/** Indices of a block's side (and event) txs: the only ones a side vote may name. */
export function sideTxIndices(registry: ModuleRegistry, b: DeliveryBlock | undefined): Set<number> {
  const out = new Set<number>();
  b?.txs.forEach((tx, i) => registry.isSide(tx) && out.add(i));
  return out;
}

/** A vote extension that decodes and votes only on side txs of the voted block. */
export function extensionOk(ext: Uint8Array, sideIdx: Set<number>): boolean {
  if (ext.length === 0) return true;
  try {
    return decodeSideVotes(ext).every((e) => sideIdx.has(e.txIndex));
  } catch {
    return false;
  }
}

/**
 * `p`'s value, or null when it has not settled within `ms` (it keeps running; its result is
 * dropped). A rejection is passed on.
 */
export function boundedOrNull<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  // A late rejection has no one left to hear it: swallow it rather than crash the process.
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Our verdicts on a committed block's side txs, encoded as a vote extension (empty when none).
 * Each verdict gets `boundMs` (it runs while the block commits, inside the consensus loop): one
 * not given by then, like one that throws, is an abstention.
 */
export async function sideVotesFor(
  b: DeliveryBlock,
  signerKey: Uint8Array,
  deps: { registry: ModuleRegistry; pool: RootEventPool; logger: Logger | null; boundMs?: number; counted: (vote: Verdict['vote']) => void },
): Promise<Uint8Array> {
  const entries: SideVoteEntry[] = [];
  for (let i = 0; i < b.txs.length; i++) {
    const r = deps.registry.route(b.txs[i]!);
    if (r.kind === 'plain') continue;
    let verdict: Verdict;
    try {
      if (r.kind === 'side') {
        const v = await boundedOrNull(r.spec.verdict(r.tx, { signerKey, height: b.height }), deps.boundMs ?? 5000);
        if (v === null) deps.logger?.warn({ height: b.height, index: i, tx: r.spec.codec.name, boundMs: deps.boundMs ?? 5000 }, 'side-tx verdict not ready in time; abstaining');
        verdict = v ?? { vote: 'abstain' };
      } else {
        // A mirrored event: Yes when our own watcher saw the identical event, abstain when it has not (yet).
        const seen = deps.pool.bytesOf(poolKeyOf(r.tx));
        verdict = seen === undefined ? { vote: 'abstain' } : seen === bytesToHex(encodeTx(r.tx, deps.registry.codecs)) ? { vote: 'yes' } : { vote: 'no' };
      }
    } catch (err) {
      deps.logger?.warn({ err: (err as Error).message, height: b.height, index: i }, 'side-tx check failed; abstaining');
      verdict = { vote: 'abstain' };
    }
    deps.counted(verdict.vote);
    if (verdict.vote === 'abstain') continue;
    entries.push({ txIndex: i, vote: verdict.vote === 'yes' ? SideVote.Yes : SideVote.No, signature: verdict.vote === 'yes' && verdict.signature ? verdict.signature : new Uint8Array(0) });
  }
  return entries.length ? encodeSideVotes(entries) : new Uint8Array(0);
}

/** What a tally adds to the block's write and outcomes. */
export interface TallyOut {
  outcomes: TxOutcome[];
  processed: ProcessedRef[];
  poolDeletes: PoolRef[];
}

/**
 * Tallies `tallied`'s side txs from the precommits `carrier` carries (cast by `set`, the consensus
 * set that decided the height in between) and applies those approved, in block order.
 */
export async function tallySideTxs(
  tallied: DeliveryBlock,
  carrier: DeliveryBlock,
  set: ValidatorSet,
  ctx: BlockContext,
  fx: BlockEffects,
  deps: { registry: ModuleRegistry },
  out: TallyOut,
): Promise<void> {
  const total = Number(set.totalVotingPower());
  const yes = new Map<number, YesVote[]>();
  for (const v of carrier.lastCommit.votes) {
    if (v.extension.length === 0) continue;
    const hex = bytesToHex(v.validator);
    const power = Number(set.getByAddress(hex)?.validator.votingPower ?? 0n);
    for (const e of decodeSideVotes(v.extension)) {
      if (e.vote !== SideVote.Yes) continue;
      let list = yes.get(e.txIndex);
      if (!list) yes.set(e.txIndex, (list = []));
      list.push({ validator: hex, power, signature: e.signature });
    }
  }
  const h = tallied.height;
  for (let index = 0; index < tallied.txs.length; index++) {
    const r = deps.registry.route(tallied.txs[index]!);
    if (r.kind === 'plain') continue;
    const votes = yes.get(index) ?? [];
    const record = (outcome: ApplyOutcome, reason?: string) => out.outcomes.push({ height: h, index, type: r.tx.type, outcome, ...(reason ? { reason } : {}) });
    if (r.kind === 'event' || r.spec.quorum === 'power') {
      const power = votes.reduce((n, v) => n + v.power, 0);
      if (!isQuorum(power, total)) {
        record('rejected', `${power}/${total} Yes, need ${quorumThreshold(total)}`);
        continue;
      }
    }
    if (r.kind === 'side') {
      const res = await r.spec.apply(r.tx, votes, ctx, fx);
      record(res.outcome, res.reason);
      continue;
    }
    const res = await r.spec.apply(r.tx, ctx, fx);
    record(res.outcome, res.reason);
    if (res.outcome === 'applied' || res.outcome === 'stale') {
      out.processed.push(processedRef(r.tx, r.spec));
      out.poolDeletes.push(poolRef(r.tx));
    }
  }
}
