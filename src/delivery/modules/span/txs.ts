/**
 * The span transaction (spec §7): once Bttc has reached the start of the latest span, the next span
 * is proposed with a seed from the root chain; validators vote Yes when their own seed source gives
 * the same hash; on approval the producers are drawn with selectNextProducers from the
 * span-eligible validators and the span is stored for Bttc to read. Seeds come through SpanSeeds,
 * which answers within a short bound: a proposer without the seed proposes the span at a later
 * height, a voter without it abstains.
 */
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import { selectNextProducers, spanEligibleValidators } from '../../../protocol/span/selection.ts';
import { spanBounds, spanToJson, type SpanJson } from '../../../protocol/span/span.ts';
import type { ValidatorSet } from '../../../protocol/validators/validator-set.ts';
import type { Reader, Writer } from '../../app/binary.ts';
import type { BttcHeaderReader } from '../../app/interface.ts';
import type { DeliveryTx } from '../../app/types.ts';
import type { ApplyOutcome, ModuleContext } from '../context.ts';
import type { BlockContext, TxCodec, Verdict } from '../module.ts';
import { stakingAckCount } from '../checkpoint/state.ts';
import { deliverySet } from '../staking/state.ts';
import type { SpanSeeds } from './seed.ts';
import { spanDuration } from '../gov/params.ts';
import { lastSpanBounds, spanOf } from './state.ts';

export const SPAN_TX = 5;

export interface SpanTx extends DeliveryTx {
  type: typeof SPAN_TX;
  spanId: number;
  startBlock: number;
  endBlock: number;
  /** 32-byte root-chain block hash the producers are drawn from. */
  seed: string;
  bttcChainId: number;
}

/** spanId u64 ‖ startBlock u64 ‖ endBlock u64 ‖ seed 32 ‖ bttcChainId u64 */
export const spanTxCodec: TxCodec<SpanTx> = {
  type: SPAN_TX,
  name: 'span',
  encode(w: Writer, tx: SpanTx): void {
    w.u64(tx.spanId);
    w.u64(tx.startBlock);
    w.u64(tx.endBlock);
    w.hex(tx.seed, 32, 'span seed');
    w.u64(tx.bttcChainId);
  },
  decode(r: Reader): SpanTx {
    return { type: SPAN_TX, spanId: r.num('spanId'), startBlock: r.num('startBlock'), endBlock: r.num('endBlock'), seed: r.hex(32, 'seed'), bttcChainId: r.num('bttcChainId') };
  },
};

/** Bounds of the next span (the first not yet committed): after the latest one, span_duration long as in force for this block. */
export function nextSpanBounds(ctx: BlockContext): { start: number; end: number } {
  const last = lastSpanBounds(ctx.state, ctx.config);
  return { start: last.end + 1, end: last.end + spanDuration(ctx.state, ctx.height, ctx.config) };
}

export function validateSpanTx(tx: SpanTx, ctx: BlockContext): string | null {
  const last = spanOf(ctx.state).lastSpanId;
  if (tx.spanId !== last + 1) return `span ${tx.spanId} must be ${last + 1}`;
  const b = nextSpanBounds(ctx);
  if (tx.startBlock !== b.start || tx.endBlock !== b.end) return `span ${tx.spanId} must cover [${b.start}, ${b.end}], got [${tx.startBlock}, ${tx.endBlock}]`;
  if (tx.bttcChainId !== ctx.config.bttc.chainId) return `bttcChainId ${tx.bttcChainId} must be ${ctx.config.bttc.chainId}`;
  return null;
}

export async function spanVerdict(tx: SpanTx, seeds: Pick<SpanSeeds, 'seed'>): Promise<Verdict> {
  const mine = await seeds.seed(tx.spanId, 'vote');
  if (!mine) return { vote: 'abstain' };
  return bytesToHex(mine) === tx.seed ? { vote: 'yes' } : { vote: 'no' };
}

/** Span `id` drawn from `set`; its bounds are given (a validated span tx's) or, for span 0, the configured ones. */
export function makeSpan(id: number, set: ValidatorSet, seed: Uint8Array, ackCount: number, ctx: Pick<ModuleContext, 'config'>, bounds?: { start: number; end: number }): SpanJson {
  const b = bounds ?? spanBounds(id, ctx.config.bttc);
  const eligible = spanEligibleValidators(set.validators(), ackCount);
  const { producers } = selectNextProducers(seed, eligible, ctx.config.bttc.producerCount);
  return spanToJson({ id, startBlock: b.start, endBlock: b.end, validatorSet: set.copy(), selectedProducers: producers, bttcChainId: ctx.config.bttc.chainId });
}

export function applySpanTx(tx: SpanTx, ctx: BlockContext): { outcome: ApplyOutcome; span?: SpanJson; reason?: string } {
  const err = validateSpanTx(tx, ctx);
  if (err) return { outcome: 'stale', reason: err };
  const span = makeSpan(tx.spanId, deliverySet(ctx.state), hexToBytes(tx.seed), stakingAckCount(ctx.state, ctx.stakingChainId), ctx, { start: tx.startBlock, end: tx.endBlock });
  const st = spanOf(ctx.state);
  st.lastSpanId = tx.spanId;
  st.lastSpanStart = tx.startBlock;
  st.lastSpanEnd = tx.endBlock;
  return { outcome: 'applied', span };
}

/**
 * The next span, once Bttc has entered the latest one (Heimdall's rule: span N+1 is proposed while
 * Bttc is in span N), so it is in place a whole span before Bttc needs it (at the last sprint of
 * span N). Null while not due, or while its seed is not at hand (a later height proposes it).
 */
export async function proposeSpan(ctx: BlockContext, deps: { bttc: BttcHeaderReader; seeds: Pick<SpanSeeds, 'seed'> }): Promise<SpanTx | null> {
  const lastSpanId = spanOf(ctx.state).lastSpanId;
  const cur = lastSpanBounds(ctx.state, ctx.config);
  const latest = await deps.bttc.latestNumber();
  if (latest < cur.start) return null;
  const id = lastSpanId + 1;
  const seed = await deps.seeds.seed(id, 'proposal');
  if (seed?.length !== 32) return null;
  const b = nextSpanBounds(ctx);
  return { type: SPAN_TX, spanId: id, startBlock: b.start, endBlock: b.end, seed: bytesToHex(seed), bttcChainId: ctx.config.bttc.chainId };
}
