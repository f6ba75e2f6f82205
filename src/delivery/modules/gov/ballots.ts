/**
 * Including a ballot: it is stored in its proposal's stream exactly as submitted, in inclusion order.
 * Only what needs no root-chain read is decided here — a ballot that does not parse (`malformed`), one
 * naming no mirrored proposal (`unknown-proposal`; both go to the unattributed stream) and one
 * included after voting closed in Delivery (`closed`). Everything else is judged at the tally
 * (close.ts), with the power at the snapshot, in this same order.
 */
import { BallotError, parseSignedBallot } from '../../../gov/ballot.ts';
import type { RefusalCode } from '../../../gov/tally.ts';
import type { BlockContext } from '../module.ts';
import { govOf } from './state.ts';
import { type StoredBallot, UNATTRIBUTED } from './store.ts';
import type { GovBallotTx } from './txs.ts';

const dec = new TextDecoder('utf-8', { fatal: true });

/** The submitted bytes as JSON, or why not. */
export function ballotJson(body: Uint8Array): { json: unknown } | { error: string; raw: string } {
  let text: string;
  try {
    text = dec.decode(body);
  } catch {
    return { error: 'ballot: not UTF-8', raw: Buffer.from(body).toString('hex') };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `ballot: not JSON (${(err as Error).message})`, raw: text };
  }
}

/** Where the ballot goes and what (if anything) is already decided about it. Mutates the state's counters. */
export function includeBallot(tx: GovBallotTx, ctx: BlockContext): { proposalId: string; ballot: StoredBallot } {
  const g = govOf(ctx.state);
  const unattributed = (json: unknown, code: RefusalCode, detail: string) => {
    const ballot: StoredBallot = { index: g.govUnattributed++, height: ctx.height, json, refusal: { code, detail } };
    return { proposalId: UNATTRIBUTED, ballot };
  };
  const parsed = ballotJson(tx.body);
  if ('error' in parsed) return unattributed(parsed.raw, 'malformed', parsed.error);
  let proposalId: string;
  try {
    proposalId = parseSignedBallot(parsed.json).ballot.proposalId;
  } catch (err) {
    return unattributed(parsed.json, 'malformed', err instanceof BallotError ? err.message : String(err));
  }
  const p = g.govProposals.get(proposalId);
  if (!p) return unattributed(parsed.json, 'unknown-proposal', `no proposal ${proposalId} mirrored from the Governor`);
  const refusal = p.closeHeight !== null && ctx.height > p.closeHeight ? { code: 'closed' as const, detail: `included at height ${ctx.height}, voting closed at ${p.closeHeight}` } : null;
  return { proposalId, ballot: { index: p.ballots++, height: ctx.height, json: parsed.json, refusal } };
}
