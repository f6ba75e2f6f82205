/**
 * Equivocation evidence: two validly signed, different votes by one validator for the same height,
 * round and step. Kept for the slashing work; persisted one record per (height, round, step, validator).
 */
import { bucketKey, prefixEnd } from '../../db/level.ts';
import type { KeyValueStore } from '../../db/interface.ts';
import { bytesToHex } from '../../util/bytes.ts';
import { decodeVote, encodeVote } from './codec.ts';
import type { Evidence, EvidenceStore } from './interface.ts';

/** Delivery consensus buckets live in the 0xD0 range, away from the chain (src/chain) and Bttc (0xB0) ones. */
export const BUCKET_CONSENSUS_EVIDENCE = 0xd0;

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function evidenceKey(e: Evidence): Uint8Array {
  return bucketKey(BUCKET_CONSENSUS_EVIDENCE, e.height, u32be(e.round), Uint8Array.of(e.step), e.validator);
}

export function encodeEvidence(e: Evidence): Uint8Array {
  const a = encodeVote(e.voteA);
  const b = encodeVote(e.voteB);
  const out = new Uint8Array(8 + a.length + b.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, a.length);
  out.set(a, 4);
  dv.setUint32(4 + a.length, b.length);
  out.set(b, 8 + a.length);
  return out;
}

export function decodeEvidence(buf: Uint8Array): Evidence {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const la = dv.getUint32(0);
  const voteA = decodeVote(buf.subarray(4, 4 + la));
  const lb = dv.getUint32(4 + la);
  if (8 + la + lb !== buf.length) throw new Error(`evidence record: length ${buf.length} does not match its votes (${la} + ${lb})`);
  const voteB = decodeVote(buf.subarray(8 + la));
  return { validator: voteA.validator, height: voteA.height, round: voteA.round, step: voteA.type, voteA, voteB };
}

export function evidenceId(e: Evidence): string {
  return `${e.height}/${e.round}/${e.step}/${bytesToHex(e.validator)}`;
}

export class MemoryEvidenceStore implements EvidenceStore {
  private readonly items = new Map<string, Evidence>();
  async add(e: Evidence): Promise<void> {
    if (!this.items.has(evidenceId(e))) this.items.set(evidenceId(e), e);
  }
  async list(): Promise<Evidence[]> {
    return [...this.items.values()];
  }
}

/** Evidence in the node's classic-level store, ordered by height. */
export class KvEvidenceStore implements EvidenceStore {
  private readonly db: KeyValueStore;
  constructor(deps: { db: KeyValueStore }) {
    this.db = deps.db;
  }
  async add(e: Evidence): Promise<void> {
    const key = evidenceKey(e);
    if ((await this.db.get(key)) === undefined) await this.db.put(key, encodeEvidence(e));
  }
  async list(): Promise<Evidence[]> {
    const gte = Uint8Array.of(BUCKET_CONSENSUS_EVIDENCE);
    const out: Evidence[] = [];
    for await (const [, v] of this.db.entries({ gte, lt: prefixEnd(gte) })) out.push(decodeEvidence(v));
    return out;
  }
}
