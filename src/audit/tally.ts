/**
 * `audit tally`: a governance proposal's result recomputed from public data only (issue 18) and
 * compared with the result anchored on the Governor.
 *   - the proposal (snapshot, deadline) and the anchored tally: eth_call on the Governor;
 *   - power at the snapshot: StakeVotes' VotesMoved logs, recomputed by audit/voting-power.ts (no
 *     getPastVotes is trusted);
 *   - the ballot set: a file (or Delivery REST) in the ballot-set shape below;
 * then the same pure judge and tally every Delivery node runs (src/gov/tally.ts).
 *
 * Ballot set: {"proposalId": "0x…", "closeHeight": N | null, "ballots": [{"height": N, "ballot": {
 *   "proposalId", "support", "voter", "nonce", "reason", "signature"}}, …]} in inclusion order.
 */
import { Interface } from 'ethers';
import { domainSeparator } from '../gov/ballot.ts';
import type { TallyRecord } from '../gov/tally-data.ts';
import { type BallotEntry, judgeBallots, type Judged, type ProposalInfo, type ProposalTally, type Refusal, tallyProposal } from '../gov/tally.ts';
import { judgeBallotsPooled } from '../gov/tally-pooled.ts';
import type { SignatureVerifier } from '../pools/interface.ts';
import { AuditError } from './interface.ts';
import type { JsonRpcEndpoint } from './json-rpc.ts';
import { type FetchOptions, fetchVotesMoved, recomputeVotingPower, type VotingPower } from './voting-power.ts';

const GOV = new Interface([
  'function votes() view returns (address)',
  'function proposalSnapshot(uint256) view returns (uint256)',
  'function proposalDeadline(uint256) view returns (uint256)',
  'function proposalTally(uint256) view returns ((uint256 forVotes, uint256 againstVotes, uint256 abstainVotes, uint256 vetoVotes, uint256 totalPower, uint256 ballotCount, bytes32 manifestRoot))',
]);

export interface BallotSet {
  proposalId: string;
  closeHeight: number | null;
  ballots: BallotEntry[];
}

export function parseBallotSet(json: unknown, what: string): BallotSet {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new AuditError(`${what}: expected an object {proposalId, closeHeight, ballots}`);
  const o = json as Record<string, unknown>;
  if (typeof o.proposalId !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(o.proposalId)) throw new AuditError(`${what}.proposalId: expected 32 bytes of 0x-hex`);
  const ch = o.closeHeight;
  if (ch !== null && (typeof ch !== 'number' || !Number.isSafeInteger(ch) || ch < 0)) throw new AuditError(`${what}.closeHeight: expected a height or null`);
  if (!Array.isArray(o.ballots)) throw new AuditError(`${what}.ballots: expected an array`);
  const ballots = o.ballots.map((e: unknown, i): BallotEntry => {
    const r = e as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object' || typeof r.height !== 'number' || !Number.isSafeInteger(r.height) || r.height < 0)
      throw new AuditError(`${what}.ballots[${i}]: expected {height, ballot} with a non-negative integer height`);
    // The ballot itself is judged, not validated here: a malformed one is a refusal, not an audit error.
    return { height: r.height, json: r.ballot };
  });
  return { proposalId: o.proposalId.toLowerCase(), closeHeight: ch as number | null, ballots };
}

/** What Governor.proposalTally returns: the signed record's counts and root. */
export type AnchoredTally = Omit<TallyRecord, 'governor' | 'chainId' | 'proposalId' | 'snapshot' | 'deadline'>;

/** The pure part: judge and tally one proposal's ballot set against power recomputed from logs. */
export function recomputeTally(p: ProposalInfo, set: BallotSet, power: VotingPower, domain: { chainId: bigint; governor: string }): { tally: ProposalTally; refusals: Refusal[] } {
  checkSnapshot(p, power);
  return tallied(p, judgeBallots(set.ballots, new Map([[p.id, p]]), judgeDeps(power, domain)), power);
}

/** recomputeTally with the signature recoveries in a verify pool (same verdicts; for large ballot sets). */
export async function recomputeTallyPooled(
  p: ProposalInfo,
  set: BallotSet,
  power: VotingPower,
  domain: { chainId: bigint; governor: string },
  verifier: SignatureVerifier,
): Promise<{ tally: ProposalTally; refusals: Refusal[] }> {
  checkSnapshot(p, power);
  return tallied(p, await judgeBallotsPooled(set.ballots, new Map([[p.id, p]]), judgeDeps(power, domain), verifier), power);
}

function checkSnapshot(p: ProposalInfo, power: VotingPower): void {
  if (power.block !== p.snapshot) throw new AuditError(`power recomputed at block ${power.block}, the snapshot is ${p.snapshot}`);
}

function judgeDeps(power: VotingPower, domain: { chainId: bigint; governor: string }) {
  return { domainSeparator: domainSeparator(domain), power: (_id: string, voter: string) => power.accounts.get(voter) ?? 0n };
}

function tallied(p: ProposalInfo, judged: Judged, power: VotingPower): { tally: ProposalTally; refusals: Refusal[] } {
  return { tally: tallyProposal(p, judged.accepted.get(p.id), power.total), refusals: judged.refusals };
}

