/**
 * Noise, minus one exception per received chunk and one socket write per sent frame. Noise's transport decoder (a
 * LengthPrefixedDecoder with a 2-byte length) loops until its buffer is short of a length prefix
 * and learns that by catching the RangeError its `uint16BEDecode` throws: every TCP chunk that
 * ends on a frame boundary (nearly all of them) builds a fresh RangeError with a captured stack.
 * That was ≈ 7 % of an idle validator's network thread (247 ms self time in 38 s of profile).
 *
 * This wraps the encrypter and gives each secured connection's decoder a length function that does
 * not throw: with fewer than 2 bytes buffered it answers 65535, a frame length those bytes cannot
 * hold, and the decoder stops reading exactly as on a RangeError (it breaks when the buffer is
 * shorter than length + 2) and waits for more data. Even a shared, pre-built error still cost a
 * throw per chunk (96 ms self in a second 36 s profile). Complete frames decode as before, so framing,
 * decryption and errors on real garbage are unchanged.
 *
 * Sending, noise's `encrypt` returns each frame as two chunks (2-byte length, ciphertext) and the
 * TCP transport writes chunk by chunk: two write syscalls, and usually two TCP segments and two
 * 'data' events at the peer, per gossip message. The wrapper joins a frame's chunks into one
 * buffer (a copy of ≤ 64 KiB), so each frame is one write. Bytes on the wire are identical.
 *
 * If a future version of noise stops exposing `decoder.lengthDecoder` or `encrypt`, the
 * connection is left as it is.
 */
import { noise } from '@chainsafe/libp2p-noise';

/** The answer for a buffer shorter than the prefix: no 0–1 byte buffer holds a frame this long, so the decoder waits. */
export const WAIT_FOR_MORE = 0xffff;

interface ByteList {
  length: number;
  getUint16?: (offset: number) => number;
}

/** Big-endian u16 length prefix, as noise's own; short input answers WAIT_FOR_MORE instead of throwing. */
export function quietUint16BEDecode(data: Uint8Array | ByteList): number {
  if (data.length < 2) return WAIT_FOR_MORE;
  if (data instanceof Uint8Array) return (data[0]! << 8) | data[1]!;
  return data.getUint16!(0);
}
quietUint16BEDecode.bytes = 2;

type Encrypter = ReturnType<ReturnType<typeof noise>>;
type Secured = Awaited<ReturnType<Encrypter['secureInbound']>>;

/** uint8arraylist's list, as far as used here (not a direct dependency). */
interface ChunkList {
  subarray(): Uint8Array;
}

interface NoiseStreamShape {
  decoder?: { lengthDecoder?: unknown };
  encrypt?: (chunk: Uint8Array | ChunkList) => Uint8Array | ChunkList;
}

/** Swaps the decoder's length function and joins each encrypted frame, when the connection has noise's shape. */
export function quietConnection<T extends Secured>(secured: T): T {
  const conn = secured.connection as unknown as NoiseStreamShape;
  const decoder = conn.decoder;
  if (decoder && typeof decoder.lengthDecoder === 'function') decoder.lengthDecoder = quietUint16BEDecode;
  const encrypt = conn.encrypt;
  if (typeof encrypt === 'function') {
    const base = encrypt.bind(conn);
    conn.encrypt = (chunk) => {
      const out = base(chunk);
      // One contiguous buffer: the transport then writes it with one syscall.
      return out instanceof Uint8Array ? out : out.subarray();
    };
  }
  return secured;
}

/** `noise()` whose secured connections use `quietUint16BEDecode`. */
export function quietNoise(init?: Parameters<typeof noise>[0]): ReturnType<typeof noise> {
  const make = noise(init);
  return (components) => {
    const enc = make(components);
    const secureInbound = enc.secureInbound.bind(enc);
    const secureOutbound = enc.secureOutbound.bind(enc);
    enc.secureInbound = async (...a: Parameters<typeof secureInbound>) => quietConnection(await secureInbound(...a));
    enc.secureOutbound = async (...a: Parameters<typeof secureOutbound>) => quietConnection(await secureOutbound(...a));
    return enc;
  };
}
