/**
 * The byte-level reader and writer every Delivery codec shares (blocks in app/codec.ts, each
 * module's transaction bodies in modules/<name>/txs.ts): big-endian integers, fixed-width fields,
 * u32-length-prefixed variable fields. The reader checks every length and names the field that is
 * short, so a malformed value is refused with a reason.
 */
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import type { EventRef } from './types.ts';

export class DeliveryCodecError extends Error {
  override name = 'DeliveryCodecError';
}

export class Writer {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  len = 0;

  private need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.need(1);
    this.dv.setUint8(this.len, v);
    this.len += 1;
  }
  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new DeliveryCodecError(`u16 out of range: ${v}`);
    this.need(2);
    this.dv.setUint16(this.len, v);
    this.len += 2;
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new DeliveryCodecError(`u32 out of range: ${v}`);
    this.need(4);
    this.dv.setUint32(this.len, v);
    this.len += 4;
  }
  u64(v: number | bigint): void {
    const b = BigInt(v);
    if (b < 0n || b >= 1n << 64n) throw new DeliveryCodecError(`u64 out of range: ${v}`);
    this.need(8);
    this.dv.setBigUint64(this.len, b);
    this.len += 8;
  }
  u256(v: bigint): void {
    if (v < 0n || v >= 1n << 256n) throw new DeliveryCodecError(`u256 out of range: ${v}`);
    for (let i = 3; i >= 0; i--) this.u64((v >> BigInt(i * 64)) & 0xffffffffffffffffn);
  }
  fixed(bytes: Uint8Array, size: number, what: string): void {
    if (bytes.length !== size) throw new DeliveryCodecError(`${what}: expected ${size} bytes, got ${bytes.length}`);
    this.need(size);
    this.buf.set(bytes, this.len);
    this.len += size;
  }
  hex(hex: string, size: number, what: string): void {
    this.fixed(hexToBytes(hex), size, what);
  }
  var32(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.need(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  raw(bytes: Uint8Array): void {
    this.need(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class Reader {
  private off = 0;
  private readonly dv: DataView;
  private readonly what: string;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array, what: string) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.what = what;
  }
  private take(n: number, field: string): number {
    if (this.off + n > this.buf.length) throw new DeliveryCodecError(`${this.what}: truncated at ${field} (need ${n} bytes at offset ${this.off}, have ${this.buf.length - this.off})`);
    const at = this.off;
    this.off += n;
    return at;
  }
  u8(field: string): number {
    return this.dv.getUint8(this.take(1, field));
  }
  u16(field: string): number {
    return this.dv.getUint16(this.take(2, field));
  }
  u32(field: string): number {
    return this.dv.getUint32(this.take(4, field));
  }
  u64(field: string): bigint {
    return this.dv.getBigUint64(this.take(8, field));
  }
  /** A u64 that must fit a JS safe integer (heights, block numbers, epochs). */
  num(field: string): number {
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DeliveryCodecError(`${this.what}: ${field} ${v} exceeds 2^53`);
    return Number(v);
  }
  u256(field: string): bigint {
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 64n) | this.u64(field);
    return v;
  }
  fixed(n: number, field: string): Uint8Array {
    const at = this.take(n, field);
    return this.buf.slice(at, at + n);
  }
  hex(n: number, field: string): string {
    return bytesToHex(this.fixed(n, field));
  }
  var32(field: string, max = 1 << 24): Uint8Array {
    const n = this.u32(`${field} length`);
    if (n > max) throw new DeliveryCodecError(`${this.what}: ${field} of ${n} bytes exceeds ${max}`);
    return this.fixed(n, field);
  }
  end(): void {
    if (this.off !== this.buf.length) throw new DeliveryCodecError(`${this.what}: ${this.buf.length - this.off} trailing byte(s)`);
  }
}

export function writeRef(w: Writer, r: EventRef): void {
  w.u8(r.rootChainId);
  w.u64(r.sequence);
  w.u64(r.blockNumber);
  w.u32(r.logIndex);
  w.hex(r.txHash, 32, 'txHash');
}

export function readRef(r: Reader): EventRef {
  return { rootChainId: r.u8('rootChainId'), sequence: r.u64('sequence'), blockNumber: r.num('blockNumber'), logIndex: r.u32('logIndex'), txHash: r.hex(32, 'txHash') };
}
