/**
 * The span module (spec §7): Bttc's block-producer spans, proposed with a root-chain seed, approved
 * by the validators' side votes, stored for Bttc. Span 0 is written at genesis. The seed is the only
 * root-chain read on the consensus path; SpanSeeds bounds it, so a root chain that is down delays
 * the next span (and says so in `waiting()`) but never a Delivery block.
 */
import type { Logger } from 'pino';
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import type { BttcHeaderReader, SpanSeedSource } from '../../app/interface.ts';
import type { CommittedState } from '../../app/state.ts';
import type { DeliveryModule, SideTxSpec } from '../module.ts';
import { deliverySet } from '../staking/state.ts';
import { SPAN_COMMITTED } from './notices.ts';
import { SpanSeeds, type SpanSeedsOptions } from './seed.ts';
import { SpanQueries } from './queries.ts';
import { spanRoutes } from './rest.ts';
import { SPAN_STATE, spanOf } from './state.ts';
import { SpanStore } from './store.ts';
import { applySpanTx, makeSpan, proposeSpan, spanTxCodec, spanVerdict, validateSpanTx, type SpanTx } from './txs.ts';

export interface SpanModuleDeps {
  db: KeyValueStore;
  committed: CommittedState;
  bttc: BttcHeaderReader;
  seed: SpanSeedSource;
  /** Bounds on waiting for a seed (defaults: DEFAULT_SPAN_SEEDS). */
  seedTiming?: Partial<SpanSeedsOptions>;
  logger?: Logger | null;
}

export function spanModule(deps: SpanModuleDeps): DeliveryModule<SpanQueries> {
  const store = new SpanStore(deps.db);
  const queries = new SpanQueries({ committed: deps.committed, store });
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-span' }) : null;
  const seeds = new SpanSeeds(deps.seedTiming ?? {}, { source: deps.seed, logger });

  const spanTx: SideTxSpec<SpanTx> = {
    kind: 'side',
    quorum: 'power',
    codec: spanTxCodec,
    key: () => 'span',
    validate: validateSpanTx,
    verdict: (tx) => spanVerdict(tx, seeds),
    apply(tx, _yes, ctx, fx) {
      const r = applySpanTx(tx, ctx);
      if (r.span) {
        fx.write(store.putOp(r.span));
        fx.notify(SPAN_COMMITTED, r.span);
      }
      return { outcome: r.outcome, reason: r.reason };
    },
  };

  return {
    name: 'span',
    txs: [spanTx],
    state: SPAN_STATE,
    buckets: [BUCKETS.deliverySpan],
    queries,
    initGenesis(g, fx) {
      g.state.init(SPAN_STATE, { lastSpanId: 0, lastSpanStart: 0, lastSpanEnd: g.config.bttc.firstSpanEnd });
      // Span 0 covers Bttc from its genesis: every genesis validator, a zero seed, epoch 0.
      fx.write(store.putOp(makeSpan(0, deliverySet(g.state), new Uint8Array(32), 0, g)));
    },
    async propose(p) {
      if (p.pending('span')) return [];
      try {
        const sp = await proposeSpan(p, { bttc: deps.bttc, seeds });
        return sp ? [sp] : [];
      } catch (err) {
        logger?.warn({ err: (err as Error).message }, 'could not build a span proposal');
        return [];
      }
    },
    committed(state) {
      seeds.settled(spanOf(state).lastSpanId);
    },
    waiting: () => seeds.waiting(),
    routes: () => spanRoutes(queries),
  };
}
