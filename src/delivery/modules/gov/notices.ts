/** What the gov module announces in a committed block (app.onCommitted listeners read them). */
import { notice } from '../module.ts';
import type { ParamChange } from './params.ts';
import type { GovProposal } from './state.ts';
import type { StoredBallot, StoredTally } from './store.ts';

/** A Governor proposal mirrored (its ProposalCreated approved): the audit log's proposal.created. */
export const GOV_PROPOSAL_MIRRORED = notice<GovProposal & { rootChainId: number; rootTxHash: string }>('gov', 'proposal-mirrored');

/** A ballot included in the block (refused at inclusion or waiting for the tally). */
export const GOV_BALLOT_INCLUDED = notice<{ proposalId: string; ballot: StoredBallot }>('gov', 'ballot-included');
/** A tally approved by ⌊2n/3⌋+1 signatures: its submitter sends it to the Governor. */
export const GOV_TALLY_APPROVED = notice<StoredTally>('gov', 'tally-approved');
/** The Governor's TallyAnchored mirrored back. */
export const GOV_TALLY_ANCHORED = notice<StoredTally>('gov', 'tally-anchored');
/** A Delivery parameter change from the Governor applied (in force from its effectiveHeight). */
export const GOV_PARAM_CHANGED = notice<ParamChange>('gov', 'param-changed');
