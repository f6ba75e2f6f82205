/**
 * Evidence packages: one file a reviewer who trusts no node can check. Format "bttc-evidence-package"
 * version 1, written as canonical JSON (record.ts) so that every byte is significant:
 *
 *   { format, version, kind, id, createdAt, chainId, signer, anchorContract, rootChain,
 *     redactionRules, content: { checkpoint, blockRange, signatureSet, validation, records, batches,
 *     anchors, summary }, manifest: { algorithm: "keccak256", entries: { <key>: hash }, root } }
 *
 * Every top-level key but `manifest`, and every key of `content`, has its keccak256(canonical JSON)
 * in `manifest.entries`; `manifest.root` hashes the entries. `records` holds the log records of the
 * story in full and every other record of the same batches as a redacted link (its body hash), so
 * the hash chain and the batch signatures verify; a record carrying a private field (redaction rule)
 * is a redacted link too. `summary` is Markdown for people.
 */
import { readFileSync } from 'node:fs';
import { keccak256 } from '../crypto/keccak.ts';
import { recover } from '../crypto/secp256k1.ts';
import { checkpointSignBytes, voteHash } from '../protocol/checkpoint/checkpoint.ts';
import { AuditError } from '../audit/interface.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import type { AuditBatch } from './batch.ts';
import type { AnchorState } from './interface.ts';
import type { AckedCheckpoint } from '../delivery/modules/checkpoint/store.ts';
import { bodyOf, canonicalJson, encodeRecordBody, type AuditRecord } from './record.ts';
import { catchFailure, checkAnchors, checkChain, isRedacted, type AnchorProof, type ChainEntry, type LogExport, type OnlineDeps, type RedactedRecord } from './verify.ts';
import type { CheckpointHeader } from '../merkle/checkpoint.ts';
import type { ProposalPackage } from './proposal-package.ts';
import type { SlashPackage } from './slash-package.ts';

export const PACKAGE_FORMAT = 'bttc-evidence-package' as const;
export const PACKAGE_VERSION = 1 as const;

/** Payload keys that are operational, never evidence: a record holding one is shown only as its hash. */
export const PRIVATE_FIELDS = ['listen', 'staticPeers', 'rpcHost', 'restHost', 'peerId', 'peerAddress', 'ip', 'apiKey', 'dataDir'] as const;

export const REDACTION_RULES = [
  'private-stream: records of the private stream (peer addresses, local errors) are never exported',
  `private-field: a public record whose payload has a key in [${PRIVATE_FIELDS.join(', ')}] appears only as its body hash`,
  'not-involved: records of the same batches that are not part of this evidence appear only as their body hash',
];

export interface SignatureCheck {
  signer: string;
  signature: string;
  recovered: string | null;
  valid: boolean;
}

export interface CheckpointValidation {
  /** keccak256(0x01 ‖ sign bytes): what each validator signed. */
  voteHash: string;
  signatures: SignatureCheck[];
  validSignatures: number;
  /** The signed checkpoint is the acked one (same range and root). */
  signedIsAcked: boolean;
}

export interface EvidencePackage {
  format: typeof PACKAGE_FORMAT;
  version: typeof PACKAGE_VERSION;
  kind: 'checkpoint';
  id: string;
  createdAt: number;
  chainId: number;
  signer: string;
  anchorContract: string | null;
  rootChain: { id: number; name: string; address: string | null } | null;
  redactionRules: string[];
  content: {
    /** The acked checkpoint as Delivery stores it, its root-chain tx as `rootTxHash`. */
    checkpoint: Omit<AckedCheckpoint, 'borChainId' | 'signatureCount' | 'timestamp' | 'deliveryHeight' | 'txHash'> & { rootTxHash: string };
    blockRange: { start: number; end: number; blocks: number };
    signatureSet: { signatures: { signer: string; signature: string }[] } | null;
    validation: CheckpointValidation | null;
    records: ChainEntry[];
    batches: AuditBatch[];
    anchors: AnchorState[];
    summary: string;
  };
  manifest: { algorithm: 'keccak256'; entries: Record<string, string>; root: string };
}

