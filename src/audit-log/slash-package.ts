/**
 * The slash evidence package (kind "slash"): the same versioned format, manifest-of-hashes and
 * redaction rules as the checkpoint package (evidence.ts), built from a node's public log alone:
 *
 *   content: { evidence, offense, validator, decision, penalty, amounts, batch, validation, records,
 *              batches, anchors, summary }
 *
 * `evidence` is the slash.evidence record's evidence with its canonical encoding (keccak256 of it =
 * the id); `decision` the slash.candidate / slash.final records (challenge window, void reason);
 * `penalty` the final record's bps and jail. `validation` re-checks the evidence with src/slashing's
 * pure checks (as `bttc-node audit slash` does without a context) and recomputes the id. `batch`: the
 * last signed slash batch that carried this id (its `slash.batch-signed` record: nonce, proposer,
 * evidence hashes, data, [R, S, V] signatures and the signers they recover to; the
 * `slash.batch-submitted` record's outcome and root tx hash when this node sent it), re-checked
 * offline: the digest is keccak256(0x01 ‖ data), the data decodes to that nonce, proposer and
 * evidence hashes and carries the slash id. Not in the log, so stated as null: amounts per staker
 * (the SlashingManager cuts them from the bps) and the set at the height.
 */
import { AuditError } from '../audit/interface.ts';
import { decodeHeader, headerHash } from '../bttc/engine/header.ts';
import { recoverSignerUncached } from '../bttc/engine/seal.ts';
import { auditSlash } from '../slashing/audit.ts';
import { encodeEvidence, evidenceHash, parseEvidence, type Evidence } from '../slashing/evidence.ts';
import { decodeSlashBatch, slashBatchVoteHash } from '../slashing/batch.ts';
import { DEFAULT_PENALTIES } from '../slashing/penalty.ts';
import { bytesToHex, concatBytes, hexToBytes, uintToBytes } from '../util/bytes.ts';
import { recoverBatchSigner, type AuditBatch } from './batch.ts';
import { manifestOf, packageHeader, storyOf, summaryLogLine, timelineLines, type EvidencePackage } from './evidence.ts';
import type { AnchorState } from './interface.ts';
import { canonicalJson, type AuditRecord } from './record.ts';
import { isRedacted, type ChainEntry, type LogExport } from './verify.ts';

export interface SlashSections {
  evidence: { id: string; encoding: string; evidence: Record<string, string | number> };
  offense: string;
  validator: { signer: string; id: number; offenseHeight: number; setMembership: string };
  decision: { status: 'recorded' | 'candidate' | 'voided' | 'final'; recordedAt: number; closesAt: number | null; voidedAt: number | null; reason: string | null; finalAt: number | null };
  penalty: { selfBps: number; delegatorBps: number; jailEpochs: number; prior: number } | null;
  amounts: null;
  batch: SlashBatchSection | null;
}

/** The signed slash batch that carried the slash (from its slash-batch:<nonce> records). */
export interface SlashBatchSection {
  nonce: number;
  proposer: string;
  /** keccak256(0x01 ‖ data): what the validators signed and the SlashingManager checks. */
  digest: string;
  evidenceHashes: string[];
  /** abi.encode(nonce, proposer, slashes), as updateSlashedAmounts takes it (null: a record written before it was logged). */
  data: string | null;
  /** [R, S, V] decimal strings, sorted by signer (null as data). */
  signatures: [string, string, string][] | null;
  /** The address each signature recovers to (null: it does not recover). */
  signers: (string | null)[] | null;
  signedAt: number;
  /** This node sent it: the outcome and the root transaction (null: another validator sent it). */
  submitted: { outcome: string; rootTxHash: string | null; height: number } | null;
}

export interface SlashValidation {
  /** keccak256 of the canonical encoding, recomputed. */
  id: string;
  idMatches: boolean;
  /** The stated encoding is the canonical one of the evidence. */
  canonical: boolean;
  decision: 'slash' | 'refused' | 'not-checked';
  validator: string | null;
  code: string | null;
  reason: string | null;
  notChecked: string[];
}

export interface SlashPackage extends Omit<EvidencePackage, 'kind' | 'content'> {
  kind: 'slash';
  content: SlashSections & { validation: SlashValidation; records: ChainEntry[]; batches: AuditBatch[]; anchors: AnchorState[]; summary: string };
}

