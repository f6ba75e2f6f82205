/** What the clerk module announces in a committed block. */
import { notice } from '../module.ts';
import type { EventRecord } from './store.ts';

/** A state-sync event recorded under its global id. */
export const EVENT_RECORDED = notice<EventRecord>('clerk', 'recorded');
