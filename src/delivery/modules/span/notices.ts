/** What the span module announces in a committed block. */
import { notice } from '../module.ts';
import type { StoredSpanJson } from './store.ts';

/** A span approved and stored: Bttc's producers for its range. */
export const SPAN_COMMITTED = notice<StoredSpanJson>('span', 'committed');
