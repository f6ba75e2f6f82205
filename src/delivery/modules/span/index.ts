/**
 * Spans (spec §7): once Bttc has reached the start of the latest span, the next span is proposed
 * with a seed from the root chain; validators vote Yes when their own seed source gives the same
 * hash; on approval the producers are drawn with selectNextProducers from the span-eligible
 * validators and the span is stored for Bttc to read.
 */
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import { selectNextProducers, spanEligibleValidators } from '../../../protocol/span/selection.ts';
import { spanBounds, spanToJson, type SpanJson } from '../../../protocol/span/span.ts';
import type { ValidatorSet } from '../../../protocol/validators/validator-set.ts';
import type { BttcHeaderReader, SpanSeedSource } from '../../app/interface.ts';
import { trackOf, type StateData } from '../../app/state.ts';
import { TxType, type SpanTx } from '../../app/types.ts';
import type { ApplyOutcome, ModuleContext } from '../context.ts';
import type { Verdict } from '../checkpoint/index.ts';

export function validateSpanTx(s: StateData, tx: SpanTx, ctx: ModuleContext): string | null {
  if (tx.spanId !== s.lastSpanId + 1) return `span ${tx.spanId} must be ${s.lastSpanId + 1}`;
  const b = spanBounds(tx.spanId, ctx.config.bttc);
  if (tx.startBlock !== b.start || tx.endBlock !== b.end) return `span ${tx.spanId} must cover [${b.start}, ${b.end}], got [${tx.startBlock}, ${tx.endBlock}]`;
  if (tx.bttcChainId !== ctx.config.bttc.chainId) return `bttcChainId ${tx.bttcChainId} must be ${ctx.config.bttc.chainId}`;
  return null;
}

export async function spanVerdict(tx: SpanTx, seed: SpanSeedSource): Promise<Verdict> {
  const mine = await seed(tx.spanId);
  if (!mine) return { vote: 'abstain' };
  return bytesToHex(mine) === tx.seed ? { vote: 'yes' } : { vote: 'no' };
}

export function makeSpan(id: number, set: ValidatorSet, seed: Uint8Array, ackCount: number, ctx: Pick<ModuleContext, 'config'>): SpanJson {
  const b = spanBounds(id, ctx.config.bttc);
  const eligible = spanEligibleValidators(set.validators(), ackCount);
  const { producers } = selectNextProducers(seed, eligible, ctx.config.bttc.producerCount);
  return spanToJson({ id, startBlock: b.start, endBlock: b.end, validatorSet: set.copy(), selectedProducers: producers, bttcChainId: ctx.config.bttc.chainId });
}

export function applySpanTx(s: StateData, tx: SpanTx, ctx: ModuleContext): { outcome: ApplyOutcome; span?: SpanJson; reason?: string } {
  const err = validateSpanTx(s, tx, ctx);
  if (err) return { outcome: 'stale', reason: err };
  const span = makeSpan(tx.spanId, s.deliverySet, hexToBytes(tx.seed), trackOf(s, ctx.stakingChainId)!.ackCount, ctx);
  s.lastSpanId = tx.spanId;
  return { outcome: 'applied', span };
}

/** The next span, once Bttc has entered the latest one (so it is in place well before that one ends). */
export async function proposeSpan(s: StateData, ctx: ModuleContext, deps: { bttc: BttcHeaderReader; seed: SpanSeedSource }): Promise<SpanTx | null> {
  const cur = spanBounds(s.lastSpanId, ctx.config.bttc);
  const latest = await deps.bttc.latestNumber();
  if (latest < cur.start) return null;
  const id = s.lastSpanId + 1;
  const seed = await deps.seed(id);
  if (!seed || seed.length !== 32) return null;
  const b = spanBounds(id, ctx.config.bttc);
  return { type: TxType.Span, spanId: id, startBlock: b.start, endBlock: b.end, seed: bytesToHex(seed), bttcChainId: ctx.config.bttc.chainId };
}
