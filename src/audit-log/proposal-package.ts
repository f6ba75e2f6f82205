/**
 * The proposal evidence package (kind "proposal"): the same versioned format and manifest-of-hashes
 * rules as the checkpoint package (evidence.ts), built from a node's public log alone:
 *
 *   content: { proposal, ballots: { counted, refusals, manifestRoot }, tally, validation, records,
 *              batches, anchors, summary }
 *
 * `ballots.counted` are the tally's ballot.accepted records sorted by voter (voter, support, power,
 * ballot hash, stream index), `refusals` the ballot.refused records (index, voter, reason code).
 * `validation` is recomputed from the ballots in the package alone: the Merkle manifest root and the
 * counts and outcome (src/gov/tally.ts), compared with the tally data the validators signed (and the
 * Governor anchored), and every signature recovered over that data's vote hash.
 */
import { recover } from '../crypto/secp256k1.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { AuditError } from '../audit/interface.ts';
import type { Support } from '../gov/ballot.ts';
import { tallyProposal, type CountedBallot } from '../gov/tally.ts';
import { decodeTallyRecord, tallyVoteHash } from '../gov/tally-data.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import type { AuditBatch } from './batch.ts';
import { manifestOf, packageHeader, storyOf, summaryLogLine, timelineLines, type EvidencePackage, type SignatureCheck } from './evidence.ts';
import type { AnchorState } from './interface.ts';
import { canonicalJson, type AuditRecord } from './record.ts';
import { isRedacted, type ChainEntry, type LogExport } from './verify.ts';

export interface CountedLeaf {
  voter: string;
  support: number;
  power: string;
  nonce: string;
  ballotHash: string;
  index: number;
}

export interface RefusalEntry {
  index: number;
  voter: string | null;
  reasonCode: string;
  detail: string;
}

export interface ProposalValidation {
  /** Recomputed from `ballots.counted`. */
  manifestRoot: string;
  counts: { forVotes: string; againstVotes: string; abstainVotes: string; vetoVotes: string; ballotCount: number; outcome: string };
  /** The recomputed root, counts and outcome equal the signed tally data (and the tally.finish record). */
  tallyMatches: boolean;
  /** The root the Governor's TallyAnchored named equals the recomputed one; null: not anchored in the log. */
  anchoredMatches: boolean | null;
  voteHash: string | null;
  signatures: SignatureCheck[];
  validSignatures: number;
}

export interface ProposalPackage extends Omit<EvidencePackage, 'kind' | 'content'> {
  kind: 'proposal';
  content: {
    proposal: { id: string; governor: string | null; proposer: string; snapshot: number; deadline: number; rootChainId: number; rootTxHash: string; rootBlock: number };
    ballots: { counted: CountedLeaf[]; refusals: RefusalEntry[]; manifestRoot: string };
    tally: {
      data: string;
      tally: Record<string, unknown>;
      closeHeight: number;
      submitter: string;
      signatures: { signer: string; signature: string }[];
      anchored: { rootTxHash: string; rootBlock: number; outcome: number; signed: string } | null;
    } | null;
    validation: ProposalValidation | null;
    records: ChainEntry[];
    batches: AuditBatch[];
    anchors: AnchorState[];
    summary: string;
  };
}

const byVoter = (a: { voter: string }, b: { voter: string }) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0);

