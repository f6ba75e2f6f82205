/** What the slashing module announces in a committed block (one per stage, with the evidence id). */
import { notice } from '../module.ts';
import type { SlashRecord } from './store.ts';
import type { SignedBatch } from './state.ts';

/** Evidence accepted: a candidate opened (or, slashing off, recorded only). */
export const SLASH_RECORDED = notice<SlashRecord>('slashing', 'recorded');
/** A candidate voided by counter-evidence. */
export const SLASH_VOIDED = notice<SlashRecord>('slashing', 'voided');
/** A candidate's challenge window passed: it is final and queued for the root chain. */
export const SLASH_FINAL = notice<SlashRecord>('slashing', 'final');
/** A batch of final slashes got ⌊n·2/3⌋+1 signatures: ready for SlashingManager.updateSlashedAmounts. */
export const SLASH_BATCH_SIGNED = notice<SignedBatch>('slashing', 'batch-signed');
