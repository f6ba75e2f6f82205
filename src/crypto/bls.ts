/**
 * BLS12-381 (min-pk: 48-byte public keys, 96-byte signatures) through the native `@chainsafe/blst`
 * binding. Deserializing and validating a public key (subgroup check) costs about as much as a
 * tenth of a verify, and the same validator keys are checked over and over, so validated keys are
 * kept in a bounded cache keyed by their bytes.
 */
import { createRequire } from 'node:module';
import type * as BlstModule from '@chainsafe/blst';

const require = createRequire(import.meta.url);

type Blst = typeof BlstModule;

function loadBlst(): { api: Blst | null; loadError?: string } {
  try {
    return { api: require('@chainsafe/blst') as Blst };
  } catch (err) {
    return { api: null, loadError: (err as Error).message };
  }
}

const loaded = loadBlst();

/** 'native' when blst loaded; 'missing' when it did not (there is no JS fallback: BLS calls throw). */
export const blsBackend: 'native' | 'missing' = loaded.api ? 'native' : 'missing';
export const blsLoadError: string | undefined = loaded.loadError;

export const BLS_SECRET_KEY_SIZE = 32;
export const BLS_PUBLIC_KEY_SIZE = 48;
export const BLS_SIGNATURE_SIZE = 96;

function blst(): Blst {
  if (!loaded.api) throw new Error(`BLS unavailable: @chainsafe/blst failed to load (${loaded.loadError})`);
  return loaded.api;
}

/** Thrown for input that is not a BLS key or signature at all (wrong length, not a curve point). */
export class BlsInputError extends Error {
  override name = 'BlsInputError';
}

export interface BlsKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Deterministic key pair from ≥32 bytes of seed material (IETF KeyGen). */
export function blsKeygen(seed: Uint8Array): BlsKeyPair {
  if (seed.length < 32) throw new BlsInputError(`blsKeygen: seed must be at least 32 bytes, got ${seed.length}`);
  const sk = blst().SecretKey.fromKeygen(seed);
  return { secretKey: sk.toBytes(), publicKey: sk.toPublicKey().toBytes(true) };
}

export function blsPublicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  return secretKeyObject(secretKey).toPublicKey().toBytes(true);
}

export function blsSign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return secretKeyObject(secretKey).sign(message).toBytes(true);
}

function secretKeyObject(secretKey: Uint8Array): BlstModule.SecretKey {
  if (secretKey.length !== BLS_SECRET_KEY_SIZE) throw new BlsInputError(`BLS secret key must be ${BLS_SECRET_KEY_SIZE} bytes, got ${secretKey.length}`);
  try {
    return blst().SecretKey.fromBytes(secretKey);
  } catch (err) {
    throw new BlsInputError(`invalid BLS secret key: ${(err as Error).message}`);
  }
}

/**
 * Validated public keys by their bytes. A Map keeps insertion order, so evicting the first key is
 * FIFO with refresh-on-hit: good enough for a validator set that changes once per span.
 */
export class BlsPublicKeyCache {
  readonly maxSize: number;
  hits = 0;
  misses = 0;
  readonly #map = new Map<string, BlstModule.PublicKey>();

  constructor(maxSize = 4096) {
    this.maxSize = maxSize;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The validated key; throws BlsInputError for bytes that are not a valid G1 point of the subgroup. */
  get(bytes: Uint8Array): BlstModule.PublicKey {
    if (bytes.length !== BLS_PUBLIC_KEY_SIZE) throw new BlsInputError(`BLS public key must be ${BLS_PUBLIC_KEY_SIZE} bytes (compressed), got ${bytes.length}`);
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const hit = this.#map.get(key);
    if (hit) {
      this.hits++;
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    this.misses++;
    let pk: BlstModule.PublicKey;
    try {
      pk = blst().PublicKey.fromBytes(bytes, true);
    } catch (err) {
      throw new BlsInputError(`invalid BLS public key: ${(err as Error).message}`);
    }
    if (this.#map.size >= this.maxSize) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, pk);
    return pk;
  }

  clear(): void {
    this.#map.clear();
  }
}

/** The process-wide cache (one per worker thread). */
export const defaultBlsPublicKeyCache = new BlsPublicKeyCache();

function signatureObject(signature: Uint8Array): BlstModule.Signature {
  if (signature.length !== BLS_SIGNATURE_SIZE) throw new BlsInputError(`BLS signature must be ${BLS_SIGNATURE_SIZE} bytes (compressed), got ${signature.length}`);
  try {
    // Group check here, so verify can skip it.
    return blst().Signature.fromBytes(signature, true);
  } catch (err) {
    throw new BlsInputError(`invalid BLS signature: ${(err as Error).message}`);
  }
}

/** True when `signature` is by `publicKey` over `message`; throws BlsInputError for malformed input. */
export function blsVerify(message: Uint8Array, publicKey: Uint8Array, signature: Uint8Array, cache = defaultBlsPublicKeyCache): boolean {
  return blst().verify(message, cache.get(publicKey), signatureObject(signature), false, false);
}

/** One aggregate signature by every key over the same message (keys must have proofs of possession). */
export function blsFastAggregateVerify(message: Uint8Array, publicKeys: readonly Uint8Array[], signature: Uint8Array, cache = defaultBlsPublicKeyCache): boolean {
  if (publicKeys.length === 0) throw new BlsInputError('blsFastAggregateVerify: no public keys');
  const pks = publicKeys.map((pk, i) => {
    try {
      return cache.get(pk);
    } catch (err) {
      throw new BlsInputError(`public key ${i}: ${(err as Error).message}`);
    }
  });
  return blst().fastAggregateVerify(message, pks, signatureObject(signature), false);
}

export function blsAggregateSignatures(signatures: readonly Uint8Array[]): Uint8Array {
  if (signatures.length === 0) throw new BlsInputError('blsAggregateSignatures: nothing to aggregate');
  return blst().aggregateSignatures(signatures.map(signatureObject), false).toBytes(true);
}

export function blsAggregatePublicKeys(publicKeys: readonly Uint8Array[], cache = defaultBlsPublicKeyCache): Uint8Array {
  if (publicKeys.length === 0) throw new BlsInputError('blsAggregatePublicKeys: nothing to aggregate');
  return blst()
    .aggregatePublicKeys(
      publicKeys.map((pk) => cache.get(pk)),
      false,
    )
    .toBytes(true);
}
