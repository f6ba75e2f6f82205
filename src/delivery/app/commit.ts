/**
 * A decided Delivery block's commit (the proposal and the > 2/3 precommits that decided it): how it
 * is stored beside the block, how it travels in `delivery-by-range`, and how a node that was not
 * there checks it before applying the block.
 *
 *   stored : bundle(proposal with an empty value ‖ precommit*)   (the value is the stored block)
 *   wire   : bundle(proposal ‖ precommit*)                       (the block is the proposal's value)
 *
 * Both reuse the consensus codec, so what a syncing node verifies are the exact bytes validators signed.
 */
import { CodecError, decodeMessages, encodeBundle, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from '../consensus/codec.ts';
import type { ValidatorSetView } from '../consensus/interface.ts';
import { MsgType, type Commit, type Proposal, type Vote } from '../consensus/types.ts';
import { isQuorum } from '../../protocol/quorum.ts';
import type { SignatureVerifier, VerifyItem } from '../../pools/interface.ts';
import { bytesToHex, equalBytes } from '../../util/bytes.ts';

const EMPTY = new Uint8Array(0);

function splitCommit(bytes: Uint8Array, what: string): { proposal: Proposal; precommits: Vote[] } {
  const msgs = decodeMessages(bytes);
  const [first, ...rest] = msgs;
  if (first?.kind !== 'proposal') throw new CodecError(`${what}: must start with the proposal`);
  const precommits = rest.map((m, i) => {
    if (m.kind !== 'vote') throw new CodecError(`${what}: message ${i + 1} is a second proposal`);
    return m.vote;
  });
  return { proposal: first.proposal, precommits };
}

/** The stored form: the value is left out, the block beside it is the value. */
export function encodeStoredCommit(c: Commit): Uint8Array {
  return encodeBundle([encodeProposal({ ...c.proposal, value: EMPTY }), ...c.precommits.map(encodeVote)]);
}

export function decodeStoredCommit(bytes: Uint8Array, block: Uint8Array): Commit {
  const { proposal, precommits } = splitCommit(bytes, 'stored commit');
  return { height: proposal.height, round: proposal.round, proposal: { ...proposal, value: block, valueId: valueIdOf(block) }, precommits };
}

/** One `delivery-by-range` item: the commit with the block as its proposal's value. */
export function encodeSyncItem(c: Commit): Uint8Array {
  return encodeBundle([encodeProposal(c.proposal), ...c.precommits.map(encodeVote)]);
}

export function decodeSyncItem(bytes: Uint8Array): { block: Uint8Array; commit: Commit } {
  const { proposal, precommits } = splitCommit(bytes, 'delivery sync item');
  return { block: proposal.value, commit: { height: proposal.height, round: proposal.round, proposal, precommits } };
}

/**
 * Null when `commit` proves `block` was decided at `height` by `set`: a proposal by the round's
 * proposer for the block, and precommits for it from distinct members of the set holding > 2/3 of
 * its power, all in the commit's round, every signature valid. Otherwise the first thing wrong.
 * A single bad signature fails the whole commit: an honest node only ever stores verified votes.
 */
export async function commitError(o: { chainId: string; height: number; block: Uint8Array; commit: Commit; set: ValidatorSetView }, verifier: SignatureVerifier): Promise<string | null> {
  const { commit: c, set, height } = o;
  const valueId = valueIdOf(o.block);
  const p = c.proposal;
  if (c.height !== height || p.height !== height) return `commit is for height ${p.height}, expected ${height}`;
  if (p.round !== c.round) return `proposal round ${p.round} differs from the commit round ${c.round}`;
  if (!equalBytes(p.valueId, valueId)) return 'the proposal is not for this block';
  const proposer = set.proposer(c.round);
  if (!equalBytes(p.proposer, proposer.address)) return `proposal by ${bytesToHex(p.proposer)}, but round ${c.round}'s proposer is ${bytesToHex(proposer.address)}`;
  const items: VerifyItem[] = [{ kind: 'secp256k1-verify', digest: proposalDigest(o.chainId, p), signature: p.signature.subarray(0, 64), publicKey: proposer.publicKey }];
  if (p.signature[64]! > 1) return 'proposal signature has a bad recovery byte';
  const seen = new Set<string>();
  let power = 0;
  for (const v of c.precommits) {
    const who = bytesToHex(v.validator);
    if (v.type !== MsgType.Precommit) return `${who}: a prevote in a commit`;
    if (v.height !== height || v.round !== c.round) return `${who}: precommit for ${v.height}/${v.round}, expected ${height}/${c.round}`;
    if (!v.valueId || !equalBytes(v.valueId, valueId)) return `${who}: precommit is not for this block`;
    const val = set.getByAddress(who);
    if (!val) return `${who} is not in the validator set of height ${height}`;
    if (seen.has(who)) return `${who} precommits twice`;
    if (v.signature[64]! > 1) return `${who}: signature has a bad recovery byte`;
    seen.add(who);
    power += val.votingPower;
    items.push({ kind: 'secp256k1-verify', digest: voteDigest(o.chainId, v), signature: v.signature.subarray(0, 64), publicKey: val.publicKey });
  }
  if (!isQuorum(power, set.totalVotingPower)) return `precommits hold ${power} of ${set.totalVotingPower} voting power, not more than 2/3`;
  const results = await verifier.verifyBatch(items);
  const bad = results.findIndex((r) => !r.ok);
  if (bad === 0) return 'invalid proposal signature';
  if (bad > 0) return `${bytesToHex(c.precommits[bad - 1]!.validator)}: invalid precommit signature`;
  return null;
}