const SLASH_ID = /^0x[0-9a-f]{64}$/;

export function parseSlashId(s: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) return s.toLowerCase();
  throw new AuditError(`--slash: expected a slash id (the evidence id, 0x 32-byte hex as GET /slashing/evidence lists it), got ${JSON.stringify(s)}`);
}

const recoverSeal = (rlp: Uint8Array) => {
  const h = decodeHeader(rlp);
  return { number: h.number, hash: bytesToHex(headerHash(h)), signer: bytesToHex(recoverSignerUncached(h)) };
};

/** The slash's sections as the story's records give them (null: no slash.evidence record). */
export function slashSectionsFrom(story: readonly AuditRecord[], id: string): SlashSections | null {
  const ev = story.find((r) => r.type === 'slash.evidence');
  if (!ev) return null;
  const p = ev.payload as unknown as { offense: string; validator: string; offenseHeight: number; recordedAt: number; status: string; evidence: Record<string, string | number> };
  const cand = story.find((r) => r.type === 'slash.candidate');
  const fin = story.find((r) => r.type === 'slash.final');
  const f = fin?.payload as unknown as
    | { outcome: string; voidedAt?: number; reason?: string; finalAt?: number; selfBps?: number; delegatorBps?: number; jailEpochs?: number; prior?: number }
    | undefined;
  const status = f ? (f.outcome === 'voided' ? 'voided' : 'final') : cand ? 'candidate' : 'recorded';
  return {
    evidence: { id, encoding: new TextDecoder().decode(encodeEvidenceLoose(p.evidence)), evidence: p.evidence },
    offense: p.offense,
    validator: {
      signer: p.validator,
      id: ev.validatorId ?? 0,
      offenseHeight: p.offenseHeight,
      setMembership: 'member at the offense height: checked by every validator when the evidence was recorded (the set is not in the log)',
    },
    decision: {
      status,
      recordedAt: p.recordedAt,
      closesAt: cand ? Number(cand.payload.challengeUntil) : null,
      voidedAt: f?.outcome === 'voided' ? (f.voidedAt ?? null) : null,
      reason: f?.outcome === 'voided' ? (f.reason ?? null) : null,
      finalAt: f?.outcome === 'slashed' ? (f.finalAt ?? null) : null,
    },
    penalty: f?.outcome === 'slashed' ? { selfBps: f.selfBps ?? 0, delegatorBps: f.delegatorBps ?? 0, jailEpochs: f.jailEpochs ?? 0, prior: f.prior ?? 0 } : null,
    amounts: null,
    batch: status === 'final' ? batchSectionFrom(story, id) : null,
  };
}

/** The last slash.batch-signed record in `story` whose batch carries `id`, with its submission. */
function batchSectionFrom(story: readonly AuditRecord[], id: string): SlashBatchSection | null {
  const signed = story.filter((r) => r.type === 'slash.batch-signed' && (r.payload.evidenceHashes as readonly string[] | undefined)?.includes(id)).at(-1);
  if (!signed) return null;
  const p = signed.payload as unknown as { nonce: number; proposer: string; evidenceHashes: string[]; data?: string; signatures?: [string, string, string][] };
  const digest = signed.evidenceHash ?? '';
  const signatures = p.signatures ?? null;
  const sub = story.filter((r) => r.type === 'slash.batch-submitted' && r.payload.nonce === p.nonce).at(-1);
  return {
    nonce: p.nonce,
    proposer: p.proposer,
    digest,
    evidenceHashes: [...p.evidenceHashes],
    data: p.data ?? null,
    signatures,
    signers: signatures ? signatures.map((sig) => signerOf(digest, sig)) : null,
    signedAt: signed.height,
    submitted: sub ? { outcome: String(sub.payload.outcome), rootTxHash: (sub.payload.rootTxHash as string | null) ?? null, height: sub.height } : null,
  };
}

function signerOf(digest: string, [r, s, v]: [string, string, string]): string | null {
  try {
    const rs = concatBytes(uintToBytes(BigInt(r), 32), uintToBytes(BigInt(s), 32));
    return recoverBatchSigner(hexToBytes(digest), concatBytes(rs, Uint8Array.of(Number(v) - 27)));
  } catch {
    return null;
  }
}

