/**
 * The checkpoint module (spec §5): checkpoints per root chain proposed by the checkpoint proposer,
 * approved by the validators' signatures in their side votes, acked by the root chain's
 * NewHeaderBlock, and no-acks when the root chain stays silent. A checkpoint acked on a chain other
 * than the staking chain is then synced to the staking chain (sync.ts, sync-ack.ts). Submitting an
 * approved checkpoint or sync record is not part of applying a block: submission.ts listens on
 * committed blocks.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import { gauge } from '../../../observability/metrics.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import type { BttcHeaderReader, CheckpointHasher } from '../../app/interface.ts';
import type { CommittedState } from '../../app/state.ts';
import type { DeliveryModule, EventTxSpec, PlainTxSpec, SideTxSpec } from '../module.ts';
import { ackStaleInPool, applyAckTx, validateAckTx } from './ack.ts';
import { applyNoAckTx, proposeNoAck, validateNoAckTx } from './no-ack.ts';
import { CHECKPOINT_ACKED, CHECKPOINT_APPROVED, CHECKPOINT_SYNC_APPROVED, CHECKPOINT_SYNCED } from './notices.ts';
import { checkpointVerdict, proposeCheckpoint, tallyCheckpoint, validateCheckpointTx } from './proposal.ts';
import { checkpointRoutes } from './rest.ts';
import { CHECKPOINT_STATE, checkpointOf, genesisCheckpointState, syncedCount } from './state.ts';
import { CheckpointStore } from './store.ts';
import { proposeSyncs, syncKey, syncVerdict, tallySync, validateSyncTx } from './sync.ts';
import { applySyncAckTx, syncAckStaleInPool, validateSyncAckTx } from './sync-ack.ts';
import { CheckpointModuleQueries } from './sync-queries.ts';
import { CheckpointSyncStore } from './sync-store.ts';
import { checkpointSyncAckTxCodec, checkpointSyncTxCodec, syncAckTxFromEvent, type CheckpointSyncAckTx, type CheckpointSyncTx } from './sync-txs.ts';
import { ackTxFromEvent, checkpointAckTxCodec, checkpointNoAckTxCodec, checkpointTxCodec, type CheckpointAckTx, type CheckpointNoAckTx, type CheckpointTx } from './txs.ts';

/** Replay namespace of acks (the processed marker's kind byte). */
export const PROCESSED_ACK = 2;
/** Replay namespace of the staking chain's sync acks. */
export const PROCESSED_SYNC_ACK = 4;