const enc = new TextEncoder();
export const hashOf = (v: unknown): string => bytesToHex(keccak256(enc.encode(canonicalJson(v))));

export function manifestOf(pkg: { content: object }): EvidencePackage['manifest'] {
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(pkg)) if (k !== 'content') entries[k] = hashOf(v);
  for (const [k, v] of Object.entries(pkg.content)) entries[`content.${k}`] = hashOf(v);
  return { algorithm: 'keccak256', entries, root: hashOf(entries) };
}

/** The checkpoint as the checkpoint.signed record states it (what the validators signed). */
export interface SignedCheckpoint {
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
  accountRootHash?: string;
  epoch?: number;
}

/**
 * What the package's signature set proves, recomputed from the signed checkpoint (spec §4 sign
 * bytes with the log's Bttc chain id) and the signatures alone; and whether it is the acked one.
 */
export function validateCheckpointSignatures(
  acked: EvidencePackage['content']['checkpoint'],
  chainId: number,
  sigs: { signer: string; signature: string }[],
  signed: SignedCheckpoint,
): CheckpointValidation {
  const vh = voteHash(
    checkpointSignBytes({
      proposer: signed.proposer,
      start: signed.start,
      end: signed.end,
      rootHash: signed.rootHash,
      accountRootHash: signed.accountRootHash ?? '0x' + '00'.repeat(32),
      borChainId: chainId,
      epoch: signed.epoch ?? 0,
    }),
  );
  const signatures = sigs.map((s): SignatureCheck => {
    let recovered: string | null = null;
    try {
      const sig = hexToBytes(s.signature);
      const pub = recover(sig.subarray(0, 64), sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!, vh);
      recovered = bytesToHex(keccak256(pub.subarray(1)).subarray(12));
    } catch {
      recovered = null;
    }
    return { signer: s.signer, signature: s.signature, recovered, valid: recovered === s.signer.toLowerCase() };
  });
  return {
    voteHash: bytesToHex(vh),
    signatures,
    validSignatures: signatures.filter((s) => s.valid).length,
    signedIsAcked: signed.start === acked.start && signed.end === acked.end && signed.rootHash === acked.rootHash,
  };
}

export function redact(r: AuditRecord, reason: string): RedactedRecord {
  return { seq: r.seq, prev: r.prev, hash: r.hash, bodyHash: bytesToHex(keccak256(encodeRecordBody(bodyOf(r)))), redacted: reason };
}

export function privateFieldOf(r: AuditRecord): string | null {
  return PRIVATE_FIELDS.find((k) => k in r.payload) ?? null;
}

function summaryOf(p: Omit<EvidencePackage, 'manifest' | 'content'> & { content: Omit<EvidencePackage['content'], 'summary'> }): string {
  const c = p.content;
  const cp = c.checkpoint;
  const v = c.validation;
  const full = c.records.filter((r): r is AuditRecord => !isRedacted(r));
  const lines = [
    `# Evidence package: checkpoint ${cp.number} (root chain ${cp.rootChainId})`,
    '',
    `- Bttc blocks ${cp.start}–${cp.end} (${c.blockRange.blocks} blocks), root hash \`${cp.rootHash}\``,
    `- Proposer \`${cp.proposer}\`; acked as header block ${cp.headerBlockId} by root-chain tx \`${cp.rootTxHash}\``,
    v
      ? `- Signatures: ${v.validSignatures} of ${v.signatures.length} recover to their signer over vote hash \`${v.voteHash}\`${v.signedIsAcked ? '' : '; **the signed checkpoint is not the acked one**'}`
      : '- Signatures: no signature set in the log (approved before the log began?)',
    summaryLogLine('checkpoint', full.length, c, p),
    '',
    ...timelineLines(full),
    '',
    '## Check it',
    '',
    '`bttc-node audit package FILE` checks the manifest, the record chain and the batch signatures offline;',
    'add `--rpc BTTC_URL --root ROOT_URL` to check each anchor and the header block on the root chain.',
    '',
  ];
  return lines.join('\n');
}