/** The batch's own bytes agree with what its record states, and they carry the slash. Null: holds. */
export function checkSlashBatch(b: SlashBatchSection, id: string): string | null {
  if (!b.evidenceHashes.includes(id)) return `batch: batch ${b.nonce} does not list the slash ${id}`;
  // A log written before the batch's bytes were recorded: only the record's list can be checked.
  if (b.data === null) return null;
  let d: ReturnType<typeof decodeSlashBatch>;
  try {
    d = decodeSlashBatch(hexToBytes(b.data));
  } catch (err) {
    return `batch: the data does not decode as abi.encode(nonce, proposer, slashes): ${(err as Error).message}`;
  }
  if (slashBatchVoteHash(hexToBytes(b.data)) !== b.digest) return 'batch: keccak256(0x01 ‖ data) is not the signed digest';
  if (d.nonce !== BigInt(b.nonce) || d.proposer !== b.proposer.toLowerCase()) return `batch: the data is batch ${d.nonce} by ${d.proposer}, not ${b.nonce} by ${b.proposer}`;
  const ids = d.slashes.map((x) => x.evidenceHash.toLowerCase());
  if (canonicalJson(ids) !== canonicalJson(b.evidenceHashes)) return 'batch: the data carries other evidence hashes than the record states';
  if (!b.signers || b.signers.some((x) => x === null)) return 'batch: a signature does not recover';
  return null;
}

/** The canonical encoding, or the raw JSON when the evidence does not parse (the validation says so). */
function encodeEvidenceLoose(e: Record<string, string | number>): Uint8Array {
  try {
    return encodeEvidence(parseEvidence(e));
  } catch {
    return new TextEncoder().encode(JSON.stringify(e));
  }
}

/** Re-checks the evidence from the package's own bytes: encoding, id, and what the evidence itself proves. */
export function validateSlash(s: Pick<SlashSections, 'evidence'>): SlashValidation {
  let e: Evidence;
  try {
    e = parseEvidence(JSON.parse(s.evidence.encoding));
  } catch (err) {
    return { id: '', idMatches: false, canonical: false, decision: 'refused', validator: null, code: 'malformed', reason: (err as Error).message, notChecked: [] };
  }
  const id = evidenceHash(e);
  const base = { id, idMatches: id === s.evidence.id, canonical: new TextDecoder().decode(encodeEvidence(e)) === s.evidence.encoding };
  if (e.offense === 'downtime')
    return {
      ...base,
      decision: 'not-checked',
      validator: e.validator.toLowerCase(),
      code: null,
      reason: null,
      notChecked: ['downtime: the missed precommits are chain data the log does not carry (bttc-node audit slash --validators with "commits")'],
    };
  const params = { enabled: true, penalties: DEFAULT_PENALTIES, downtime: { window: 0, maxMissed: 0 }, challengeWindow: 0, unbondingHeights: 0 };
  const r = auditSlash(e, params, null, recoverSeal);
  return { ...base, decision: r.decision, validator: r.validator, code: r.code, reason: r.reason, notChecked: r.notChecked.filter((n) => !n.startsWith('amounts')) };
}

