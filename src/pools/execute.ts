/**
 * One verify item, run synchronously on the calling thread. The inline verifier and the verify
 * worker both call this, so the per-item semantics (what is malformed, what is invalid, which `v`
 * values recover) are the same wherever the work runs. Never throws: a bad item becomes
 * `{ ok: false, reason }`.
 */
import type { VerifyItem, VerifyResult } from './interface.ts';
import { isLowS, recover, verify as secpVerify } from '../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../crypto/address.ts';
import { BlsInputError, blsFastAggregateVerify, BLS_PUBLIC_KEY_SIZE, BLS_SIGNATURE_SIZE } from '../crypto/bls.ts';

const KINDS = new Set<VerifyItem['kind']>(['secp256k1-verify', 'secp256k1-recover', 'bls-fast-aggregate']);

/** Largest BLS signer set per item; the packed format stores the count in a u16. */
export const MAX_BLS_KEYS = 65535;
/** Largest BLS message; the packed format stores the length in a u32, and gossip never gets close. */
export const MAX_BLS_MESSAGE = 1 << 20;

const fail = (kind: VerifyItem['kind'], reason: string): VerifyResult => ({ ok: false, kind, reason });

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** Structural check: the reason an item is malformed, or null when its shape is right. */
export function malformedReason(item: VerifyItem): string | null {
  if (typeof item !== 'object' || item === null) return 'malformed: item is not an object';
  switch (item.kind) {
    case 'secp256k1-verify': {
      if (!isBytes(item.digest) || item.digest.length !== 32) return 'malformed: digest must be 32 bytes';
      if (!isBytes(item.signature) || item.signature.length !== 64) return 'malformed: signature must be 64 bytes (r ‖ s)';
      if (!isBytes(item.publicKey)) return 'malformed: publicKey must be a Uint8Array';
      const pk = item.publicKey;
      if (!((pk.length === 33 && (pk[0] === 2 || pk[0] === 3)) || (pk.length === 65 && pk[0] === 4))) return 'malformed: publicKey must be 33 bytes (0x02/0x03 ‖ x) or 65 bytes (0x04 ‖ x ‖ y)';
      return null;
    }
    case 'secp256k1-recover': {
      if (!isBytes(item.digest) || item.digest.length !== 32) return 'malformed: digest must be 32 bytes';
      if (!isBytes(item.signature) || item.signature.length !== 65) return 'malformed: signature must be 65 bytes (r ‖ s ‖ v)';
      const v = item.signature[64]!;
      if (v !== 0 && v !== 1 && v !== 27 && v !== 28) return `malformed: v must be 0, 1, 27 or 28, got ${v}`;
      return null;
    }
    case 'bls-fast-aggregate': {
      if (!isBytes(item.message)) return 'malformed: message must be a Uint8Array';
      if (item.message.length > MAX_BLS_MESSAGE) return `malformed: message longer than ${MAX_BLS_MESSAGE} bytes`;
      if (!isBytes(item.signature) || item.signature.length !== BLS_SIGNATURE_SIZE) return `malformed: signature must be ${BLS_SIGNATURE_SIZE} bytes`;
      if (!Array.isArray(item.publicKeys) || item.publicKeys.length === 0) return 'malformed: publicKeys must be a non-empty array';
      if (item.publicKeys.length > MAX_BLS_KEYS) return `malformed: more than ${MAX_BLS_KEYS} public keys`;
      for (let i = 0; i < item.publicKeys.length; i++) {
        const pk = item.publicKeys[i];
        if (!isBytes(pk) || pk.length !== BLS_PUBLIC_KEY_SIZE) return `malformed: public key ${i} must be ${BLS_PUBLIC_KEY_SIZE} bytes`;
      }
      return null;
    }
    default:
      return `malformed: unknown kind ${JSON.stringify((item as { kind?: unknown }).kind)}`;
  }
}

/** The item's kind for its result; an unknown kind is echoed back as given (or 'unknown'). */
export function itemKind(item: VerifyItem): VerifyItem['kind'] {
  const k = (item as { kind?: unknown } | null)?.kind;
  if (KINDS.has(k as VerifyItem['kind'])) return k as VerifyItem['kind'];
  return (typeof k === 'string' ? k : 'unknown') as VerifyItem['kind'];
}

/** Runs an item already known to be well-formed. */
export function executeWellFormed(item: VerifyItem): VerifyResult {
  switch (item.kind) {
    case 'secp256k1-verify':
      // libsecp256k1 rejects high-s itself; the explicit check gives a precise reason.
      if (!isLowS(item.signature)) return fail(item.kind, 'invalid signature: s above n/2');
      return secpVerify(item.signature, item.digest, item.publicKey) ? { ok: true, kind: item.kind } : fail(item.kind, 'invalid signature');
    case 'secp256k1-recover': {
      const sig64 = item.signature.subarray(0, 64);
      if (!isLowS(sig64)) return fail(item.kind, 'invalid signature: s above n/2');
      const v = item.signature[64]!;
      let publicKey: Uint8Array;
      try {
        publicKey = recover(sig64, v >= 27 ? v - 27 : v, item.digest);
      } catch {
        return fail(item.kind, 'invalid signature: no public key recovers from it');
      }
      return { ok: true, kind: item.kind, address: addressFromPublicKey(publicKey), publicKey };
    }
    case 'bls-fast-aggregate':
      try {
        return blsFastAggregateVerify(item.message, item.publicKeys, item.signature) ? { ok: true, kind: item.kind } : fail(item.kind, 'invalid signature');
      } catch (err) {
        if (err instanceof BlsInputError) return fail(item.kind, `malformed: ${err.message}`);
        return fail(item.kind, `error: ${(err as Error).message}`);
      }
  }
}

/** Validates then runs one item; never throws. */
export function executeItem(item: VerifyItem): VerifyResult {
  const bad = malformedReason(item);
  if (bad) return fail(itemKind(item), bad);
  try {
    return executeWellFormed(item);
  } catch (err) {
    return fail(item.kind, `error: ${(err as Error).message}`);
  }
}