export interface CheckpointModuleDeps {
  stakingChainId: number;
  db: KeyValueStore;
  committed: CommittedState;
  bttc: BttcHeaderReader;
  hasher?: CheckpointHasher | null;
  verifier: SignatureVerifier;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export function checkpointModule(deps: CheckpointModuleDeps): DeliveryModule<CheckpointModuleQueries> {
  const store = new CheckpointStore(deps.db);
  const syncStore = new CheckpointSyncStore(deps.db);
  const queries = new CheckpointModuleQueries(deps.stakingChainId, { committed: deps.committed, store, syncStore });
  const hasher = deps.hasher ?? null;
  const ackCount = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_checkpoint_ack_count', 'Checkpoints acked per root chain', ['root_chain']) : null;
  const syncCount = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_checkpoint_synced_count', 'Checkpoints of a root chain acked as sync records by the staking chain', ['root_chain']) : null;
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-checkpoint' }) : null;

  const checkpointTx: SideTxSpec<CheckpointTx> = {
    kind: 'side',
    quorum: 'signatures',
    codec: checkpointTxCodec,
    key: (tx) => `checkpoint/${tx.rootChainId}`,
    validate: validateCheckpointTx,
    verdict: (tx, v) => checkpointVerdict(tx, { bttc: deps.bttc, hasher, signerKey: v.signerKey }),
    async apply(tx, yes, ctx, fx) {
      const r = await tallyCheckpoint(tx, yes, ctx, { verifier: deps.verifier });
      if (r.buffer) fx.notify(CHECKPOINT_APPROVED, { rootChainId: tx.rootChainId, buffer: r.buffer });
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  const ackTx: EventTxSpec<CheckpointAckTx> = {
    kind: 'event',
    codec: checkpointAckTxCodec,
    processedKind: PROCESSED_ACK,
    validate: validateAckTx,
    // Two acks for one root chain in flight would both expect the same header block.
    exclusive: (tx) => ({ key: `ack/${tx.ref.rootChainId}`, reason: 'another ack for this root chain is pending' }),
    staleInPool: ackStaleInPool,
    apply(tx, ctx, fx) {
      const r = applyAckTx(tx, ctx);
      if (r.record) {
        fx.write(store.putOp(r.record));
        fx.notify(CHECKPOINT_ACKED, r.record);
      }
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  const noAckTx: PlainTxSpec<CheckpointNoAckTx> = {
    kind: 'plain',
    codec: checkpointNoAckTxCodec,
    key: () => 'noack',
    validate: validateNoAckTx,
    apply(_tx, ctx) {
      applyNoAckTx(ctx);
      return { outcome: 'applied' };
    },
  };

  const syncTx: SideTxSpec<CheckpointSyncTx> = {
    kind: 'side',
    quorum: 'signatures',
    codec: checkpointSyncTxCodec,
    key: (tx) => syncKey(tx.sync.rootChainId),
    validate: validateSyncTx,
    verdict: (tx, v) => syncVerdict(tx, { store, signerKey: v.signerKey }),
    async apply(tx, yes, ctx, fx) {
      const r = await tallySync(tx, yes, ctx, { verifier: deps.verifier, store });
      if (r.buffer) fx.notify(CHECKPOINT_SYNC_APPROVED, { rootChainId: tx.sync.rootChainId, buffer: r.buffer });
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  const syncAckTx: EventTxSpec<CheckpointSyncAckTx> = {
    kind: 'event',
    codec: checkpointSyncAckTxCodec,
    processedKind: PROCESSED_SYNC_ACK,
    validate: validateSyncAckTx,
    // Two acks for one synced chain in flight would both expect the same number.
    exclusive: (tx) => ({ key: `sync-ack/${tx.syncedChainId}`, reason: 'another sync ack for this root chain is pending' }),
    staleInPool: syncAckStaleInPool,
    apply(tx, ctx, fx) {
      const r = applySyncAckTx(tx, ctx);
      if (r.record) {
        fx.write(syncStore.putOp(r.record));
        fx.notify(CHECKPOINT_SYNCED, r.record);
      }
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  return {
    name: 'checkpoint',
    // Appended after the original three: the order of a module's txs is not part of any encoding.
    txs: [checkpointTx, ackTx, noAckTx, syncTx, syncAckTx],
    state: CHECKPOINT_STATE,
    buckets: [BUCKETS.deliveryCheckpoint, BUCKETS.deliveryCheckpointSync],
    queries,
    initGenesis(g) {
      g.state.init(CHECKPOINT_STATE, genesisCheckpointState(g.config, g.genesis.time));
    },
    proposeBeforeEvents(p) {
      const tx = proposeNoAck(p);
      return tx ? [tx] : [];
    },
    async propose(p) {
      const out: (CheckpointTx | CheckpointSyncTx)[] = [];
      for (const t of checkpointOf(p.state).tracks) {
        if (p.pending(`checkpoint/${t.rootChainId}`)) continue;
        try {
          const cp = await proposeCheckpoint(p.state, t.rootChainId, p, { bttc: deps.bttc, hasher, me: p.me });
          if (cp) out.push(cp);
        } catch (err) {
          logger?.warn({ err: (err as Error).message, rootChainId: t.rootChainId }, 'could not build a checkpoint proposal');
        }
      }
      try {
        out.push(...(await proposeSyncs(p, { store })));
      } catch (err) {
        logger?.warn({ err: (err as Error).message }, 'could not build a checkpoint-sync proposal');
      }
      return out;
    },
    txFromRootEvent: (ev) => ackTxFromEvent(ev) ?? syncAckTxFromEvent(ev, deps.stakingChainId),
    committed(state) {
      for (const t of checkpointOf(state).tracks) {
        ackCount?.set({ root_chain: String(t.rootChainId) }, t.ackCount);
        if (t.rootChainId !== deps.stakingChainId) syncCount?.set({ root_chain: String(t.rootChainId) }, syncedCount(t));
      }
    },
    routes: () => checkpointRoutes(queries),
  };
}