function summaryOf(p: { signer: string; anchorContract: string | null; content: Omit<SlashPackage['content'], 'summary'> }): string {
  const c = p.content;
  const v = c.validation;
  const d = c.decision;
  const full = c.records.filter((r): r is AuditRecord => !isRedacted(r));
  const lines = [
    `# Evidence package: slash ${c.evidence.id}`,
    '',
    `- Offense: ${c.offense} by validator ${c.validator.id} (\`${c.validator.signer}\`) at height ${c.validator.offenseHeight}; recorded at Delivery height ${d.recordedAt}`,
    `- Decision: ${d.status}${d.closesAt !== null ? `; challenge window until height ${d.closesAt}` : ''}${d.status === 'voided' ? ` (voided at ${d.voidedAt}: ${d.reason})` : ''}${d.status === 'final' ? ` (final at ${d.finalAt})` : ''}`,
    c.penalty
      ? `- Penalty: ${c.penalty.selfBps} bps of own stake, ${c.penalty.delegatorBps} bps of delegated stake, jail ${c.penalty.jailEpochs} epoch(s) (${c.penalty.prior} prior offense(s)); amounts per staker are cut by the SlashingManager, not in the log`
      : '- Penalty: none',
    c.batch
      ? `- Signed batch ${c.batch.nonce} (height ${c.batch.signedAt}, ${c.batch.signatures?.length ?? 'unrecorded'} signatures, digest \`${c.batch.digest}\`)${c.batch.submitted ? `; sent to the SlashingManager: ${c.batch.submitted.outcome}${c.batch.submitted.rootTxHash ? `, root tx \`${c.batch.submitted.rootTxHash}\`` : ''}` : "; sent by another validator (its root tx is in that node's log)"}`
      : '- Signed batch: none in this log',
    `- Re-checked: id ${v.idMatches ? 'recomputed equal' : '**differs**'}, encoding ${v.canonical ? 'canonical' : '**not canonical**'}, decision ${v.decision}${v.code ? ` (${v.code}: ${v.reason})` : ''}${v.notChecked.length ? `; not checked: ${v.notChecked.join('; ')}` : ''}`,
    summaryLogLine('slash', full.length, c, p),
    '',
    ...timelineLines(full),
    '',
    '## Check it',
    '',
    '`bttc-node audit package FILE` checks the manifest, the record chain, the batch signatures, recomputes the evidence id',
    'and re-checks the evidence offline; add `--rpc BTTC_URL --root ROOT_URL` to check each anchor.',
    '',
  ];
  return lines.join('\n');
}

/** Builds a slash's package from a node's public log. */
export function buildSlashPackage(log: LogExport, slashId: string, opts: { now?: number } = {}): SlashPackage {
  if (!SLASH_ID.test(slashId)) throw new AuditError(`--slash: ${JSON.stringify(slashId)} is not a lower-case 0x 32-byte id`);
  const correlation = `slash:${slashId}`;
  const own = log.records.filter((r) => r.correlationId === correlation);
  // The batch that carried it: its signed record, and the submission of that nonce (slash-batch:<nonce>).
  const signed = log.records.filter((r) => r.type === 'slash.batch-signed' && (r.payload.evidenceHashes as readonly string[] | undefined)?.includes(slashId)).at(-1);
  const story = signed ? [...own, ...log.records.filter((r) => r.correlationId === signed.correlationId && (r === signed || r.type === 'slash.batch-submitted'))] : own;
  const sections = slashSectionsFrom(story, slashId);
  if (!sections) throw new AuditError(`--slash ${slashId}: no slash.evidence record for it in this node's log: not recorded, or recorded before the log began`);
  const { records, batches, anchors } = storyOf(log, new Set(story.map((r) => r.seq)));
  const base = packageHeader(log, 'slash' as const, correlation, opts.now);
  const content = { ...sections, validation: validateSlash(sections), records, batches, anchors };
  const pkg = { ...base, content: { ...content, summary: summaryOf({ ...base, content }) } };
  return { ...pkg, manifest: manifestOf(pkg) };
}

/** The slash-specific offline checks once the manifest and the record chain hold. Null: verified. */
export function checkSlashContent(c: SlashPackage['content']): string | null {
  const id = c.evidence?.id;
  const story = c.records.filter((r): r is AuditRecord => !isRedacted(r) && (r.correlationId === `slash:${id}` || r.correlationId?.startsWith('slash-batch:') === true));
  const fromRecords = slashSectionsFrom(story, id);
  if (!fromRecords) return 'evidence: no slash.evidence record in the package names it';
  for (const k of ['evidence', 'offense', 'validator', 'decision', 'penalty', 'amounts', 'batch'] as const)
    if (canonicalJson(fromRecords[k] as never) !== canonicalJson((c[k] ?? null) as never)) return `${k}: not what the package's slash records state`;
  const batchFailure = c.batch ? checkSlashBatch(c.batch, id) : null;
  if (batchFailure) return batchFailure;
  const v = validateSlash(c);
  if (canonicalJson(v as never) !== canonicalJson(c.validation as never)) return 'validation: the stated result is not what re-checking the evidence gives';
  if (!v.idMatches) return `validation: the evidence hashes to ${v.id}, not the slash id ${id}`;
  if (v.decision === 'refused') return `validation: the evidence does not hold (${v.code}: ${v.reason})`;
  return null;
}
