/**
 * The audit log's LevelDB buckets (src/db/buckets.ts: auditRecord, auditBatch, auditAnchor,
 * auditMeta) in the node db. Records and their batch are written in one atomic batch when the
 * batch is sealed, so a stored record always has its batch.
 */
import { BUCKETS } from '../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../db/interface.ts';
import { jsonCodec, Repository, stringCodec, tupleCodec, u64Codec, u8Codec, type Codec } from '../db/repository.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import type { AuditBatch } from './batch.ts';
import type { AnchorState } from './interface.ts';
import { encodeRecordBody, RECORD_ENCODING_VERSION, STREAM_ID, type AuditRecord, type AuditStream, type RecordBody } from './record.ts';

/**
 * A stored record is `prev(32) ‖ hash(32) ‖ body bytes`: the exact bytes that were hashed, so what
 * a verifier reads from disk is what the node signed, not a re-serialisation of it.
 */
export function storedRecordBytes(prev: Uint8Array, hash: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(64 + body.length);
  out.set(prev, 0);
  out.set(hash, 32);
  out.set(body, 64);
  return out;
}

export function encodeStoredRecord(prev: string, hash: string, body: Uint8Array): Uint8Array {
  return storedRecordBytes(hexToBytes(prev), hexToBytes(hash), body);
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function decodeStoredRecord(bytes: Uint8Array): AuditRecord {
  if (bytes.length < 66) throw new Error(`stored audit record: ${bytes.length} bytes is too short`);
  if (bytes[64] !== RECORD_ENCODING_VERSION) throw new Error(`stored audit record: encoding version ${bytes[64]} is not ${RECORD_ENCODING_VERSION}`);
  const body = JSON.parse(textDecoder.decode(bytes.subarray(65))) as RecordBody;
  return { ...body, prev: bytesToHex(bytes.subarray(0, 32)), hash: bytesToHex(bytes.subarray(32, 64)) };
}

const storedRecordCodec: Codec<AuditRecord> = {
  encode: (r) => {
    const { prev, hash, ...body } = r;
    return encodeStoredRecord(prev, hash, encodeRecordBody(body));
  },
  decode: decodeStoredRecord,
};

/** Where each stream stands; persisted with every seal. */
export interface StreamHead {
  /** Next record seq and batch number. */
  nextSeq: number;
  nextBatch: number;
  /** Hash of the last sealed record and digest of the last batch (zero before the first). */
  lastHash: string;
  lastDigest: string;
  /** First record and batch still stored (the private stream is pruned by retention). */
  firstSeq: number;
  firstBatch: number;
}

export class AuditStore {
  readonly db: KeyValueStore;
  readonly records: Repository<[number, number], AuditRecord>;
  readonly batches: Repository<[number, number], AuditBatch>;
  readonly anchors: Repository<number, AnchorState>;
  readonly meta: Repository<string, unknown>;

  constructor(db: KeyValueStore) {
    this.db = db;
    this.records = new Repository(db, BUCKETS.auditRecord, tupleCodec<[number, number]>(u8Codec, u64Codec), storedRecordCodec);
    this.batches = new Repository(db, BUCKETS.auditBatch, tupleCodec<[number, number]>(u8Codec, u64Codec), jsonCodec<AuditBatch>());
    this.anchors = new Repository(db, BUCKETS.auditAnchor, u64Codec, jsonCodec<AnchorState>());
    this.meta = new Repository(db, BUCKETS.auditMeta, stringCodec, jsonCodec<unknown>());
  }

  async head(stream: AuditStream): Promise<StreamHead | null> {
    return ((await this.meta.get(`head:${stream}`)) as StreamHead | undefined) ?? null;
  }

  /**
   * The puts for a sealed run of records `firstSeq…`: the same keys `records.key` gives and the
   * `prev ‖ hash ‖ body` values, built from one key template and one buffer per batch (a seal writes
   * up to batchMaxRecords records; per-record codec calls and allocations were most of its cost).
   */
  recordPutOps(stream: AuditStream, firstSeq: number, prev: Uint8Array, hashes: Uint8Array, bodies: readonly Uint8Array[]): BatchOp[] {
    const template = this.records.key([STREAM_ID[stream], firstSeq]);
    const seqAt = template.length - 8;
    let size = 0;
    for (const b of bodies) size += template.length + 64 + b.length;
    const buf = new Uint8Array(size);
    const dv = new DataView(buf.buffer);
    const ops: BatchOp[] = new Array(bodies.length);
    let o = 0;
    for (let i = 0; i < bodies.length; i++) {
      const body = bodies[i]!;
      const seq = firstSeq + i;
      const key = buf.subarray(o, o + template.length);
      key.set(template);
      dv.setUint32(o + seqAt, Math.floor(seq / 0x1_0000_0000));
      dv.setUint32(o + seqAt + 4, seq >>> 0);
      o += template.length;
      const value = buf.subarray(o, o + 64 + body.length);
      value.set(i === 0 ? prev : hashes.subarray((i - 1) * 32, i * 32), 0);
      value.set(hashes.subarray(i * 32, i * 32 + 32), 32);
      value.set(body, 64);
      o += 64 + body.length;
      ops[i] = { type: 'put', key, value };
    }
    return ops;
  }

  headOp(stream: AuditStream, head: StreamHead): BatchOp {
    return this.meta.putOp(`head:${stream}`, head);
  }

  async record(stream: AuditStream, seq: number): Promise<AuditRecord | undefined> {
    return this.records.get([STREAM_ID[stream], seq]);
  }

  async batch(stream: AuditStream, n: number): Promise<AuditBatch | undefined> {
    return this.batches.get([STREAM_ID[stream], n]);
  }

  async listRecords(stream: AuditStream, from: number, limit: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    const s = STREAM_ID[stream];
    for await (const r of this.records.values({ gte: [s, from], lt: [s, Number.MAX_SAFE_INTEGER], limit })) out.push(r);
    return out;
  }

  async listBatches(stream: AuditStream, from: number, limit: number): Promise<AuditBatch[]> {
    const out: AuditBatch[] = [];
    const s = STREAM_ID[stream];
    for await (const b of this.batches.values({ gte: [s, from], lt: [s, Number.MAX_SAFE_INTEGER], limit })) out.push(b);
    return out;
  }

  async listAnchors(from: number, limit: number): Promise<AnchorState[]> {
    const out: AnchorState[] = [];
    for await (const a of this.anchors.values({ gte: from, limit })) out.push(a);
    return out;
  }
}