/** The batches holding the involved records, every record of them (the others redacted), and their anchors. */
export function storyOf(log: LogExport, involved: ReadonlySet<number>): { records: ChainEntry[]; batches: AuditBatch[]; anchors: AnchorState[] } {
  const batches = log.batches.filter((b) => [...involved].some((s) => s >= b.firstSeq && s <= b.lastSeq));
  const inBatches = (s: number) => batches.some((b) => s >= b.firstSeq && s <= b.lastSeq);
  const records: ChainEntry[] = log.records
    .filter((r) => inBatches(r.seq))
    .map((r) => {
      if (!involved.has(r.seq)) return redact(r, 'not-involved');
      const field = privateFieldOf(r);
      return field ? redact(r, `private-field:${field}`) : r;
    });
  const batchSet = new Set(batches.map((b) => b.batch));
  return { records, batches, anchors: log.anchors.filter((a) => batchSet.has(a.batch)) };
}

/** Builds a checkpoint's package from a node's public log. */

/** The summary line every package has about the log behind it: records, batches, anchors. */
export function summaryLogLine(what: string, records: number, c: { batches: readonly AuditBatch[]; anchors: readonly AnchorState[] }, p: { signer: string; anchorContract: string | null }): string {
  return `- Log: ${records} records of this ${what} in ${c.batches.length} signed batch(es) by \`${p.signer}\`; ${c.anchors.filter((a) => a.block).length} batch anchor(s) on Bttc at ${p.anchorContract ?? '(not anchored)'}`;
}

/** The summary's timeline table of the package's unredacted records. */
export function timelineLines(records: readonly AuditRecord[]): string[] {
  return [
    '## Timeline',
    '',
    '| seq | time (UTC) | Delivery height | type | severity |',
    '|---|---|---|---|---|',
    ...records.map((r) => `| ${r.seq} | ${new Date(r.time).toISOString()} | ${r.height} | ${r.type} | ${r.severity} |`),
  ];
}
/** The header every evidence package starts with: format, kind and id, and whose log it came from. */
export function packageHeader<K extends string>(log: LogExport, kind: K, id: string, now?: number) {
  return {
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    kind,
    id,
    createdAt: now ?? Date.now(),
    chainId: log.chainId,
    signer: log.signer,
    anchorContract: log.anchorContract,
    rootChain: log.rootChain ?? null,
    redactionRules: REDACTION_RULES,
  };
}

export function buildCheckpointPackage(log: LogExport, number: number, opts: { rootChainId?: number; now?: number } = {}): EvidencePackage {
  const rootChainId = opts.rootChainId ?? log.rootChain?.id;
  const acked = log.records.find((r) => r.type === 'checkpoint.acked' && r.payload.number === number && (rootChainId === undefined || r.payload.rootChainId === rootChainId));
  if (!acked)
    throw new AuditError(
      `--checkpoint ${number}: no checkpoint.acked record for it in this node's log${rootChainId !== undefined ? ` (root chain ${rootChainId})` : ''}: not acked yet, or acked before the log began`,
    );
  const p = acked.payload as unknown as EvidencePackage['content']['checkpoint'] & { rootTxHash: string };
  const cp: EvidencePackage['content']['checkpoint'] = {
    rootChainId: p.rootChainId,
    number: p.number,
    headerBlockId: p.headerBlockId,
    proposer: p.proposer,
    start: p.start,
    end: p.end,
    rootHash: p.rootHash,
    accountRootHash: p.accountRootHash ?? null,
    epoch: p.epoch ?? null,
    rootTxHash: p.rootTxHash,
  };
  const involved = new Set(
    log.records
      .filter((r) => r.correlationId === acked.correlationId || (r.type === 'validator.alert' && r.payload.rootChainId === cp.rootChainId && r.payload.start === cp.start && r.payload.end === cp.end))
      .map((r) => r.seq),
  );
  const signedRec = [...log.records].reverse().find((r) => r.type === 'checkpoint.signed' && r.correlationId === acked.correlationId);
  const sigs = signedRec ? (signedRec.payload.signatures as { signer: string; signature: string }[]) : null;
  const { records, batches, anchors } = storyOf(log, involved);
  const signedCp = signedRec ? (signedRec.payload as unknown as SignedCheckpoint) : null;
  const base = packageHeader(log, 'checkpoint' as const, `checkpoint:${cp.rootChainId}:${cp.number}`, opts.now);
  const content = {
    checkpoint: cp,
    blockRange: { start: cp.start, end: cp.end, blocks: cp.end - cp.start + 1 },
    signatureSet: sigs ? { signatures: sigs } : null,
    validation: sigs && signedCp ? validateCheckpointSignatures(cp, log.chainId, sigs, signedCp) : null,
    records,
    batches,
    anchors,
  };
  const pkg = { ...base, content: { ...content, summary: summaryOf({ ...base, content }) } };
  return { ...pkg, manifest: manifestOf(pkg) };
}

