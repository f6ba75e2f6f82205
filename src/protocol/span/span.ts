/**
 * Span boundaries and the span record Delivery stores and Bttc commits (spec §7): span 0 covers
 * [0, firstSpanEnd]; span k ≥ 1 covers [firstSpanEnd + 1 + (k − 1)·spanLength, firstSpanEnd + k·spanLength].
 */
import type { BttcLayerConfig } from '../../config/types.ts';
import { ValidatorSet } from '../validators/validator-set.ts';
import type { ValidatorSetJson } from '../validators/interface.ts';
import { validatorFromJson, validatorToJson, type Validator, type ValidatorJson } from '../validators/validator.ts';

export type SpanParams = Pick<BttcLayerConfig, 'firstSpanEnd' | 'spanLength' | 'sprint' | 'producerCount'>;

function checkParams(p: SpanParams): void {
  if (!Number.isSafeInteger(p.firstSpanEnd) || p.firstSpanEnd < 0) throw new RangeError(`bttc.firstSpanEnd must be a non-negative integer, got ${p.firstSpanEnd}`);
  if (!Number.isSafeInteger(p.spanLength) || p.spanLength <= 0) throw new RangeError(`bttc.spanLength must be a positive integer, got ${p.spanLength}`);
}

export function spanBounds(spanId: number, p: SpanParams): { start: number; end: number } {
  checkParams(p);
  if (!Number.isSafeInteger(spanId) || spanId < 0) throw new RangeError(`span id must be a non-negative integer, got ${spanId}`);
  if (spanId === 0) return { start: 0, end: p.firstSpanEnd };
  return { start: p.firstSpanEnd + 1 + (spanId - 1) * p.spanLength, end: p.firstSpanEnd + spanId * p.spanLength };
}

export function spanIdForBlock(block: number, p: SpanParams): number {
  checkParams(p);
  if (!Number.isSafeInteger(block) || block < 0) throw new RangeError(`block must be a non-negative integer, got ${block}`);
  if (block <= p.firstSpanEnd) return 0;
  return Math.floor((block - p.firstSpanEnd - 1) / p.spanLength) + 1;
}

/** Heimdall's span: the validator set at proposal time plus the producers picked for it. */
export interface Span {
  id: number;
  startBlock: number;
  endBlock: number;
  validatorSet: ValidatorSet;
  selectedProducers: Validator[];
  bttcChainId: number;
}

export interface SpanJson {
  id: number;
  startBlock: number;
  endBlock: number;
  validatorSet: ValidatorSetJson;
  selectedProducers: ValidatorJson[];
  bttcChainId: number;
}

export function spanToJson(s: Span): SpanJson {
  return { id: s.id, startBlock: s.startBlock, endBlock: s.endBlock, validatorSet: s.validatorSet.toJSON(), selectedProducers: s.selectedProducers.map(validatorToJson), bttcChainId: s.bttcChainId };
}

export function spanFromJson(json: unknown): Span {
  if (json === null || typeof json !== 'object') throw new TypeError('span: expected an object');
  const j = json as SpanJson;
  for (const k of ['id', 'startBlock', 'endBlock', 'bttcChainId'] as const) if (!Number.isSafeInteger(j[k]) || j[k] < 0) throw new TypeError(`span.${k}: expected a non-negative integer`);
  if (j.endBlock < j.startBlock) throw new TypeError(`span ${j.id}: endBlock ${j.endBlock} < startBlock ${j.startBlock}`);
  if (!Array.isArray(j.selectedProducers)) throw new TypeError('span.selectedProducers: expected an array');
  return {
    id: j.id,
    startBlock: j.startBlock,
    endBlock: j.endBlock,
    validatorSet: ValidatorSet.fromJSON(j.validatorSet),
    selectedProducers: j.selectedProducers.map((v, i) => validatorFromJson(v, `selectedProducers[${i}]`)),
    bttcChainId: j.bttcChainId,
  };
}
