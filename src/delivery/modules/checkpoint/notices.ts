/** What the checkpoint module announces in a committed block (app.onCommitted listeners read them). */
import { notice } from '../module.ts';
import type { BufferedCheckpoint } from './state.ts';
import type { AckedCheckpoint } from './store.ts';

/** A checkpoint approved by the side votes: it waits in the buffer; its proposer submits it. */
export const CHECKPOINT_APPROVED = notice<{ rootChainId: number; buffer: BufferedCheckpoint }>('checkpoint', 'approved');
/** A checkpoint acked by the root chain's NewHeaderBlock, as stored. */
export const CHECKPOINT_ACKED = notice<AckedCheckpoint>('checkpoint', 'acked');
