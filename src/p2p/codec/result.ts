/**
 * Decoders never throw on bad input: input from peers is expected to be hostile, and an exception
 * escaping a decoder in the network worker would be a remote crash. They return a typed error
 * instead, which the caller turns into a REJECT (and a metric).
 */

export type DecodeErrorCode = 'truncated' | 'trailing-bytes' | 'bad-version' | 'bad-kind' | 'too-large' | 'bad-value';

export interface DecodeError {
  code: DecodeErrorCode;
  /** Says what was wrong and where: 'envelope: payload length 900 exceeds 12 remaining bytes'. */
  message: string;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export function decodeOk<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function decodeErr<T>(code: DecodeErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: { code, message } };
}

/**
 * Bounds-checked big-endian reader. Reads past the end do not throw: they mark the reader failed
 * (first failure kept) and return zeros, so a decoder reads all fields and checks `failed` once.
 */
export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  failed: DecodeError | null = null;
  readonly #what: string;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  #need(n: number, field: string): boolean {
    if (this.failed) return false;
    if (n > this.remaining) {
      this.failed = { code: 'truncated', message: `${this.#what}: ${field} needs ${n} bytes, ${this.remaining} left` };
      return false;
    }
    return true;
  }

  fail(code: DecodeErrorCode, message: string): void {
    this.failed ??= { code, message: `${this.#what}: ${message}` };
  }

  u8(field: string): number {
    if (!this.#need(1, field)) return 0;
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    if (!this.#need(2, field)) return 0;
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    if (!this.#need(4, field)) return 0;
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    if (!this.#need(8, field)) return 0n;
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesN(n: number, field: string): Uint8Array {
    if (!this.#need(n, field)) return new Uint8Array(0);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** u32 length then bytes, with a cap so a lying length cannot make us allocate or wait for it. */
  varBytes(field: string, max: number): Uint8Array {
    const n = this.u32(`${field} length`);
    if (this.failed) return new Uint8Array(0);
    if (n > max) {
      this.fail('too-large', `${field} length ${n} exceeds limit ${max}`);
      return new Uint8Array(0);
    }
    return this.bytesN(n, field);
  }

  /** Ends decoding: fails on leftover bytes, so every message has exactly one encoding. */
  finish<T>(value: T): DecodeResult<T> {
    if (!this.failed && this.remaining !== 0) this.fail('trailing-bytes', `${this.remaining} trailing bytes`);
    return this.failed ? { ok: false, error: this.failed } : { ok: true, value };
  }
}

/** Growable big-endian writer for the encoders (encoders may throw: their input is ours). */
export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }

  #ensure(n: number): void {
    if (this.pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.#ensure(1);
    this.#buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.#view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.#ensure(4);
    this.#view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.#ensure(8);
    this.#view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  varBytes(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }

  /** An exact-size copy (safe to post or transfer). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.pos);
  }
}
