/**
 * Closing a proposal's vote in Delivery (the tally side tx), like a checkpoint's life:
 *   propose  any block proposer, once its confirmed staking-chain head is past the deadline, reads
 *            getPastTotalSupply(snapshot) and getPastVotes(voter, snapshot) of every voter in the
 *            proposal's committed ballot stream and proposes them with the ballot domain
 *   verdict  each validator reads the same values itself; Yes (with its signature over the tally
 *            record's keccak256(0x01 ‖ data)) only when every one matches, No when one differs,
 *            abstain when it cannot read them or its own head has not passed the deadline
 *   apply    two heights later: the record recomputed from the tx and the stored stream, approved
 *            at ⌊2n/3⌋+1 valid signatures of the Delivery set; voting is closed at the tx's height
 *            − 1 (ballots included with or after the tally are `closed`), and the tally, its
 *            counted ballots and every refusal are stored
 * The record is a pure function of (stream, powers, total, domain): src/gov/tally.ts and tally-data.ts.
 */
import { type BallotDomain, ballotDigest, domainSeparator, parseSignedBallot, recoverSigner } from '../../../gov/ballot.ts';
import { judgeBallots, type ProposalTally, refusalJson, tallyJson, tallyProposal, type Refusal } from '../../../gov/tally.ts';
import { type TallyRecord, tallyRecord, tallySignBytes, tallyVoteHash, signTally } from '../../../gov/tally-data.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import { SignatureSet } from '../../../protocol/checkpoint/signature-set.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import type { BlockContext, Verdict, YesVote } from '../module.ts';
import { deliverySet, proposerSigner } from '../staking/state.ts';
import type { GovRootReader } from './reader.ts';
import { type GovProposal, govOf } from './state.ts';
import type { StoredBallot, StoredTally } from './store.ts';
import { GOV_TALLY_TX, type GovTallyTx, type VoterPower } from './txs.ts';

export function tallyKey(proposalId: string): string {
  return `gov-tally/${proposalId}`;
}

/**
 * Voters (ascending) of the stream's ballots included at or below `closeHeight` whose signature
 * recovers to them: whose power the tally needs. A ballot with a bad signature is refused before its
 * power is asked, so forged ballots cost no root-chain read.
 */
export function votersOf(stream: readonly StoredBallot[], closeHeight: number, domain: BallotDomain): string[] {
  const sep = domainSeparator(domain);
  const voters = new Set<string>();
  for (const b of stream) {
    if (b.height > closeHeight || b.refusal) continue;
    try {
      const s = parseSignedBallot(b.json);
      if (recoverSigner(ballotDigest(s.ballot, sep), s.signature) === s.ballot.voter) voters.add(s.ballot.voter);
    } catch {
      // Not in a proposal's stream: includeBallot sends unparseable ballots to the unattributed one.
    }
  }
  return [...voters].sort();
}

export interface ComputedTally {
  tally: ProposalTally;
  record: TallyRecord;
  refusals: Refusal[];
}

/** The deterministic tally of a stream closed at `closeHeight`, with the tx's powers. */
export function computeTally(p: GovProposal, stream: readonly StoredBallot[], closeHeight: number, tx: GovTallyTx): ComputedTally {
  const powers = new Map(tx.powers.map((v) => [v.voter, v.power]));
  const info = { id: p.id, snapshot: BigInt(p.snapshot), deadline: BigInt(p.deadline), closeHeight };
  const judged = judgeBallots(
    stream.map((b) => ({ json: b.json, height: b.height })),
    new Map([[p.id, info]]),
    { power: (_id, voter) => powers.get(voter) ?? 0n, domainSeparator: domainSeparator({ chainId: tx.chainId, governor: tx.governor }) },
  );
  const tally = tallyProposal(info, judged.accepted.get(p.id), tx.totalPower);
  return { tally, record: tallyRecord(tally, tx.governor, tx.chainId), refusals: judged.refusals };
}

/** Deterministic checks at inclusion. */
export function validateTallyTx(tx: GovTallyTx, ctx: BlockContext): string | null {
  const p = govOf(ctx.state).govProposals.get(tx.proposalId);
  if (!p) return `no proposal ${tx.proposalId} mirrored`;
  if (p.closeHeight !== null) return `proposal ${tx.proposalId} already tallied (closed at ${p.closeHeight})`;
  for (let i = 1; i < tx.powers.length; i++) if (tx.powers[i - 1]!.voter >= tx.powers[i]!.voter) return 'voter powers must be sorted ascending by voter, each once';
  return null;
}

async function readPowers(reader: GovRootReader, p: GovProposal, voters: readonly string[]): Promise<{ totalPower: bigint; powers: VoterPower[] }> {
  const totalPower = await reader.pastTotalSupply(p.snapshot);
  const powers: VoterPower[] = [];
  for (const voter of voters) powers.push({ voter, power: await reader.pastVotes(voter, p.snapshot) });
  return { totalPower, powers };
}