/** The file form: canonical JSON and a newline. */
export function serializePackage(pkg: EvidencePackage | ProposalPackage | SlashPackage): string {
  return canonicalJson(pkg) + '\n';
}

/** A package read from a file, with whether its bytes are exactly the canonical form. */
export interface ReadPackage {
  pkg: EvidencePackage | ProposalPackage | SlashPackage;
  /** null when canonical; else the first byte offset that differs. */
  nonCanonicalAt: number | null;
  rootChainAddress: string | null;
}

export function parsePackageText(text: string, where: string): ReadPackage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AuditError(`${where} is not JSON: ${(err as Error).message}`);
  }
  const o = raw as Partial<EvidencePackage> | null;
  if (!o || typeof o !== 'object' || o.format !== PACKAGE_FORMAT) throw new AuditError(`${where}: not an evidence package (format must be "${PACKAGE_FORMAT}")`);
  if (o.version !== PACKAGE_VERSION) throw new AuditError(`${where}: package version ${JSON.stringify(o.version)} is not supported (this tool reads version ${PACKAGE_VERSION})`);
  let canonical: string;
  try {
    canonical = canonicalJson(raw) + '\n';
  } catch (err) {
    throw new AuditError(`${where}: ${(err as Error).message}`);
  }
  let at: number | null = null;
  if (canonical !== text) {
    at = 0;
    while (at < text.length && text[at] === canonical[at]) at++;
  }
  return { pkg: o as EvidencePackage | ProposalPackage | SlashPackage, nonCanonicalAt: at, rootChainAddress: o.rootChain?.address ?? null };
}

export function readPackage(file: string): ReadPackage {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePackageText(text, file);
}

export interface PackageReport {
  ok: boolean;
  id: string;
  /** The first thing that fails, named. */
  failure: string | null;
  manifestRoot: string;
  records: { full: number; redacted: number };
  batches: number;
  validSignatures: number | null;
  anchors: { checked: number; covered: number; awaitingCheckpoint: number; notIncluded: number };
  proofs: AnchorProof[];
  latestCovered: AnchorProof | null;
  headerBlock: { id: string; matches: boolean } | null;
}

