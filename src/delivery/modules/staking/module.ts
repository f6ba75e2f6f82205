/**
 * The staking module (Heimdall's staking as BTTC runs it): StakeManager events of the staking root
 * chain become validator records; the validator sets follow them at the end of each block. It owns
 * the consensus validator sets the engine asks the app for. Validator records live in the state;
 * stake (own, delegated, commission, partners, delegations) lives in its buckets (stake-store.ts),
 * moved by the stake events of stake-txs.ts. Voting power stays one validator, one vote.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KeyValueStore } from '../../../db/interface.ts';
import { counter } from '../../../observability/metrics.ts';
import type { CommittedState, DeliveryState } from '../../app/state.ts';
import { BUCKETS } from '../../../db/buckets.ts';
import { stakingAckCount } from '../checkpoint/state.ts';
import type { DeliveryModule, EventTxSpec } from '../module.ts';
import { endBlockValidatorUpdates } from './end-block.ts';
import { StakingQueries } from './queries.ts';
import { stakingRoutes } from './rest.ts';
import { applyStakeTx, joinStakeRecord } from './stake-apply.ts';
import { StakeBook, StakeStore } from './stake-store.ts';
import { STAKE_EVENT_NAMES, stakeTxCodec, stakeTxFromEvent, validateStakeTx, type StakeTx } from './stake-txs.ts';
import { genesisStakingState, STAKING_STATE, stakingOf } from './state.ts';
import { applyStakingTx, StakingKind, stakingTxCodec, stakingTxFromEvent, validateStakingTx, type StakingTx } from './txs.ts';
import type { VotingPowerReader } from './voting-power.ts';

/** Replay namespace of staking events (the processed marker's kind byte). */
export const PROCESSED_STAKING = 1;
/** Replay namespace of stake events (delegation, commission, partners, stake updates). */
export const PROCESSED_STAKE = 5;

export interface StakingModuleDeps {
  stakingChainId: number;
  committed: CommittedState;
  /** The node db: the stake buckets. */
  db: KeyValueStore;
  /** The staking chain's checkpointed votes (`/staking/voting-power`); null when it cannot be read. */
  votingPower?: VotingPowerReader | null;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export function stakingModule(deps: StakingModuleDeps): DeliveryModule<StakingQueries> {
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-staking' }) : null;
  const book = new StakeBook(new StakeStore(deps.db));
  const queries = new StakingQueries(deps.committed, book.store);
  const applied = deps.metrics
    ? counter(deps.metrics, 'bttc_delivery_stake_events_total', 'Stake events (delegation, commission, partners, stake updates) applied by Delivery, by event and outcome', ['event', 'outcome'])
    : null;
  // Counted once the block that applied them is durable (committed), not while a block is applied.
  const pendingCounts = new WeakMap<DeliveryState, { event: string; outcome: string }[]>();
  const count = (s: DeliveryState, event: string, outcome: string) => {
    let list = pendingCounts.get(s);
    if (!list) pendingCounts.set(s, (list = []));
    list.push({ event, outcome });
  };
  const stakingTx: EventTxSpec<StakingTx> = {
    kind: 'event',
    codec: stakingTxCodec,
    processedKind: PROCESSED_STAKING,
    validate: (tx, ctx) => validateStakingTx(tx, ctx),
    apply: (tx, ctx, fx) => {
      const outcome = applyStakingTx(stakingOf(ctx.state), tx);
      // A new validator's stake record starts with its Staked amount.
      if (outcome === 'applied' && tx.kind === StakingKind.Join) book.view(ctx.state, fx).putValidator(joinStakeRecord(tx.validatorId, tx.amount, tx.ref.sequence));
      return { outcome };
    },
  };
  const stakeTx: EventTxSpec<StakeTx> = {
    kind: 'event',
    codec: stakeTxCodec,
    processedKind: PROCESSED_STAKE,
    validate: (tx, ctx) => validateStakeTx(tx, ctx),
    async apply(tx, ctx, fx) {
      const st = stakingOf(ctx.state);
      // Jail moves the validator record; the sets follow in this block's end-block (end-block.ts).
      const setJailed = (jailed: boolean) => {
        const v = st.validators.get(tx.validatorId);
        if (v) st.validators.set(tx.validatorId, { ...v, jailed });
      };
      const res = await applyStakeTx(tx, book.view(ctx.state, fx), st.validators.has(tx.validatorId), setJailed);
      count(ctx.state, STAKE_EVENT_NAMES[tx.kind], res.outcome);
      if (res.outcome !== 'applied')
        logger?.debug({ height: ctx.height, event: STAKE_EVENT_NAMES[tx.kind], validatorId: tx.validatorId, outcome: res.outcome, reason: res.reason }, 'stake event not applied');
      return res;
    },
  };
  return {
    name: 'staking',
    txs: [stakingTx, stakeTx],
    state: STAKING_STATE,
    buckets: [BUCKETS.deliveryValidatorStake, BUCKETS.deliveryDelegation, BUCKETS.deliveryValidatorDelegator],
    queries,
    initGenesis(g) {
      g.state.init(STAKING_STATE, genesisStakingState(g.genesis));
    },
    endBlock(ctx) {
      const changes = endBlockValidatorUpdates(stakingOf(ctx.state), stakingAckCount(ctx.state, ctx.stakingChainId));
      if (changes.length > 0) logger?.info({ height: ctx.height, changes: changes.map((c) => ({ id: c.id, signer: c.signer, power: c.votingPower.toString() })) }, 'validator set updated');
    },
    committed(state) {
      for (const c of pendingCounts.get(state) ?? []) applied?.inc(c);
      pendingCounts.delete(state);
    },
    txFromRootEvent(ev) {
      const tx = stakingTxFromEvent(ev) ?? stakeTxFromEvent(ev);
      // Only the staking chain's StakeManager moves validators and stake.
      return tx && tx.ref.rootChainId === deps.stakingChainId ? tx : null;
    },
    consensusSets(state) {
      const st = stakingOf(state);
      return { decided: st.prevConsensusSet, next: st.consensusSet };
    },
    routes: () => stakingRoutes(queries, deps.votingPower ?? null),
  };
}
