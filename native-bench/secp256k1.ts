/**
 * secp256k1 per operation: the native libsecp256k1 binding (what the node uses) vs @noble/curves
 * (pure JS) and the `secp256k1` package's own JS fallback (elliptic), which is what runs silently
 * when the binding fails to load.
 */
import { createRequire } from 'node:module';
import { secp256k1 as noble } from '@noble/curves/secp256k1.js';
import { newBench, report } from '../bench/lib/harness.ts';
import { sign, verify, recover, publicKeyCreate, secp256k1Backend } from '../src/crypto/secp256k1.ts';
import { runRows, ratio, isMain } from './common.ts';

const require = createRequire(import.meta.url);

interface EllipticApi {
  ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
  ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed?: boolean): Uint8Array;
}

export async function main(): Promise<void> {
  const elliptic = require('secp256k1/elliptic.js') as EllipticApi;
  const sk = new Uint8Array(32).fill(0x42);
  const digest = new Uint8Array(32).fill(0x17);
  const { signature, recid } = sign(digest, sk);
  const pk = publicKeyCreate(sk, false);
  const nobleSig = noble.Signature.fromBytes(signature, 'compact').addRecoveryBit(recid);
  const nobleRecovered = new Uint8Array(65);
  nobleRecovered[0] = recid;
  nobleRecovered.set(signature, 1);

  const bench = newBench();
  bench
    .add('native verify', () => void verify(signature, digest, pk))
    .add('native recover', () => void recover(signature, recid, digest))
    .add('noble verify', () => void noble.verify(signature, digest, pk, { prehash: false }))
    .add('noble recover', () => void noble.recoverPublicKey(nobleRecovered, digest, { prehash: false }))
    .add('elliptic (package fallback) verify', () => void elliptic.ecdsaVerify(signature, digest, pk))
    .add('elliptic (package fallback) recover', () => void elliptic.ecdsaRecover(signature, recid, digest, false));
  const r = await runRows(bench);
  void nobleSig;
  report('native-secp256k1', {
    backend: secp256k1Backend,
    rows: [...r.values()],
    ratios: {
      'noble verify / native verify': ratio(r, 'noble verify', 'native verify'),
      'noble recover / native recover': ratio(r, 'noble recover', 'native recover'),
      'elliptic verify / native verify': ratio(r, 'elliptic (package fallback) verify', 'native verify'),
      'elliptic recover / native recover': ratio(r, 'elliptic (package fallback) recover', 'native recover'),
    },
    notes: [`secp256k1 backend in use: ${secp256k1Backend}`],
  });
}

if (isMain(import.meta.url)) await main();
