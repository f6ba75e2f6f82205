/**
 * The gov module (issue 18, docs/governance.md): Governor proposals mirrored from the staking chain,
 * signed ballots included in blocks so every node holds the same ballot set, a tally each validator
 * recomputes and signs when voting closes (close.ts), submitted to Governor.submitTally by
 * submission.ts, and the Governor's TallyAnchored mirrored back.
 *
 * Ballots reach the proposer through its pool (pool.ts): REST `POST /gov/ballots` on any node and the
 * ballot gossip topic. The proposer includes pooled ballots whose proposal is mirrored; the pool
 * forgets what a committed block included.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import { counter } from '../../../observability/metrics.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import type { CommittedState, DeliveryState } from '../../app/state.ts';
import type { DeliveryTx } from '../../app/types.ts';
import type { DeliveryModule, EventTxSpec, PlainTxSpec, SideTxSpec } from '../module.ts';
import { includeBallot } from './ballots.ts';
import { applyTally, proposeTallies, tallyKey, tallyVerdict, validateTallyTx } from './close.ts';
import { GOV_BALLOT_INCLUDED, GOV_PARAM_CHANGED, GOV_PROPOSAL_MIRRORED, GOV_TALLY_ANCHORED, GOV_TALLY_APPROVED } from './notices.ts';
import { BallotPool } from './pool.ts';
import { GovQueries } from './queries.ts';
import type { GovRootReader } from './reader.ts';
import { govRoutes } from './rest.ts';
import { applyParamTx, govParamTxCodec, paramTxFromEvent, PROCESSED_GOV_PARAM, validateParamTx, type GovParamTx } from './params.ts';
import { GOV_STATE, govOf } from './state.ts';
import { GovStore } from './store.ts';
import {
  anchoredTxFromEvent,
  ballotKey,
  govAnchoredTxCodec,
  govBallotTxCodec,
  govProposalTxCodec,
  govTallyTxCodec,
  proposalTxFromEvent,
  type GovAnchoredTx,
  type GovBallotTx,
  type GovProposalTx,
  type GovTallyTx,
} from './txs.ts';

/** Replay namespaces of the Governor's events (the processed marker's kind byte). */
export const PROCESSED_GOV_PROPOSAL = 14;
export const PROCESSED_GOV_ANCHORED = 15;
/** Ballots one block carries at most (the rest wait in the pool). */
export const MAX_BALLOTS_PER_BLOCK = 200;

