/** Byte helpers shared by every module. Hex is 0x-prefixed lower case. */

export function hexToBytes(hex: string): Uint8Array {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`invalid hex string: ${hex.length > 70 ? hex.slice(0, 67) + '...' : hex}`);
  // One allocation of exactly the result (Buffer.from would take a slice of the shared 8 KiB pool,
  // which a caller keeping the bytes would pin, so it was copied out again): the hot path of every
  // JSON-RPC data parameter, a raw transaction per eth_sendRawTransaction.
  const out = new Uint8Array(h.length >>> 1);
  Buffer.from(out.buffer, 0, out.length).write(h, 'hex');
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic comparison of byte strings (address order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Big-endian unsigned integer left-padded to `size` bytes (u256 by default). */
export function uintToBytes(value: bigint | number, size = 32): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`uintToBytes: negative value ${v}`);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`uintToBytes: ${value} does not fit in ${size} bytes`);
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A copy in an exact-size ArrayBuffer: safe to post to a worker without dragging a pool slab. */
export function exactCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