/** A block proposer's tally txs: every open proposal whose deadline its confirmed head has passed (whoever proposes, the validators check). */
export async function proposeTallies(ctx: BlockContext & { pending(key: string): boolean }, deps: { reader: GovRootReader; ballotsOf(id: string): Promise<StoredBallot[]> }): Promise<GovTallyTx[]> {
  const open = [...govOf(ctx.state).govProposals.values()].filter((p) => p.closeHeight === null && !ctx.pending(tallyKey(p.id)));
  if (open.length === 0) return [];
  const head = await deps.reader.confirmedHead();
  const out: GovTallyTx[] = [];
  for (const p of open) {
    if (head <= p.deadline) continue;
    // This block is the tx's height: the stream it closes is the committed one (height − 1).
    const domain = { governor: deps.reader.governor, chainId: await deps.reader.chainId() };
    const voters = votersOf(await deps.ballotsOf(p.id), ctx.height - 1, domain);
    const { totalPower, powers } = await readPowers(deps.reader, p, voters);
    out.push({ type: GOV_TALLY_TX, proposalId: p.id, ...domain, totalPower, powers });
  }
  return out;
}

/** This validator's check, after committing the block `height` that includes the tx. */
export async function tallyVerdict(
  tx: GovTallyTx,
  v: { height: number; signerKey: Uint8Array },
  deps: { reader: GovRootReader | null; proposal(id: string): GovProposal | undefined; ballotsOf(id: string): Promise<StoredBallot[]> },
): Promise<Verdict> {
  const r = deps.reader;
  const p = deps.proposal(tx.proposalId);
  if (!r || !p) return { vote: 'abstain' };
  if (tx.governor !== r.governor || tx.chainId !== (await r.chainId())) return { vote: 'no' };
  if ((await r.confirmedHead()) <= p.deadline) return { vote: 'abstain' };
  const closeHeight = v.height - 1;
  const stream = await deps.ballotsOf(p.id);
  const voters = votersOf(stream, closeHeight, { governor: tx.governor, chainId: tx.chainId });
  if (voters.length !== tx.powers.length || voters.some((x, i) => x !== tx.powers[i]!.voter)) return { vote: 'no' };
  const mine = await readPowers(r, p, voters);
  if (mine.totalPower !== tx.totalPower || mine.powers.some((x, i) => x.power !== tx.powers[i]!.power)) return { vote: 'no' };
  const { record } = computeTally(p, stream, closeHeight, tx);
  return { vote: 'yes', signature: signTally(record, v.signerKey) };
}

/** Two heights after inclusion: recompute, count signatures, close. */
export async function applyTally(
  tx: GovTallyTx,
  yes: readonly YesVote[],
  ctx: BlockContext,
  deps: { verifier: SignatureVerifier; ballotsOf(id: string): Promise<StoredBallot[]> },
): Promise<{ outcome: 'applied' | 'stale' | 'rejected'; reason?: string; stored?: StoredTally }> {
  const p = govOf(ctx.state).govProposals.get(tx.proposalId);
  if (!p) return { outcome: 'stale', reason: 'proposal unknown' };
  if (p.closeHeight !== null) return { outcome: 'stale', reason: `already closed at ${p.closeHeight}` };
  // Side txs are applied two heights after the block that included them.
  const closeHeight = ctx.height - 3;
  const stream = await deps.ballotsOf(p.id);
  const { tally, record, refusals } = computeTally(p, stream, closeHeight, tx);
  const set = new SignatureSet({ voteHash: tallyVoteHash(record), validators: deliverySet(ctx.state).signers() }, { verifier: deps.verifier });
  await set.add(yes.filter((y) => y.signature.length === 65).map((y) => ({ signer: y.validator, signature: y.signature })));
  if (!set.approved) return { outcome: 'rejected', reason: `${set.count} valid signature(s), need ${set.threshold}` };
  p.closeHeight = closeHeight;
  const stored: StoredTally = {
    proposalId: p.id,
    closeHeight,
    height: ctx.height,
    tally: tallyJson(tally),
    data: bytesToHex(tallySignBytes(record)),
    signatures: set.sortedSignatures().map((x) => ({ signer: x.signer, signature: bytesToHex(x.signature) })),
    submitter: proposerSigner(ctx.state) ?? '',
    counted: tally.ballots.map((b) => ({ voter: b.voter, support: b.support, power: b.power.toString(), nonce: b.nonce.toString(), ballotHash: b.ballotHash, index: b.index })),
    refusals: refusals.map(refusalJson),
    anchored: null,
  };
  return { outcome: 'applied', stored };
}
