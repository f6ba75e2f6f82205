/** Span's slice of the Delivery state: the id of the latest committed span (the spans live in its store). */
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';

export interface SpanState {
  lastSpanId: number;
}

export const SPAN_STATE: StateSlot<SpanState> = {
  module: 'span',
  keys: ['lastSpanId'],
  toJson: (s: SpanState) => ({ lastSpanId: s.lastSpanId }),
  fromJson: (j: Readonly<Record<string, unknown>>) => ({ lastSpanId: j.lastSpanId as number }),
  clone: (s: SpanState) => ({ ...s }),
};

export function spanOf(s: DeliveryState): SpanState {
  return s.get(SPAN_STATE);
}
