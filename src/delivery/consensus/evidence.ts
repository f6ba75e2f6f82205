/**
 * Equivocation evidence: two validly signed, different votes by one validator for the same height,
 * round and step. Kept for the slashing work; persisted one record per (height, round, step, validator).
 */
import { BUCKETS } from '../../db/buckets.ts';
import type { KeyValueStore } from '../../db/interface.ts';
import { bytesCodec, Repository, tupleCodec, u32Codec, u64Codec, u8Codec, type Codec } from '../../db/repository.ts';
import { bytesToHex } from '../../util/bytes.ts';
import { decodeVote, encodeVote } from './codec.ts';
import type { Evidence, EvidenceStore } from './interface.ts';

/** What one record is about: height(u64) ‖ round(u32) ‖ step(u8) ‖ validator, so records sort by height. */
type EvidenceKey = readonly [height: number, round: number, step: number, validator: Uint8Array];
const evidenceKeyCodec = tupleCodec<EvidenceKey>(u64Codec, u32Codec, u8Codec, bytesCodec);

function keyOf(e: Evidence): EvidenceKey {
  return [e.height, e.round, e.step, e.validator];
}

/** `u32 length ‖ vote A ‖ u32 length ‖ vote B`, each vote in its consensus encoding. */
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

const evidenceCodec: Codec<Evidence> = { encode: encodeEvidence, decode: decodeEvidence };

/** Evidence in the node's classic-level store, ordered by height. */
export class KvEvidenceStore implements EvidenceStore {
  private readonly records: Repository<EvidenceKey, Evidence>;
  constructor(deps: { db: KeyValueStore }) {
    this.records = new Repository(deps.db, BUCKETS.consensusEvidence, evidenceKeyCodec, evidenceCodec);
  }
  async add(e: Evidence): Promise<void> {
    // The first evidence for a (height, round, step, validator) is kept; later pairs add nothing.
    if (!(await this.records.has(keyOf(e)))) await this.records.put(keyOf(e), e);
  }
  async list(): Promise<Evidence[]> {
    const out: Evidence[] = [];
    for await (const e of this.records.values()) out.push(e);
    return out;
  }
}
