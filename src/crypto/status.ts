/** Which implementation serves each crypto primitive; the node warns loudly at start on a fallback. */
import { secp256k1Backend, secp256k1LoadError } from './secp256k1.ts';
import { keccakBackend } from './keccak.ts';

export interface BackendStatus {
  backend: 'native' | 'js';
  error?: string;
}

export async function nativeStatus(): Promise<Record<'secp256k1' | 'keccak' | 'bls', BackendStatus>> {
  let bls: BackendStatus;
  try {
    await import('@chainsafe/blst');
    bls = { backend: 'native' };
  } catch (err) {
    bls = { backend: 'js', error: (err as Error).message };
  }
  return {
    secp256k1: secp256k1LoadError ? { backend: secp256k1Backend, error: secp256k1LoadError } : { backend: secp256k1Backend },
    keccak: { backend: keccakBackend },
    bls,
  };
}