export function compareTally(t: ProposalTally, a: AnchoredTally | null): string[] {
  if (!a) return ['no tally is anchored on the Governor for this proposal'];
  const diffs: string[] = [];
  const cmp = (k: string, mine: bigint | string, theirs: bigint | string) => {
    if (mine !== theirs) diffs.push(`${k}: recomputed ${mine}, anchored ${theirs}`);
  };
  cmp('forVotes', t.forVotes, a.forVotes);
  cmp('againstVotes', t.againstVotes, a.againstVotes);
  cmp('abstainVotes', t.abstainVotes, a.abstainVotes);
  cmp('vetoVotes', t.vetoVotes, a.vetoVotes);
  cmp('totalPower', t.totalPower, a.totalPower);
  cmp('ballotCount', BigInt(t.ballots.length), a.ballotCount);
  cmp('manifestRoot', t.manifestRoot, a.manifestRoot.toLowerCase());
  return diffs;
}

export interface TallyAuditInput {
  governor: string;
  proposalId: string;
  ballots: BallotSet;
  fromBlock?: bigint;
  fetch?: FetchOptions;
}

export interface TallyAuditResult {
  proposal: ProposalInfo;
  tally: ProposalTally;
  refusals: Refusal[];
  anchored: AnchoredTally | null;
  differences: string[];
  events: number;
}

async function call(rpc: JsonRpcEndpoint, to: string, fn: string, args: unknown[], what: string): Promise<import('ethers').Result> {
  let res: unknown;
  try {
    res = await rpc.call<string>('eth_call', [{ to, data: GOV.encodeFunctionData(fn, args) }, 'latest']);
  } catch (err) {
    throw new AuditError(`${what}: ${fn} failed: ${(err as Error).message}`);
  }
  if (typeof res !== 'string' || !/^0x[0-9a-fA-F]*$/.test(res)) throw new AuditError(`${rpc.http.name}: eth_call ${fn} answered ${JSON.stringify(res)}`);
  try {
    return GOV.decodeFunctionResult(fn, res);
  } catch {
    throw new AuditError(`${what}: ${fn} answered ${res} (not a bttc-node Governor?)`);
  }
}

export interface TallyAuditDeps {
  rpc: JsonRpcEndpoint;
  /** Recover ballot signers in this pool (large ballot sets); without it they are recovered inline. */
  verifier?: SignatureVerifier | null;
}

export async function auditTally(input: TallyAuditInput, deps: TallyAuditDeps): Promise<TallyAuditResult> {
  const { rpc } = deps;
  const id = BigInt(input.proposalId);
  if (input.ballots.proposalId !== input.proposalId) throw new AuditError(`--ballots: the set is for proposal ${input.ballots.proposalId}, not ${input.proposalId}`);
  const code = await rpc.call<string>('eth_getCode', [input.governor, 'latest']);
  if (typeof code !== 'string' || code === '0x') throw new AuditError(`--governor: no contract at ${input.governor}`);
  const chainId = BigInt(await rpc.call<string>('eth_chainId'));
  const stakeVotes = (String((await call(rpc, input.governor, 'votes', [], '--governor'))[0]) as string).toLowerCase();
  const snapshot = (await call(rpc, input.governor, 'proposalSnapshot', [id], '--governor'))[0] as bigint;
  const deadline = (await call(rpc, input.governor, 'proposalDeadline', [id], '--governor'))[0] as bigint;
  if (snapshot === 0n) throw new AuditError(`--proposal: the Governor ${input.governor} has no proposal ${input.proposalId}`);
  const head = BigInt(await rpc.call<string>('eth_blockNumber'));
  if (snapshot >= head) throw new AuditError(`--proposal: its snapshot block ${snapshot} is not below the chain head ${head} yet`);
  let anchored: AnchoredTally | null = null;
  try {
    const t = (await call(rpc, input.governor, 'proposalTally', [id], '--governor'))[0] as Record<string, unknown>;
    anchored = {
      forVotes: t.forVotes as bigint,
      againstVotes: t.againstVotes as bigint,
      abstainVotes: t.abstainVotes as bigint,
      vetoVotes: t.vetoVotes as bigint,
      totalPower: t.totalPower as bigint,
      ballotCount: t.ballotCount as bigint,
      manifestRoot: (t.manifestRoot as string).toLowerCase(),
    };
  } catch (err) {
    if (!/no tally anchored/.test((err as Error).message)) throw err;
  }
  const moves = await fetchVotesMoved(rpc, stakeVotes, input.fromBlock ?? 0n, snapshot, input.fetch);
  const power = recomputeVotingPower(moves, snapshot);
  const proposal: ProposalInfo = { id: input.proposalId, snapshot, deadline, closeHeight: input.ballots.closeHeight };
  const domain = { chainId, governor: input.governor };
  const { tally, refusals } = deps.verifier ? await recomputeTallyPooled(proposal, input.ballots, power, domain, deps.verifier) : recomputeTally(proposal, input.ballots, power, domain);
  return { proposal, tally, refusals, anchored, differences: compareTally(tally, anchored), events: moves.length };
}
