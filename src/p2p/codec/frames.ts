/**
 * Length-prefixed frames for request/response streams: u32 big-endian length ‖ bytes. The reader
 * takes chunks as the transport delivers them (any split) and yields whole frames; a declared
 * length above the cap fails at once, before any of that frame is buffered.
 */
import type { DecodeError } from './result.ts';

export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

export class FrameReader {
  readonly maxFrameBytes: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  failed: DecodeError | null = null;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk and returns the frames it completed (copies: the transport may reuse its buffers). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) return [];
    if (chunk.length === 0) return [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#buffered < FRAME_HEADER_BYTES) break;
      const len = this.#peekU32();
      if (len > this.maxFrameBytes) {
        this.failed = { code: 'too-large', message: `frame: length ${len} exceeds limit ${this.maxFrameBytes}` };
        this.#chunks = [];
        this.#buffered = 0;
        return frames;
      }
      if (this.#buffered < FRAME_HEADER_BYTES + len) break;
      this.#take(FRAME_HEADER_BYTES);
      frames.push(this.#take(len));
    }
    return frames;
  }

  #peekU32(): number {
    const head = this.#chunks[0]!;
    if (head.length >= 4) return new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
    const tmp = new Uint8Array(4);
    let got = 0;
    for (const c of this.#chunks) {
      const n = Math.min(4 - got, c.length);
      tmp.set(c.subarray(0, n), got);
      got += n;
      if (got === 4) break;
    }
    return new DataView(tmp.buffer).getUint32(0);
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(n - got, c.length);
      out.set(c.subarray(0, k), got);
      got += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }
}