function recoverAddress(hash: Uint8Array, signature: string): string | null {
  try {
    const sig = hexToBytes(signature);
    const pub = recover(sig.subarray(0, 64), sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!, hash);
    return bytesToHex(keccak256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

/** The ballots section as the story's records give it. */
export function ballotsFrom(story: readonly AuditRecord[]): { counted: CountedLeaf[]; refusals: RefusalEntry[] } {
  const counted = story
    .filter((r) => r.type === 'ballot.accepted')
    .map((r) => {
      const p = r.payload as unknown as CountedLeaf;
      return { voter: p.voter, support: p.support, power: p.power, nonce: p.nonce, ballotHash: p.ballotHash, index: p.index };
    })
    .sort(byVoter);
  const refusals = story
    .filter((r) => r.type === 'ballot.refused')
    .map((r) => {
      const p = r.payload as unknown as RefusalEntry;
      return { index: p.index, voter: p.voter, reasonCode: p.reasonCode, detail: p.detail };
    })
    .sort((a, b) => a.index - b.index);
  return { counted, refusals };
}

/** Recomputes everything the package claims about the tally from its ballots and signatures alone. */
export function validateProposal(c: Pick<ProposalPackage['content'], 'proposal' | 'ballots' | 'tally'>): ProposalValidation | null {
  const t = c.tally;
  if (!t) return null;
  let record: ReturnType<typeof decodeTallyRecord> | null = null;
  try {
    record = decodeTallyRecord(hexToBytes(t.data));
  } catch {
    record = null;
  }
  const accepted = new Map<string, CountedBallot>(
    c.ballots.counted.map((b) => [b.voter, { voter: b.voter, support: b.support as Support, power: BigInt(b.power), nonce: BigInt(b.nonce), ballotHash: b.ballotHash, index: b.index }]),
  );
  const totalPower = record?.totalPower ?? BigInt(String(t.tally.totalPower));
  const re = tallyProposal({ id: c.proposal.id, snapshot: BigInt(c.proposal.snapshot), deadline: BigInt(c.proposal.deadline), closeHeight: t.closeHeight }, accepted, totalPower);
  const counts = {
    forVotes: re.forVotes.toString(),
    againstVotes: re.againstVotes.toString(),
    abstainVotes: re.abstainVotes.toString(),
    vetoVotes: re.vetoVotes.toString(),
    ballotCount: re.ballots.length,
    outcome: re.outcome,
  };
  const tallyMatches =
    !!record &&
    record.proposalId === c.proposal.id &&
    record.snapshot === BigInt(c.proposal.snapshot) &&
    record.deadline === BigInt(c.proposal.deadline) &&
    record.manifestRoot === re.manifestRoot &&
    record.forVotes === re.forVotes &&
    record.againstVotes === re.againstVotes &&
    record.abstainVotes === re.abstainVotes &&
    record.vetoVotes === re.vetoVotes &&
    record.ballotCount === BigInt(re.ballots.length) &&
    t.tally.manifestRoot === re.manifestRoot &&
    t.tally.outcome === re.outcome &&
    c.ballots.manifestRoot === re.manifestRoot;
  const vh = record ? tallyVoteHash(record) : null;
  const signatures = t.signatures.map((s): SignatureCheck => {
    const recovered = vh ? recoverAddress(vh, s.signature) : null;
    return { signer: s.signer, signature: s.signature, recovered, valid: recovered === s.signer.toLowerCase() };
  });
  return {
    manifestRoot: re.manifestRoot,
    counts,
    tallyMatches,
    anchoredMatches: t.anchored ? String(t.tally.manifestRoot) === re.manifestRoot : null,
    voteHash: vh ? bytesToHex(vh) : null,
    signatures,
    validSignatures: signatures.filter((s) => s.valid).length,
  };
}

function summaryOf(p: Omit<ProposalPackage, 'manifest' | 'content'> & { content: Omit<ProposalPackage['content'], 'summary'> }): string {
  const c = p.content;
  const v = c.validation;
  const full = c.records.filter((r): r is AuditRecord => !isRedacted(r));
  const t = c.tally;
  const lines = [
    `# Evidence package: proposal ${c.proposal.id}`,
    '',
    `- Governor \`${c.proposal.governor ?? '(not in the log: no tally yet)'}\`, proposer \`${c.proposal.proposer}\`; created by root-chain tx \`${c.proposal.rootTxHash}\` (chain ${c.proposal.rootChainId}, block ${c.proposal.rootBlock})`,
    `- Power snapshot at root block ${c.proposal.snapshot}; voting deadline root block ${c.proposal.deadline}`,
    `- Ballots: ${c.ballots.counted.length} counted (manifest root \`${c.ballots.manifestRoot}\`), ${c.ballots.refusals.length} refused${c.ballots.refusals.length ? ` (${[...new Set(c.ballots.refusals.map((r) => r.reasonCode))].join(', ')})` : ''}`,
    t
      ? `- Tally: ${String(t.tally.outcome)}; for ${String(t.tally.forVotes)}, against ${String(t.tally.againstVotes)}, abstain ${String(t.tally.abstainVotes)}, veto ${String(t.tally.vetoVotes)} of total power ${String(t.tally.totalPower)}; voting closed at Delivery height ${t.closeHeight}`
      : '- Tally: none in the log yet',
    v
      ? `- Recomputed from the ballots in this package: manifest root ${v.tallyMatches ? 'and counts equal' : '**or counts differ from**'} the signed tally; ${v.validSignatures} of ${v.signatures.length} signatures recover to their signer over vote hash \`${v.voteHash}\``
      : '- Validation: no tally to check',
    t?.anchored
      ? `- Anchored on the root chain by tx \`${t.anchored.rootTxHash}\` (block ${t.anchored.rootBlock}, outcome ${t.anchored.outcome})${v?.anchoredMatches ? '' : ' **with a different manifest root**'}`
      : '- Anchored: no TallyAnchored in the log yet',
    summaryLogLine('proposal', full.length, c, p),
    '',
    '## Ballot manifest',
    '',
    '| voter | support | power | ballot hash |',
    '|---|---|---|---|',
    ...c.ballots.counted.map((b) => `| ${b.voter} | ${b.support} | ${b.power} | ${b.ballotHash} |`),
    '',
    ...timelineLines(full),
    '',
    '## Check it',
    '',
    '`bttc-node audit package FILE` checks the manifest, the record chain, the batch signatures and recomputes the',
    'manifest root and counts from the ballots offline; add `--rpc BTTC_URL --root ROOT_URL` to check each anchor.',
    '',
  ];
  return lines.join('\n');
}

const PROPOSAL_ID = /^0x[0-9a-f]{64}$/;

/** A proposal id as the flag gives it: 0x 32-byte hex, or a decimal uint256 (the Governor's form). */
export function parseProposalId(s: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) return s.toLowerCase();
  if (/^\d+$/.test(s) && BigInt(s) < 1n << 256n) return `0x${BigInt(s).toString(16).padStart(64, '0')}`;
  throw new AuditError(`--proposal: expected a proposal id (0x 32-byte hex or a decimal uint256), got ${JSON.stringify(s)}`);
}

/** Builds a proposal's package from a node's public log. */
export function buildProposalPackage(log: LogExport, proposalId: string, opts: { now?: number } = {}): ProposalPackage {
  if (!PROPOSAL_ID.test(proposalId)) throw new AuditError(`--proposal: ${JSON.stringify(proposalId)} is not a lower-case 0x 32-byte id`);
  const correlation = `proposal:${proposalId}`;
  const story = log.records.filter((r) => r.correlationId === correlation);
  const created = story.find((r) => r.type === 'proposal.created');
  if (!created) throw new AuditError(`--proposal ${proposalId}: no proposal.created record for it in this node's log: not mirrored yet, or mirrored before the log began`);
  const cp = created.payload as unknown as Omit<ProposalPackage['content']['proposal'], 'id' | 'governor'>;
  const start = [...story].reverse().find((r) => r.type === 'tally.start');
  const finish = [...story].reverse().find((r) => r.type === 'tally.finish');
  const anchored = [...story].reverse().find((r) => r.type === 'tally.anchored');
  const proposal = {
    id: proposalId,
    governor: start ? String(start.payload.governor) : finish ? decodeTallyRecord(hexToBytes(String(finish.payload.data))).governor : null,
    proposer: cp.proposer,
    snapshot: cp.snapshot,
    deadline: cp.deadline,
    rootChainId: cp.rootChainId,
    rootTxHash: cp.rootTxHash,
    rootBlock: cp.rootBlock,
  };
  const ballots = { ...ballotsFrom(story), manifestRoot: finish ? String(finish.payload.manifestRoot) : `0x${'00'.repeat(32)}` };
  const fp = finish?.payload as unknown as { data: string; tally: Record<string, unknown>; closeHeight: number; submitter: string; signatures: { signer: string; signature: string }[] } | undefined;
  const ap = anchored?.payload as unknown as { rootTxHash: string; rootBlock: number; outcome: number; signed: string } | undefined;
  const tally = fp
    ? {
        data: fp.data,
        tally: fp.tally,
        closeHeight: fp.closeHeight,
        submitter: fp.submitter,
        signatures: fp.signatures,
        anchored: ap ? { rootTxHash: ap.rootTxHash, rootBlock: ap.rootBlock, outcome: ap.outcome, signed: ap.signed } : null,
      }
    : null;
  const { records, batches, anchors } = storyOf(log, new Set(story.map((r) => r.seq)));
  const base = packageHeader(log, 'proposal' as const, correlation, opts.now);
  const content = { proposal, ballots, tally, validation: validateProposal({ proposal, ballots, tally }), records, batches, anchors };
  const pkg = { ...base, content: { ...content, summary: summaryOf({ ...base, content }) } };
  return { ...pkg, manifest: manifestOf(pkg) };
}

/**
 * The proposal-specific offline checks once the manifest and the record chain hold: the sections are
 * what the package's own records state, and the validation is what recomputing gives. Null: verified.
 */
export function checkProposalContent(c: ProposalPackage['content']): string | null {
  const story = c.records.filter((r): r is AuditRecord => !isRedacted(r) && r.correlationId === `proposal:${c.proposal.id}`);
  const created = story.find((r) => r.type === 'proposal.created');
  if (!created) return 'proposal: no proposal.created record in the package names it';
  for (const k of ['proposer', 'snapshot', 'deadline', 'rootChainId', 'rootTxHash', 'rootBlock'] as const)
    if (canonicalJson(created.payload[k] ?? null) !== canonicalJson(c.proposal[k])) return `proposal.${k}: differs from the proposal.created record`;
  const fromRecords = ballotsFrom(story);
  if (canonicalJson(fromRecords.counted) !== canonicalJson(c.ballots.counted)) return 'ballots.counted: not the ballot.accepted records in the package';
  if (canonicalJson(fromRecords.refusals) !== canonicalJson(c.ballots.refusals)) return 'ballots.refusals: not the ballot.refused records in the package';
  const finish = [...story].reverse().find((r) => r.type === 'tally.finish');
  if (!!finish !== !!c.tally) return c.tally ? 'tally: no tally.finish record in the package carries it' : 'tally: the package has a tally.finish record but no tally';
  if (finish && c.tally) {
    for (const k of ['data', 'tally', 'closeHeight', 'submitter', 'signatures'] as const)
      if (canonicalJson(finish.payload[k] ?? null) !== canonicalJson(c.tally[k] as never)) return `tally.${k}: differs from the tally.finish record`;
    if (finish.payload.manifestRoot !== c.ballots.manifestRoot) return 'ballots.manifestRoot: not the root the tally.finish record states';
  }
  const v = validateProposal(c);
  if (canonicalJson(v) !== canonicalJson(c.validation)) return 'validation: the stated result is not what the ballots and signatures give when checked again';
  if (v && !v.tallyMatches) return `validation: the manifest root ${v.manifestRoot} and counts recomputed from the ballots are not the signed tally's`;
  return null;
}
