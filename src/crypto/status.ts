/** Which implementation serves each crypto primitive; the node warns loudly at start on a fallback. */
import type { Logger } from 'pino';
import { secp256k1Backend, secp256k1LoadError } from './secp256k1.ts';
import { keccakBackend, keccakImplementation, keccakLoadError } from './keccak.ts';
import { blsBackend, blsLoadError } from './bls.ts';

export interface BackendStatus {
  backend: 'native' | 'js';
  /** What runs instead, and why, when the native backend is missing. */
  error?: string;
}

export type CryptoStatus = Record<'secp256k1' | 'keccak' | 'bls', BackendStatus>;

export function cryptoStatus(): CryptoStatus {
  return {
    secp256k1: secp256k1LoadError ? { backend: secp256k1Backend, error: `libsecp256k1 binding failed to load, using elliptic (~35x slower): ${secp256k1LoadError}` } : { backend: secp256k1Backend },
    keccak: keccakLoadError
      ? { backend: keccakBackend, error: `${keccakLoadError}; hashing with ${keccakImplementation === 'keccak-package' ? 'the keccak package, one call per hash' : '@noble/hashes (pure JS)'}` }
      : { backend: keccakBackend },
    // No JS fallback for BLS: without blst, BLS checks fail with an error naming the cause.
    bls: blsBackend === 'native' ? { backend: 'native' } : { backend: 'js', error: `@chainsafe/blst failed to load, BLS unavailable: ${blsLoadError}` },
  };
}

/** Kept async for existing callers (the status command). */
export async function nativeStatus(): Promise<CryptoStatus> {
  return cryptoStatus();
}

/**
 * Call once at node start: logs an error-level line per primitive that runs on a slow fallback, so
 * a broken install is obvious instead of showing up as a node that cannot keep up. Returns the
 * names of the fallbacks (empty when everything is native).
 */
export function warnIfSlowCrypto(logger: Pick<Logger, 'error' | 'info'>): string[] {
  const status = cryptoStatus();
  const slow: string[] = [];
  for (const [name, s] of Object.entries(status)) {
    if (s.backend === 'native') continue;
    slow.push(name);
    logger.error({ primitive: name, backend: s.backend, cause: s.error }, `SLOW CRYPTO: ${name} is not using its native backend. ${s.error ?? ''}`);
  }
  if (slow.length === 0) logger.info({ crypto: status }, 'crypto backends: all native');
  return slow;
}
