/**
 * Slashing evidence (issue 19): one versioned schema per offense, a canonical encoding and its hash,
 * which is the evidence id everywhere (Delivery's buckets, REST, the SlashingManager's replay guard,
 * the audit CLI). Canonical = JSON with the schema's keys in a fixed order, hex lower case and
 * 0x-prefixed, integers as decimal strings; `parseEvidence` accepts only that shape, so an evidence
 * has exactly one encoding and one id.
 */
import { keccak256 } from '../crypto/keccak.ts';
import { bytesToHex } from '../util/bytes.ts';

export const EVIDENCE_VERSION = 1;

export const OFFENSES = ['double-sign', 'double-seal', 'checkpoint-equivocation', 'downtime'] as const;
export type Offense = (typeof OFFENSES)[number];

/** Two votes (consensus encoding, src/delivery/consensus/codec.ts) by one validator. */
export interface DoubleSignEvidence {
  v: 1;
  offense: 'double-sign';
  chainId: string;
  voteA: string;
  voteB: string;
}

/** Two Bttc headers (RLP) sealed by one signer at one height. */
export interface DoubleSealEvidence {
  v: 1;
  offense: 'double-seal';
  headerA: string;
  headerB: string;
}

/** Two checkpoint payloads (ABI, as the RootChain takes them) signed 0x01-prefixed by one signer. */
export interface CheckpointEquivocationEvidence {
  v: 1;
  offense: 'checkpoint-equivocation';
  signer: string;
  dataA: string;
  sigA: string;
  dataB: string;
  sigB: string;
}

/** The validator missed more than X of the N Delivery commits ending at `toHeight` (N = window). */
export interface DowntimeEvidence {
  v: 1;
  offense: 'downtime';
  validator: string;
  toHeight: string;
  window: string;
}

export type Evidence = DoubleSignEvidence | DoubleSealEvidence | CheckpointEquivocationEvidence | DowntimeEvidence;

const KEYS: Record<Offense, readonly string[]> = {
  'double-sign': ['v', 'offense', 'chainId', 'voteA', 'voteB'],
  'double-seal': ['v', 'offense', 'headerA', 'headerB'],
  'checkpoint-equivocation': ['v', 'offense', 'signer', 'dataA', 'sigA', 'dataB', 'sigB'],
  downtime: ['v', 'offense', 'validator', 'toHeight', 'window'],
};

const HEX_FIELDS = new Set(['voteA', 'voteB', 'headerA', 'headerB', 'signer', 'dataA', 'sigA', 'dataB', 'sigB', 'validator']);
const DECIMAL_FIELDS = new Set(['toHeight', 'window']);

export class EvidenceFormatError extends Error {
  override name = 'EvidenceFormatError';
}

/** Strict parse of a JSON value into evidence; the error names the offending field. */
export function parseEvidence(value: unknown): Evidence {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EvidenceFormatError('evidence must be a JSON object');
  const o = value as Record<string, unknown>;
  if (o.v !== EVIDENCE_VERSION) throw new EvidenceFormatError(`evidence.v: expected ${EVIDENCE_VERSION}, got ${JSON.stringify(o.v)}`);
  const offense = o.offense;
  if (typeof offense !== 'string' || !(OFFENSES as readonly string[]).includes(offense))
    throw new EvidenceFormatError(`evidence.offense: expected one of ${OFFENSES.join(', ')}, got ${JSON.stringify(offense)}`);
  const keys = KEYS[offense as Offense];
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new EvidenceFormatError(`evidence.${k}: unknown field for ${offense}`);
  for (const k of keys) {
    if (k === 'v' || k === 'offense') continue;
    const f = o[k];
    if (typeof f !== 'string') throw new EvidenceFormatError(`evidence.${k}: missing or not a string`);
    if (HEX_FIELDS.has(k) && !/^0x([0-9a-f]{2})+$/.test(f)) throw new EvidenceFormatError(`evidence.${k}: expected lower-case 0x hex of whole bytes`);
    if (DECIMAL_FIELDS.has(k) && !/^(0|[1-9][0-9]{0,15})$/.test(f)) throw new EvidenceFormatError(`evidence.${k}: expected a decimal string without leading zeros`);
    if (k === 'chainId' && (f.length === 0 || f.length > 255)) throw new EvidenceFormatError('evidence.chainId: must be 1..255 characters');
  }
  if (offense === 'checkpoint-equivocation' && (o.signer as string).length !== 42) throw new EvidenceFormatError('evidence.signer: expected a 20-byte address');
  if (offense === 'downtime' && (o.validator as string).length !== 42) throw new EvidenceFormatError('evidence.validator: expected a 20-byte address');
  return o as unknown as Evidence;
}

/** The canonical bytes: keys in schema order, no whitespace. */
export function encodeEvidence(e: Evidence): Uint8Array {
  const keys = KEYS[e.offense];
  const rec = e as unknown as Record<string, unknown>;
  return new TextEncoder().encode(`{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(rec[k])}`).join(',')}}`);
}

export function decodeEvidence(bytes: Uint8Array): Evidence {
  const text = new TextDecoder().decode(bytes);
  const e = parseEvidence(JSON.parse(text));
  if (bytesToHex(encodeEvidence(e)) !== bytesToHex(bytes)) throw new EvidenceFormatError('evidence is not in canonical encoding (key order, spacing)');
  return e;
}

/** The evidence id: keccak256 of the canonical encoding, 0x hex. */
export function evidenceHash(e: Evidence): string {
  return bytesToHex(keccak256(encodeEvidence(e)));
}
