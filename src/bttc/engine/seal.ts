/**
 * Sealing and signer recovery. A seal is r ‖ s ‖ v (v ∈ {0,1}, s high or low, as Bor) over `sealHash(header)`. Recovery is
 * a single latency-critical native call, so it runs inline (a worker round trip costs more), and
 * recovered signers are cached by block hash: a header is checked on gossip, on import and again
 * by fork choice and the RPC (`bor_getAuthor`).
 */
import { recover, signRsv } from '../../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../crypto/address.ts';
import { bytesToHex } from '../../util/bytes.ts';
import { LruCache } from '../util/lru.ts';
import { EXTRA_SEAL } from './extra.ts';
import { headerHash, sealHash } from './header.ts';
import type { BttcHeader } from './types.ts';

/** Writes the seal into the last 65 bytes of `header.extra` (a new array) and returns the header. */
export function sealHeader(header: BttcHeader, secretKey: Uint8Array): BttcHeader {
  if (header.extra.length < EXTRA_SEAL) throw new Error(`block ${header.number}: extra has no room for the seal`);
  const seal = signRsv(sealHash(header), secretKey);
  const extra = header.extra.slice();
  extra.set(seal, extra.length - EXTRA_SEAL);
  return { ...header, extra };
}

/** Thrown when a seal does not recover; `reason` is what was wrong. */
export class SealError extends Error {}

/** The 20-byte signer of a sealed header; throws SealError on a malformed or invalid seal. */
export function recoverSignerUncached(header: BttcHeader): Uint8Array {
  if (header.extra.length < EXTRA_SEAL) throw new SealError(`block ${header.number}: extra is shorter than the 65-byte seal`);
  const seal = header.extra.subarray(header.extra.length - EXTRA_SEAL);
  const v = seal[64]!;
  // Exactly Bor's rule (spec §"Bor seal recovery edge cases"): the recovery id byte is 0 or 1 —
  // 27/28 is "invalid signature recovery id" there — and a high-s seal is accepted, since ecrecover
  // has no low-s rule. Being stricter or looser than Bor would let one hostile producer split the
  // network between this node and BTTC's own.
  if (v !== 0 && v !== 1) throw new SealError(`block ${header.number}: seal v=${v}, expected 0 or 1`);
  const rs = seal.slice(0, 64);
  try {
    return addressFromPublicKey(recover(rs, v, sealHash(header)));
  } catch (err) {
    throw new SealError(`block ${header.number}: seal does not recover (${(err as Error).message})`);
  }
}

/** Recovers signers with an LRU cache keyed by block hash (hex). */
export class SignerCache {
  private readonly cache: LruCache<string, Uint8Array>;
  hits = 0;
  misses = 0;

  constructor(capacity = 4096) {
    this.cache = new LruCache(capacity);
  }

  /** `hash` may be passed when the caller already has it, to skip rehashing the header. */
  recover(header: BttcHeader, hash?: Uint8Array): Uint8Array {
    const key = bytesToHex(hash ?? headerHash(header));
    const hit = this.cache.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const signer = recoverSignerUncached(header);
    this.cache.set(key, signer);
    return signer;
  }
}
