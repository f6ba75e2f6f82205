/**
 * The modules every Delivery node runs, in order (Cosmos' module manager). The order is part of the
 * protocol: genesis and end-block run in it, and the state snapshot lists the modules' slices in it.
 * A new module is one more entry here (and its folder); nothing in app/ names it.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KeyValueStore } from '../../db/interface.ts';
import type { SignatureVerifier } from '../../pools/interface.ts';
import type { BttcHeaderReader, CheckpointHasher, SpanSeedSource } from '../app/interface.ts';
import type { CommittedState } from '../app/state.ts';
import type { DeliveryTx } from '../app/types.ts';
import { checkpointModule } from './checkpoint/module.ts';
import { CHECKPOINT_ACKED, CHECKPOINT_APPROVED } from './checkpoint/notices.ts';
import type { CheckpointModuleQueries } from './checkpoint/sync-queries.ts';
import { checkpointSyncAckTxCodec, checkpointSyncTxCodec } from './checkpoint/sync-txs.ts';
import type { BufferedCheckpoint } from './checkpoint/state.ts';
import type { AckedCheckpoint } from './checkpoint/store.ts';
import { checkpointAckTxCodec, checkpointNoAckTxCodec, checkpointTxCodec } from './checkpoint/txs.ts';
import { clerkModule } from './clerk/module.ts';
import { EVENT_RECORDED } from './clerk/notices.ts';
import type { ClerkQueries } from './clerk/queries.ts';
import type { EventRecord } from './clerk/store.ts';
import { eventRecordTxCodec } from './clerk/txs.ts';
import { govModule } from './gov/module.ts';
import type { GovQueries } from './gov/queries.ts';
import type { GovRootReader } from './gov/reader.ts';
import { govAnchoredTxCodec, govBallotTxCodec, govProposalTxCodec, govTallyTxCodec } from './gov/txs.ts';
import { govParamTxCodec } from './gov/params.ts';
import type { DeliveryModule, Notices, TxCodec } from './module.ts';
import { spanModule } from './span/module.ts';
import { SPAN_COMMITTED } from './span/notices.ts';
import type { SpanQueries } from './span/queries.ts';
import type { StoredSpanJson } from './span/store.ts';
import { spanTxCodec } from './span/txs.ts';
import { stakingModule } from './staking/module.ts';
import { slashingModule } from './slashing/module.ts';
import type { SlashingQueries } from './slashing/queries.ts';
import { slashChallengeTxCodec, slashEvidenceTxCodec } from './slashing/txs.ts';
import { slashBatchTxCodec } from './slashing/batch.ts';
import type { SealedHeader } from '../../slashing/checks.ts';
import { slashingParams } from '../../slashing/params.ts';
import type { SlashingConfig } from '../../config/types.ts';
import type { StakingQueries } from './staking/queries.ts';
import { stakingTxCodec } from './staking/txs.ts';
import { stakeTxCodec } from './staking/stake-txs.ts';
import type { VotingPowerReader } from './staking/voting-power.ts';

/** The built-in modules' tx codecs: what a Delivery block may hold (app/codec.ts decodes with them). */
export const BUILTIN_TX_CODECS: readonly TxCodec<DeliveryTx>[] = [
  stakingTxCodec,
  checkpointTxCodec,
  checkpointAckTxCodec,
  checkpointNoAckTxCodec,
  spanTxCodec,
  eventRecordTxCodec,
  checkpointSyncTxCodec,
  checkpointSyncAckTxCodec,
  stakeTxCodec,
  govProposalTxCodec,
  govBallotTxCodec,
  govTallyTxCodec,
  govAnchoredTxCodec,
  slashEvidenceTxCodec,
  slashChallengeTxCodec,
  slashBatchTxCodec,
  govParamTxCodec,
];

export interface BuiltinModuleDeps {
  stakingChainId: number;
  /** The node db: each module's repositories live on it. */
  db: KeyValueStore;
  committed: CommittedState;
  bttc: BttcHeaderReader;
  hasher?: CheckpointHasher | null;
  spanSeed: SpanSeedSource;
  verifier: SignatureVerifier;
  /** The staking chain's checkpointed votes for `/staking/voting-power` (null: that route answers 503). */
  votingPower?: VotingPowerReader | null;
  /** The staking chain's Governor and StakeVotes for the gov module's tallies (null: it mirrors but never proposes or checks one). */
  gov?: GovRootReader | null;
  metrics?: Registry | null;
  logger?: Logger | null;
  /** The slashing config (issue 19) and Bttc seal recovery for double-seal evidence. */
  slashing: SlashingConfig;
  recoverSeal?: ((rlp: Uint8Array) => SealedHeader) | null;
}

export interface BuiltinQueries {
  readonly staking: StakingQueries;
  readonly checkpoint: CheckpointModuleQueries;
  readonly span: SpanQueries;
  readonly clerk: ClerkQueries;
  readonly gov: GovQueries;
  readonly slashing: SlashingQueries;
}

export function builtinModules(deps: BuiltinModuleDeps): { modules: DeliveryModule[]; queries: BuiltinQueries } {
  const staking = stakingModule({ stakingChainId: deps.stakingChainId, committed: deps.committed, db: deps.db, votingPower: deps.votingPower, metrics: deps.metrics, logger: deps.logger });
  const checkpoint = checkpointModule({
    stakingChainId: deps.stakingChainId,
    db: deps.db,
    committed: deps.committed,
    bttc: deps.bttc,
    hasher: deps.hasher,
    verifier: deps.verifier,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  const span = spanModule({ db: deps.db, committed: deps.committed, bttc: deps.bttc, seed: deps.spanSeed, logger: deps.logger });
  const clerk = clerkModule({ db: deps.db });
  const gov = govModule({ stakingChainId: deps.stakingChainId, db: deps.db, committed: deps.committed, verifier: deps.verifier, reader: deps.gov, metrics: deps.metrics, logger: deps.logger });
  const slashing = slashingModule({
    db: deps.db,
    committed: deps.committed,
    params: slashingParams(deps.slashing),
    recoverSeal: deps.recoverSeal ?? null,
    verifier: deps.verifier,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  return {
    modules: [staking, checkpoint, span, clerk, gov, slashing],
    queries: { staking: staking.queries, checkpoint: checkpoint.queries, span: span.queries, clerk: clerk.queries, gov: gov.queries, slashing: slashing.queries },
  };
}

/** A committed block's built-in notices under the names listeners have always read. */
export interface BuiltinNoticeFields {
  approvedCheckpoints: { rootChainId: number; buffer: BufferedCheckpoint }[];
  acked: AckedCheckpoint[];
  spans: StoredSpanJson[];
  eventRecords: EventRecord[];
}

export function builtinNoticeFields(n: Notices): BuiltinNoticeFields {
  return { approvedCheckpoints: [...n.of(CHECKPOINT_APPROVED)], acked: [...n.of(CHECKPOINT_ACKED)], spans: [...n.of(SPAN_COMMITTED)], eventRecords: [...n.of(EVENT_RECORDED)] };
}
