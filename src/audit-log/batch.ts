/**
 * Batches: a run of consecutive records of one stream, sealed by one signed digest. The digest is
 * what a node anchors on Bttc:
 *
 *   digest = keccak256("BTTC-AUDIT-BATCH/1" ‖ u64 chainId ‖ u8 stream ‖ u64 batch ‖ u64 firstSeq ‖
 *                      u64 lastSeq ‖ prevDigest(32) ‖ lastHash(32) ‖ privateHead(32))
 *
 * `lastHash` is the hash of the batch's last record (it chains every record before it), `prevDigest`
 * the previous batch's digest (zero for batch 0), `privateHead` the private stream's last sealed
 * record hash when a public batch is sealed (so private records are committed to without being
 * shown; zero in private batches). The signature is the node signer's secp256k1 r‖s‖v (v ∈ {0,1})
 * over the digest.
 *
 * Sealing runs in the hash pool: `packSealTask` lays the work out in one buffer, `sealPacked` (the
 * worker side) hashes every record in order and signs, `unpackSealResult` reads the answer.
 */
import { keccak256 } from '../crypto/keccak.ts';
import { recover, sign } from '../crypto/secp256k1.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../util/bytes.ts';
import { STREAM_ID, type AuditStream } from './record.ts';

export const BATCH_DOMAIN = new TextEncoder().encode('BTTC-AUDIT-BATCH/1');

export interface BatchHeader {
  chainId: number;
  stream: AuditStream;
  batch: number;
  firstSeq: number;
  lastSeq: number;
  prevDigest: string;
  lastHash: string;
  privateHead: string;
}

/** A sealed batch as stored and exported. */
export interface AuditBatch extends BatchHeader {
  /** Hash of the record before firstSeq (the chain's link into this batch). */
  prevHash: string;
  /** When it was sealed (ms). */
  time: number;
  signer: string;
  digest: string;
  /** 65-byte r‖s‖v, v ∈ {0,1}. */
  signature: string;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** The digest's preimage without the last hash (known only after hashing) — 18 + 33 + 24 + 32 bytes. */
function digestPrefix(h: Omit<BatchHeader, 'lastHash' | 'privateHead'>): Uint8Array {
  return concatBytes(BATCH_DOMAIN, u64(h.chainId), Uint8Array.of(STREAM_ID[h.stream]), u64(h.batch), u64(h.firstSeq), u64(h.lastSeq), hexToBytes(h.prevDigest));
}

export function batchDigest(h: BatchHeader): Uint8Array {
  return keccak256(concatBytes(digestPrefix(h), hexToBytes(h.lastHash), hexToBytes(h.privateHead)));
}

/** The signer address a batch signature recovers to (lower-case 0x), or null if it does not recover. */
export function recoverBatchSigner(digest: Uint8Array, signature: Uint8Array): string | null {
  if (signature.length !== 65 || (signature[64] !== 0 && signature[64] !== 1)) return null;
  try {
    const pub = recover(signature.subarray(0, 64), signature[64]!, digest);
    return bytesToHex(keccak256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

// ---- the hash-pool task -----------------------------------------------------------------------------
// Layout: prevHash(32) ‖ secretKey(32) ‖ privateHead(32) ‖ u32 prefixLen ‖ prefix ‖ u32 count ‖
// count × u32 body length ‖ bodies. Answer: count × 32 record hashes ‖ digest(32) ‖ signature(65).

export interface SealInput {
  prevHash: Uint8Array;
  secretKey: Uint8Array;
  privateHead: Uint8Array;
  header: Omit<BatchHeader, 'lastHash' | 'privateHead'>;
  bodies: readonly Uint8Array[];
}

export function packSealTask(t: SealInput): Uint8Array {
  if (t.bodies.length === 0) throw new RangeError('audit batch: no records to seal');
  if (t.bodies.length !== t.header.lastSeq - t.header.firstSeq + 1) throw new RangeError(`audit batch: ${t.bodies.length} records for seq ${t.header.firstSeq}..${t.header.lastSeq}`);
  const prefix = digestPrefix(t.header);
  let size = 96 + 4 + prefix.length + 4 + 4 * t.bodies.length;
  for (const b of t.bodies) size += b.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(t.prevHash, 0);
  out.set(t.secretKey, 32);
  out.set(t.privateHead, 64);
  let o = 96;
  dv.setUint32(o, prefix.length);
  out.set(prefix, o + 4);
  o += 4 + prefix.length;
  dv.setUint32(o, t.bodies.length);
  o += 4;
  for (const b of t.bodies) {
    dv.setUint32(o, b.length);
    o += 4;
  }
  for (const b of t.bodies) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** Worker side: chain-hash every record, digest, sign. Pure; runs on the packed buffer only. */
export function sealPacked(task: Uint8Array): Uint8Array {
  const dv = new DataView(task.buffer, task.byteOffset, task.byteLength);
  const prev = task.slice(0, 32);
  const key = task.subarray(32, 64);
  const privateHead = task.subarray(64, 96);
  let o = 96;
  const prefixLen = dv.getUint32(o);
  const prefix = task.subarray(o + 4, o + 4 + prefixLen);
  o += 4 + prefixLen;
  const count = dv.getUint32(o);
  o += 4;
  let body = o + 4 * count;
  const out = new Uint8Array(count * 32 + 32 + 65);
  const link = new Uint8Array(64);
  link.set(prev, 0);
  for (let i = 0; i < count; i++) {
    const len = dv.getUint32(o + 4 * i);
    link.set(keccak256(task.subarray(body, body + len)), 32);
    const h = keccak256(link);
    out.set(h, i * 32);
    link.set(h, 0);
    body += len;
  }
  if (body !== task.length) throw new RangeError(`audit batch task: ${task.length - body} trailing bytes`);
  const digest = keccak256(concatBytes(prefix, link.subarray(0, 32), privateHead));
  out.set(digest, count * 32);
  const { signature, recid } = sign(digest, key);
  out.set(signature, count * 32 + 32);
  out[count * 32 + 96] = recid;
  return out;
}

export interface SealResult {
  /** count × 32 bytes: record i's hash at i × 32. */
  hashes: Uint8Array;
  digest: Uint8Array;
  signature: Uint8Array;
}

export function unpackSealResult(res: Uint8Array, count: number): SealResult {
  if (res.length !== count * 32 + 97) throw new RangeError(`audit batch result: ${res.length} bytes for ${count} records`);
  return { hashes: res.subarray(0, count * 32), digest: res.slice(count * 32, count * 32 + 32), signature: res.slice(count * 32 + 32) };
}
