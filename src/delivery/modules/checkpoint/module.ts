/**
 * The checkpoint module (spec §5): checkpoints per root chain proposed by the checkpoint proposer,
 * approved by the validators' signatures in their side votes, acked by the root chain's
 * NewHeaderBlock, and no-acks when the root chain stays silent. Submitting an approved checkpoint
 * is not part of applying a block: submission.ts listens on committed blocks.
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
import { CHECKPOINT_ACKED, CHECKPOINT_APPROVED } from './notices.ts';
import { checkpointVerdict, proposeCheckpoint, tallyCheckpoint, validateCheckpointTx } from './proposal.ts';
import { CheckpointQueries } from './queries.ts';
import { checkpointRoutes } from './rest.ts';
import { CHECKPOINT_STATE, checkpointOf, genesisCheckpointState } from './state.ts';
import { CheckpointStore } from './store.ts';
import { ackTxFromEvent, checkpointAckTxCodec, checkpointNoAckTxCodec, checkpointTxCodec, type CheckpointAckTx, type CheckpointNoAckTx, type CheckpointTx } from './txs.ts';

/** Replay namespace of acks (the processed marker's kind byte). */
export const PROCESSED_ACK = 2;

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

export function checkpointModule(deps: CheckpointModuleDeps): DeliveryModule<CheckpointQueries> {
  const store = new CheckpointStore(deps.db);
  const queries = new CheckpointQueries(deps.stakingChainId, { committed: deps.committed, store });
  const hasher = deps.hasher ?? null;
  const ackCount = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_checkpoint_ack_count', 'Checkpoints acked per root chain', ['root_chain']) : null;
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

  return {
    name: 'checkpoint',
    txs: [checkpointTx, ackTx, noAckTx],
    state: CHECKPOINT_STATE,
    buckets: [BUCKETS.deliveryCheckpoint],
    queries,
    initGenesis(g) {
      g.state.init(CHECKPOINT_STATE, genesisCheckpointState(g.config, g.genesis.time));
    },
    proposeBeforeEvents(p) {
      const tx = proposeNoAck(p);
      return tx ? [tx] : [];
    },
    async propose(p) {
      const out: CheckpointTx[] = [];
      for (const t of checkpointOf(p.state).tracks) {
        if (p.pending(`checkpoint/${t.rootChainId}`)) continue;
        try {
          const cp = await proposeCheckpoint(p.state, t.rootChainId, p, { bttc: deps.bttc, hasher, me: p.me });
          if (cp) out.push(cp);
        } catch (err) {
          logger?.warn({ err: (err as Error).message, rootChainId: t.rootChainId }, 'could not build a checkpoint proposal');
        }
      }
      return out;
    },
    txFromRootEvent: ackTxFromEvent,
    committed(state) {
      for (const t of checkpointOf(state).tracks) ackCount?.set({ root_chain: String(t.rootChainId) }, t.ackCount);
    },
    routes: () => checkpointRoutes(queries),
  };
}
