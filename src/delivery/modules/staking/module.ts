/**
 * The staking module (Heimdall's staking as BTTC runs it): StakeManager events of the staking root
 * chain become validator records; the validator sets follow them at the end of each block. It owns
 * the consensus validator sets the engine asks the app for. No bucket: its records live in the state.
 */
import type { Logger } from 'pino';
import type { CommittedState } from '../../app/state.ts';
import { stakingAckCount } from '../checkpoint/state.ts';
import type { DeliveryModule, EventTxSpec } from '../module.ts';
import { endBlockValidatorUpdates } from './end-block.ts';
import { StakingQueries } from './queries.ts';
import { stakingRoutes } from './rest.ts';
import { genesisStakingState, STAKING_STATE, stakingOf } from './state.ts';
import { applyStakingTx, stakingTxCodec, stakingTxFromEvent, validateStakingTx, type StakingTx } from './txs.ts';

/** Replay namespace of staking events (the processed marker's kind byte). */
export const PROCESSED_STAKING = 1;

export interface StakingModuleDeps {
  stakingChainId: number;
  committed: CommittedState;
  logger?: Logger | null;
}

export function stakingModule(deps: StakingModuleDeps): DeliveryModule<StakingQueries> {
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-staking' }) : null;
  const queries = new StakingQueries(deps.committed);
  const stakingTx: EventTxSpec<StakingTx> = {
    kind: 'event',
    codec: stakingTxCodec,
    processedKind: PROCESSED_STAKING,
    validate: (tx, ctx) => validateStakingTx(tx, ctx),
    apply: (tx, ctx) => ({ outcome: applyStakingTx(stakingOf(ctx.state), tx) }),
  };
  return {
    name: 'staking',
    txs: [stakingTx],
    state: STAKING_STATE,
    queries,
    initGenesis(g) {
      g.state.init(STAKING_STATE, genesisStakingState(g.genesis));
    },
    endBlock(ctx) {
      const changes = endBlockValidatorUpdates(stakingOf(ctx.state), stakingAckCount(ctx.state, ctx.stakingChainId));
      if (changes.length > 0) logger?.info({ height: ctx.height, changes: changes.map((c) => ({ id: c.id, signer: c.signer, power: c.votingPower.toString() })) }, 'validator set updated');
    },
    txFromRootEvent(ev) {
      const tx = stakingTxFromEvent(ev);
      // Only the staking chain's StakeManager moves validators.
      return tx && tx.ref.rootChainId === deps.stakingChainId ? tx : null;
    },
    consensusSets(state) {
      const st = stakingOf(state);
      return { decided: st.prevConsensusSet, next: st.consensusSet };
    },
    routes: () => stakingRoutes(queries),
  };
}
