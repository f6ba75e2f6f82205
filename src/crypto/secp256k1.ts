/**
 * secp256k1 through the native libsecp256k1 binding of the `secp256k1` package. That package
 * silently falls back to a pure-JS implementation (elliptic, ~35x slower) when its binding fails to
 * load; we load the binding ourselves so the fallback is visible (`secp256k1Backend`) and the node can
 * say so loudly at start.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Secp256k1Api {
  privateKeyVerify(sk: Uint8Array): boolean;
  publicKeyCreate(sk: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pk: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, sk: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(sig64: Uint8Array, msg32: Uint8Array, pk: Uint8Array): boolean;
  ecdsaRecover(sig64: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  signatureNormalize(sig64: Uint8Array): Uint8Array;
}

function loadBackend(): { api: Secp256k1Api; backend: 'native' | 'js'; loadError?: string } {
  try {
    return { api: require('secp256k1/bindings.js') as Secp256k1Api, backend: 'native' };
  } catch (err) {
    return { api: require('secp256k1/elliptic.js') as Secp256k1Api, backend: 'js', loadError: (err as Error).message };
  }
}

const loaded = loadBackend();
const api = loaded.api;

/** 'native' when libsecp256k1 is in use; 'js' when the package fell back to elliptic. */
export const secp256k1Backend: 'native' | 'js' = loaded.backend;
export const secp256k1LoadError: string | undefined = loaded.loadError;

/** Half the curve order: BTTC's root contracts reject s above it. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export interface RecoverableSignature {
  /** r ‖ s, 64 bytes, s low. */
  signature: Uint8Array;
  /** Recovery id 0 or 1. */
  recid: number;
}

/** Signs a 32-byte digest; libsecp256k1 always produces low-s (RFC 6979 nonces). */
export function sign(digest32: Uint8Array, secretKey: Uint8Array): RecoverableSignature {
  const { signature, recid } = api.ecdsaSign(digest32, secretKey);
  return { signature, recid };
}

/** 65-byte r ‖ s ‖ v form with v ∈ {0,1}, as Delivery signs checkpoints. */
export function signRsv(digest32: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const { signature, recid } = sign(digest32, secretKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = recid;
  return out;
}

/** Verifies r ‖ s against a public key (33 or 65 bytes). High-s signatures are invalid. */
export function verify(signature64: Uint8Array, digest32: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return api.ecdsaVerify(signature64, digest32, publicKey);
  } catch {
    return false;
  }
}

/** Recovers the 65-byte uncompressed public key, or throws on an invalid signature. */
export function recover(signature64: Uint8Array, recid: number, digest32: Uint8Array): Uint8Array {
  return api.ecdsaRecover(signature64, recid, digest32, false);
}

export function publicKeyCreate(secretKey: Uint8Array, compressed = false): Uint8Array {
  return api.publicKeyCreate(secretKey, compressed);
}

export function publicKeyConvert(publicKey: Uint8Array, compressed: boolean): Uint8Array {
  return api.publicKeyConvert(publicKey, compressed);
}

export function isValidSecretKey(secretKey: Uint8Array): boolean {
  return secretKey.length === 32 && api.privateKeyVerify(secretKey);
}

const HALF_N_BYTES = Uint8Array.from(Buffer.from(SECP256K1_HALF_N.toString(16).padStart(64, '0'), 'hex'));

/** True when s (bytes 32..64 of r ‖ s) is at most n/2. Byte compare: this runs per signature. */
export function isLowS(signature64: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const a = signature64[32 + i]!;
    const b = HALF_N_BYTES[i]!;
    if (a !== b) return a < b;
  }
  return true;
}