export interface GovModuleDeps {
  stakingChainId: number;
  db: KeyValueStore;
  committed: CommittedState;
  verifier: SignatureVerifier;
  /** The staking chain's Governor and StakeVotes; null: this node mirrors and stores but never proposes or votes on a tally. */
  reader?: GovRootReader | null;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export function govModule(deps: GovModuleDeps): DeliveryModule<GovQueries> {
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-gov' }) : null;
  const store = new GovStore(deps.db);
  const pool = new BallotPool({ metrics: deps.metrics });
  const queries = new GovQueries({ store, pool, committed: deps.committed, governor: deps.reader?.governor ?? null, chainId: deps.reader ? () => deps.reader!.chainId() : undefined });
  const ballotsOf = (id: string) => store.ballotsOf(id);
  const m = deps.metrics
    ? {
        ballots: counter(
          deps.metrics,
          'bttc_delivery_gov_ballots_total',
          'Ballots by what became of them: included (pending the tally), refused at inclusion or at the tally by reason code, counted',
          ['outcome'],
        ),
        tallies: counter(deps.metrics, 'bttc_delivery_gov_tallies_total', 'Tally side txs applied, by outcome (applied, rejected, stale) and the proposal outcome when applied', ['outcome', 'result']),
        proposals: counter(deps.metrics, 'bttc_delivery_gov_proposals_total', 'Governor proposals mirrored'),
        anchored: counter(deps.metrics, 'bttc_delivery_gov_tallies_anchored_total', 'TallyAnchored events mirrored back from the Governor'),
        params: counter(deps.metrics, 'bttc_delivery_gov_param_changes_total', 'Governor ParamChanged events mirrored, by parameter and outcome (applied, stale)', ['param', 'outcome']),
      }
    : null;
  // Counted once the block is durable (committed), not while it is applied (a block may be applied and dropped).
  const pending = new WeakMap<DeliveryState, (() => void)[]>();
  const later = (s: DeliveryState, fn: () => void) => {
    let l = pending.get(s);
    if (!l) pending.set(s, (l = []));
    l.push(fn);
  };

  const proposalTx: EventTxSpec<GovProposalTx> = {
    kind: 'event',
    codec: govProposalTxCodec,
    processedKind: PROCESSED_GOV_PROPOSAL,
    validate: (tx, ctx) => {
      if (tx.ref.rootChainId !== ctx.stakingChainId) return `proposals come from the staking chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}`;
      if (tx.deadline <= tx.snapshot) return `deadline ${tx.deadline} must be after snapshot ${tx.snapshot}`;
      return null;
    },
    apply(tx, ctx, fx) {
      const g = govOf(ctx.state);
      if (g.govProposals.has(tx.proposalId)) return { outcome: 'stale', reason: 'proposal already mirrored' };
      const p = {
        id: tx.proposalId,
        proposer: tx.proposer,
        snapshot: tx.snapshot,
        deadline: tx.deadline,
        rootBlock: tx.ref.blockNumber,
        height: ctx.height,
        ballots: 0,
        closeHeight: null,
      };
      g.govProposals.set(tx.proposalId, p);
      fx.notify(GOV_PROPOSAL_MIRRORED, { ...p, rootChainId: tx.ref.rootChainId, rootTxHash: tx.ref.txHash });
      later(ctx.state, () => {
        m?.proposals.inc();
        logger?.info({ height: ctx.height, proposalId: tx.proposalId, snapshot: tx.snapshot, deadline: tx.deadline }, 'governor proposal mirrored');
      });
      return { outcome: 'applied' };
    },
  };

  const ballotTx: PlainTxSpec<GovBallotTx> = {
    kind: 'plain',
    codec: govBallotTxCodec,
    key: ballotKey,
    // Any bytes within the codec's limit are includable: a refusal is recorded, not the block refused.
    validate: () => null,
    apply(tx, ctx, fx) {
      const r = includeBallot(tx, ctx);
      fx.write(store.putBallotOp(r.proposalId, r.ballot));
      fx.notify(GOV_BALLOT_INCLUDED, r);
      const outcome = r.ballot.refusal ? `refused-${r.ballot.refusal.code}` : 'included';
      later(ctx.state, () => {
        pool.forget(tx.body);
        m?.ballots.inc({ outcome });
        if (r.ballot.refusal)
          logger?.info({ height: ctx.height, proposalId: r.proposalId, index: r.ballot.index, code: r.ballot.refusal.code, detail: r.ballot.refusal.detail }, 'ballot refused at inclusion');
      });
      return r.ballot.refusal ? { outcome: 'applied', reason: r.ballot.refusal.code } : { outcome: 'applied' };
    },
  };

  const tallyTx: SideTxSpec<GovTallyTx> = {
    kind: 'side',
    quorum: 'signatures',
    codec: govTallyTxCodec,
    key: (tx) => tallyKey(tx.proposalId),
    validate: validateTallyTx,
    verdict: (tx, v) => tallyVerdict(tx, v, { reader: deps.reader ?? null, proposal: (id) => govOf(deps.committed.get()).govProposals.get(id), ballotsOf }),
    async apply(tx, yes, ctx, fx) {
      const r = await applyTally(tx, yes, ctx, { verifier: deps.verifier, ballotsOf });
      if (r.stored) {
        fx.write(store.putTallyOp(r.stored));
        fx.notify(GOV_TALLY_APPROVED, r.stored);
      }
      const stored = r.stored;
      later(ctx.state, () => {
        m?.tallies.inc({ outcome: r.outcome, result: stored ? String(stored.tally.outcome) : '' });
        if (stored) {
          m?.ballots.inc({ outcome: 'counted' }, stored.counted.length);
          for (const f of stored.refusals) m?.ballots.inc({ outcome: `refused-${String(f.code)}` });
          logger?.info({ height: ctx.height, proposalId: tx.proposalId, closeHeight: stored.closeHeight, ...stored.tally, refusals: stored.refusals.length }, 'proposal tally approved');
        } else logger?.warn({ height: ctx.height, proposalId: tx.proposalId, outcome: r.outcome, reason: r.reason }, 'proposal tally not approved');
      });
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  const anchoredTx: EventTxSpec<GovAnchoredTx> = {
    kind: 'event',
    codec: govAnchoredTxCodec,
    processedKind: PROCESSED_GOV_ANCHORED,
    validate: (tx, ctx) => (tx.ref.rootChainId !== ctx.stakingChainId ? `tallies are anchored on the staking chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}` : null),
    async apply(tx, ctx, fx) {
      const t = await store.tally(tx.proposalId);
      if (!t) return { outcome: 'stale', reason: 'no approved tally for this proposal' };
      if (t.anchored) return { outcome: 'stale', reason: 'already anchored' };
      if (t.tally.manifestRoot !== tx.manifestRoot) return { outcome: 'stale', reason: `anchored manifest root ${tx.manifestRoot} is not the approved ${String(t.tally.manifestRoot)}` };
      const updated = { ...t, anchored: { txHash: tx.ref.txHash, blockNumber: tx.ref.blockNumber, outcome: tx.outcome, signed: tx.signed.toString(), height: ctx.height } };
      fx.write(store.putTallyOp(updated));
      fx.notify(GOV_TALLY_ANCHORED, updated);
      later(ctx.state, () => {
        m?.anchored.inc();
        logger?.info({ height: ctx.height, proposalId: tx.proposalId, txHash: tx.ref.txHash }, 'tally anchored on the root chain');
      });
      return { outcome: 'applied' };
    },
  };

  const paramTx: EventTxSpec<GovParamTx> = {
    kind: 'event',
    codec: govParamTxCodec,
    processedKind: PROCESSED_GOV_PARAM,
    validate: validateParamTx,
    apply(tx, ctx, fx) {
      const r = applyParamTx(tx, ctx);
      if (r.change) fx.notify(GOV_PARAM_CHANGED, r.change);
      later(ctx.state, () => {
        m?.params.inc({ param: r.change?.name ?? 'unknown', outcome: r.outcome });
        if (r.change) logger?.info({ ...r.change }, 'delivery parameter changed by governance');
        else logger?.warn({ height: ctx.height, key: tx.key, value: tx.value.toString(), txHash: tx.ref.txHash, reason: r.reason }, 'governor parameter change not applied');
      });
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  return {
    name: 'gov',
    txs: [proposalTx, ballotTx, tallyTx, anchoredTx, paramTx],
    state: GOV_STATE,
    buckets: [BUCKETS.deliveryGovBallot, BUCKETS.deliveryGovTally],
    queries,
    initGenesis(g) {
      g.state.init(GOV_STATE, { govProposals: new Map(), govUnattributed: 0, govParams: [] });
    },
    async propose(p) {
      const out: DeliveryTx[] = [];
      const g = govOf(p.state);
      // Ballots first: those of a proposal closing in this block are `closed` anyway.
      for (const tx of pool.candidates((id) => g.govProposals.has(id), MAX_BALLOTS_PER_BLOCK)) out.push(tx);
      if (deps.reader) {
        try {
          out.push(...(await proposeTallies(p, { reader: deps.reader, ballotsOf })));
        } catch (err) {
          logger?.warn({ err: (err as Error).message, height: p.height }, 'could not build a tally proposal');
        }
      }
      return out;
    },
    txFromRootEvent(ev) {
      const tx = proposalTxFromEvent(ev) ?? anchoredTxFromEvent(ev) ?? paramTxFromEvent(ev);
      return tx && tx.ref.rootChainId === deps.stakingChainId ? tx : null;
    },
    committed(state) {
      for (const fn of pending.get(state) ?? []) fn();
      pending.delete(state);
    },
    routes: () => govRoutes(queries),
  };
}
