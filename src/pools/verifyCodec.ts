/**
 * The verify pool's wire format: a batch of well-formed items packed into ONE exact-size
 * Uint8Array (transferred, never cloned item by item: 128 sets as 384 small arrays cost ~30x more
 * to post than one packed buffer), and the results packed back the same way.
 *
 * Request:  u32 count ‖ u32 offsets[count + 1] ‖ records      (offsets from the buffer start)
 *   verify:  u8 1 ‖ digest 32 ‖ r‖s 64 ‖ public key (33 or 65; its length is the record's rest)
 *   recover: u8 2 ‖ digest 32 ‖ r‖s‖v 65
 *   bls:     u8 3 ‖ u16 keys ‖ signature 96 ‖ keys × 48 ‖ message (the rest)
 * Response: u32 count ‖ u32 offsets[count + 1] ‖ records
 *   u8 status (0 ok, 1 failed) ‖ ok recover: address 20 ‖ public key 65 | failed: UTF-8 reason
 * Little-endian integers. The main thread checks items' shape before packing (malformedReason), so
 * a record is always well-formed; the worker still bounds-checks, because a bad buffer must fail
 * loudly rather than read garbage.
 */
import type { VerifyItem, VerifyResult } from './interface.ts';

const KIND_CODE = { 'secp256k1-verify': 1, 'secp256k1-recover': 2, 'bls-fast-aggregate': 3 } as const;
const CODE_KIND = [undefined, 'secp256k1-verify', 'secp256k1-recover', 'bls-fast-aggregate'] as const;

function recordSize(item: VerifyItem): number {
  switch (item.kind) {
    case 'secp256k1-verify':
      return 1 + 32 + 64 + item.publicKey.length;
    case 'secp256k1-recover':
      return 1 + 32 + 65;
    case 'bls-fast-aggregate':
      return 1 + 2 + 96 + 48 * item.publicKeys.length + item.message.length;
  }
}

/** Packs well-formed items (check them with malformedReason first). */
export function packRequest(items: readonly VerifyItem[]): Uint8Array {
  const headerSize = 4 + 4 * (items.length + 1);
  let total = headerSize;
  for (const it of items) total += recordSize(it);
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, items.length, true);
  let off = headerSize;
  items.forEach((it, i) => {
    dv.setUint32(4 + 4 * i, off, true);
    buf[off] = KIND_CODE[it.kind];
    switch (it.kind) {
      case 'secp256k1-verify':
        buf.set(it.digest, off + 1);
        buf.set(it.signature, off + 33);
        buf.set(it.publicKey, off + 97);
        break;
      case 'secp256k1-recover':
        buf.set(it.digest, off + 1);
        buf.set(it.signature, off + 33);
        break;
      case 'bls-fast-aggregate': {
        dv.setUint16(off + 1, it.publicKeys.length, true);
        buf.set(it.signature, off + 3);
        let p = off + 99;
        for (const pk of it.publicKeys) {
          buf.set(pk, p);
          p += 48;
        }
        buf.set(it.message, p);
        break;
      }
    }
    off += recordSize(it);
  });
  dv.setUint32(4 + 4 * items.length, off, true);
  return buf;
}

function header(buf: Uint8Array, what: string): { dv: DataView; count: number; start: (i: number) => number; end: (i: number) => number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 8) throw new Error(`${what}: buffer of ${buf.length} bytes is too short`);
  const count = dv.getUint32(0, true);
  const headerSize = 4 + 4 * (count + 1);
  if (headerSize > buf.length || dv.getUint32(4 + 4 * count, true) !== buf.length) throw new Error(`${what}: header does not match the buffer length ${buf.length}`);
  const start = (i: number) => dv.getUint32(4 + 4 * i, true);
  return { dv, count, start, end: (i) => start(i + 1) };
}

/** Views into `buf` (no copies): valid while the buffer lives, which is the task's lifetime. */
export function unpackRequest(buf: Uint8Array): VerifyItem[] {
  const { dv, count, start, end } = header(buf, 'verify request');
  const items: VerifyItem[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = start(i);
    const e = end(i);
    if (s < 4 || e > buf.length || e <= s) throw new Error(`verify request: record ${i} has bad bounds ${s}..${e}`);
    const kind = CODE_KIND[buf[s]!];
    switch (kind) {
      case 'secp256k1-verify':
        if (e - s < 1 + 32 + 64 + 33) throw new Error(`verify request: record ${i} too short`);
        items[i] = { kind, digest: buf.subarray(s + 1, s + 33), signature: buf.subarray(s + 33, s + 97), publicKey: buf.subarray(s + 97, e) };
        break;
      case 'secp256k1-recover':
        if (e - s !== 98) throw new Error(`verify request: record ${i} is not 98 bytes`);
        items[i] = { kind, digest: buf.subarray(s + 1, s + 33), signature: buf.subarray(s + 33, s + 98) };
        break;
      case 'bls-fast-aggregate': {
        const n = dv.getUint16(s + 1, true);
        const msgStart = s + 99 + 48 * n;
        if (msgStart > e) throw new Error(`verify request: record ${i} too short for ${n} keys`);
        const publicKeys = new Array<Uint8Array>(n);
        for (let k = 0; k < n; k++) publicKeys[k] = buf.subarray(s + 99 + 48 * k, s + 147 + 48 * k);
        items[i] = { kind, message: buf.subarray(msgStart, e), publicKeys, signature: buf.subarray(s + 3, s + 99) };
        break;
      }
      default:
        throw new Error(`verify request: record ${i} has unknown kind code ${buf[s]}`);
    }
  }
  return items;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function packResults(results: readonly VerifyResult[]): Uint8Array {
  const headerSize = 4 + 4 * (results.length + 1);
  const reasons = results.map((r) => (r.ok ? null : encoder.encode(r.reason)));
  let total = headerSize;
  results.forEach((r, i) => (total += 1 + (r.ok ? (r.kind === 'secp256k1-recover' ? 85 : 0) : reasons[i]!.length)));
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, results.length, true);
  let off = headerSize;
  results.forEach((r, i) => {
    dv.setUint32(4 + 4 * i, off, true);
    if (r.ok) {
      buf[off++] = 0;
      if (r.kind === 'secp256k1-recover') {
        buf.set(r.address, off);
        buf.set(r.publicKey, off + 20);
        off += 85;
      }
    } else {
      buf[off++] = 1;
      buf.set(reasons[i]!, off);
      off += reasons[i]!.length;
    }
  });
  dv.setUint32(4 + 4 * results.length, off, true);
  return buf;
}

/** Results for `items` (the same items, in order, that were packed); addresses are fresh copies. */
export function unpackResults(buf: Uint8Array, items: readonly VerifyItem[]): VerifyResult[] {
  const { count, start, end } = header(buf, 'verify response');
  if (count !== items.length) throw new Error(`verify response: ${count} results for ${items.length} items`);
  const out: VerifyResult[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = start(i);
    const e = end(i);
    const kind = items[i]!.kind;
    if (buf[s] === 0) {
      if (kind === 'secp256k1-recover') {
        if (e - s !== 86) throw new Error(`verify response: result ${i} is not 86 bytes`);
        out[i] = { ok: true, kind, address: buf.slice(s + 1, s + 21), publicKey: buf.slice(s + 21, s + 86) };
      } else out[i] = { ok: true, kind };
    } else out[i] = { ok: false, kind, reason: decoder.decode(buf.subarray(s + 1, e)) };
  }
  return out;
}