/** Verifies a package offline (bytes, manifest, chain, signatures) and, with `online`, its anchors and header block. */
export async function verifyPackage(read: ReadPackage, online: (OnlineDeps & { headers: (s: number, e: number) => Promise<CheckpointHeader[]> }) | null): Promise<PackageReport> {
  const { pkg } = read;
  const c = pkg.content as EvidencePackage['content'] & ProposalPackage['content'] & SlashPackage['content'];
  const report: PackageReport = {
    ok: false,
    id: String(pkg.id),
    failure: null,
    manifestRoot: String(pkg.manifest?.root),
    records: { full: 0, redacted: 0 },
    batches: Array.isArray(c?.batches) ? c.batches.length : 0,
    validSignatures: null,
    anchors: { checked: 0, covered: 0, awaitingCheckpoint: 0, notIncluded: 0 },
    proofs: [],
    latestCovered: null,
    headerBlock: null,
  };
  const done = (failure: string): PackageReport => ({ ...report, failure });
  if (read.nonCanonicalAt !== null) return done(`the file is not the canonical form it was written in (first difference at byte ${read.nonCanonicalAt})`);
  const { manifest, ...rest } = pkg;
  if (!manifest || typeof manifest !== 'object' || !c || typeof c !== 'object') return done('manifest or content missing');
  // the manifest is not hashed itself: its own fields are checked exactly (an unknown key or algorithm is a change)
  const manifestKeys = Object.keys(manifest).sort().join(',');
  if (manifestKeys !== 'algorithm,entries,root' || manifest.algorithm !== 'keccak256')
    return done(`manifest: expected {algorithm: "keccak256", entries, root}, got keys ${manifestKeys} and algorithm ${JSON.stringify(manifest.algorithm)}`);
  const expected = manifestOf(rest);
  for (const [k, h] of Object.entries(expected.entries))
    if (manifest.entries?.[k] !== h) return done(`manifest entry ${k}: the package's ${k} hashes to ${h}, the manifest says ${manifest.entries?.[k]}`);
  for (const k of Object.keys(manifest.entries ?? {})) if (!(k in expected.entries)) return done(`manifest entry ${k}: no such part in the package`);
  if (manifest.root !== expected.root) return done(`manifest root ${manifest.root} is not the hash of its entries (${expected.root})`);
  for (const r of c.records) isRedacted(r) ? report.records.redacted++ : report.records.full++;
  const chainFailure = await catchFailure(async () => checkChain({ chainId: pkg.chainId, signer: pkg.signer, batches: c.batches, records: c.records }, { partial: true }));
  if (chainFailure) return done(`${chainFailure.kind} ${chainFailure.id}: ${chainFailure.reason}`);
  if (pkg.kind === 'slash' || pkg.kind === 'proposal') {
    const failure = pkg.kind === 'slash' ? (await import('./slash-package.ts')).checkSlashContent(pkg.content) : (await import('./proposal-package.ts')).checkProposalContent(pkg.content);
    if (failure) return done(failure);
    report.validSignatures = pkg.kind === 'proposal' ? (pkg.content.validation?.validSignatures ?? null) : null;
    if (online) {
      const anchorFailure = await catchFailure(() => checkAnchors({ signer: pkg.signer, anchorContract: pkg.anchorContract, batches: c.batches, anchors: c.anchors }, online, report));
      if (anchorFailure) return done(`${anchorFailure.kind} ${anchorFailure.id}: ${anchorFailure.reason}`);
    }
    return { ...report, ok: true };
  }
  if (c.signatureSet) {
    const signed = c.records.find((r): r is AuditRecord => !isRedacted(r) && r.type === 'checkpoint.signed');
    if (!signed) return done('signatureSet: no checkpoint.signed record in the package carries it');
    if (canonicalJson(signed.payload.signatures) !== canonicalJson(c.signatureSet.signatures)) return done('signatureSet: differs from the signed record in the log');
    const v = validateCheckpointSignatures(c.checkpoint, pkg.chainId, c.signatureSet.signatures, signed.payload as unknown as SignedCheckpoint);
    if (canonicalJson(v) !== canonicalJson(c.validation)) return done('validation: the stated result is not what the signatures give when checked again');
    report.validSignatures = v.validSignatures;
  }
  const acked = c.records.find((r): r is AuditRecord => !isRedacted(r) && r.type === 'checkpoint.acked');
  if (!acked || acked.payload.number !== c.checkpoint.number || acked.payload.rootHash !== c.checkpoint.rootHash)
    return done('checkpoint: not the one the checkpoint.acked record in the package names');
  if (online) {
    const anchorFailure = await catchFailure(() => checkAnchors({ signer: pkg.signer, anchorContract: pkg.anchorContract, batches: c.batches, anchors: c.anchors }, online, report));
    if (anchorFailure) return done(`${anchorFailure.kind} ${anchorFailure.id}: ${anchorFailure.reason}`);
    const hb = await online.root.headerBlock(BigInt(c.checkpoint.headerBlockId));
    const matches = !!hb && hb.root === c.checkpoint.rootHash && Number(hb.start) === c.checkpoint.start && Number(hb.end) === c.checkpoint.end;
    report.headerBlock = { id: c.checkpoint.headerBlockId, matches };
    if (!matches) return done(`header block ${c.checkpoint.headerBlockId} on ${online.root.describe} is not this checkpoint (${hb ? `${hb.start}-${hb.end} ${hb.root}` : 'none'})`);
  }
  return { ...report, ok: true };
}
