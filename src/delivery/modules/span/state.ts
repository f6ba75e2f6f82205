/**
 * Span's slice of the Delivery state: the id and bounds of the latest committed span (the spans live
 * in its store). The next span starts after the latest one's end and runs for the span_duration in
 * force (governance may change it, gov/params.ts), so the bounds are state, not a formula.
 */
import type { NodeConfig } from '../../../config/types.ts';
import { spanBounds } from '../../../protocol/span/span.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';

export interface SpanState {
  lastSpanId: number;
  /** Bttc blocks of the latest committed span; absent in snapshots written before they were kept (the formula's then). */
  lastSpanStart?: number;
  lastSpanEnd?: number;
}

export const SPAN_STATE: StateSlot<SpanState> = {
  module: 'span',
  keys: ['lastSpanId', 'lastSpanStart', 'lastSpanEnd'],
  toJson: (s: SpanState) => ({ lastSpanId: s.lastSpanId, lastSpanStart: s.lastSpanStart, lastSpanEnd: s.lastSpanEnd }),
  fromJson: (j: Readonly<Record<string, unknown>>) => ({
    lastSpanId: j.lastSpanId as number,
    ...(typeof j.lastSpanStart === 'number' && typeof j.lastSpanEnd === 'number' ? { lastSpanStart: j.lastSpanStart, lastSpanEnd: j.lastSpanEnd } : {}),
  }),
  clone: (s: SpanState) => ({ ...s }),
};

export function spanOf(s: DeliveryState): SpanState {
  return s.get(SPAN_STATE);
}

/** Bounds of the latest committed span. */
export function lastSpanBounds(s: DeliveryState, config: Pick<NodeConfig, 'bttc'>): { start: number; end: number } {
  const st = spanOf(s);
  if (st.lastSpanStart !== undefined && st.lastSpanEnd !== undefined) return { start: st.lastSpanStart, end: st.lastSpanEnd };
  // Every span so far had the configured length: no span_duration change could have happened before these were kept.
  return spanBounds(st.lastSpanId, config.bttc);
}
