/**
 * BLS via blst: verify, fastAggregateVerify (64 signers, one message), aggregation, and the cost
 * of deserializing+validating a public key against a cache hit (why src/crypto/bls.ts caches).
 * @noble/curves verify is shown once as the pure-JS reference.
 */
import * as blst from '@chainsafe/blst';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { newBench, report, QUICK } from '../bench/lib/harness.ts';
import { blsKeygen, blsSign, blsVerify, blsAggregateSignatures, blsFastAggregateVerify, BlsPublicKeyCache } from '../src/crypto/bls.ts';
import { runRows, ratio, isMain } from './common.ts';

export async function main(): Promise<void> {
  const keys = Array.from({ length: 64 }, (_, i) => blsKeygen(new Uint8Array(32).fill(i + 1)));
  const msg = new Uint8Array(32).fill(9);
  const sigs = keys.map((k) => blsSign(k.secretKey, msg));
  const agg = blsAggregateSignatures(sigs);
  const pks = keys.map((k) => k.publicKey);
  const warm = new BlsPublicKeyCache();
  for (const pk of pks) warm.get(pk);
  const noble = bls12_381.longSignatures;
  const nobleMsg = noble.hash(msg, 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_');

  const bench = newBench();
  bench
    .add('blst verify (cached key)', () => void blsVerify(msg, pks[0]!, sigs[0]!, warm))
    .add('blst fastAggregateVerify 64 signers (cached keys)', () => void blsFastAggregateVerify(msg, pks, agg, warm))
    .add('blst fastAggregateVerify 64 signers (cold keys)', () => void blsFastAggregateVerify(msg, pks, agg, new BlsPublicKeyCache()))
    .add('blst aggregate 64 signatures', () => void blsAggregateSignatures(sigs))
    .add('public key deserialize+validate', () => void blst.PublicKey.fromBytes(pks[1]!, true))
    .add('public key cache hit', () => void warm.get(pks[1]!));
  if (!QUICK) bench.add('noble verify (pure JS)', () => void noble.verify(sigs[0]!, nobleMsg, pks[0]!));
  const r = await runRows(bench);
  const ratios: Record<string, number> = {
    'deserialize+validate / cache hit': ratio(r, 'public key deserialize+validate', 'public key cache hit'),
    'fastAggregateVerify cold / cached keys': ratio(r, 'blst fastAggregateVerify 64 signers (cold keys)', 'blst fastAggregateVerify 64 signers (cached keys)'),
  };
  if (!QUICK) ratios['noble verify / blst verify'] = ratio(r, 'noble verify (pure JS)', 'blst verify (cached key)');
  report('native-bls', { rows: [...r.values()], ratios });
}

if (isMain(import.meta.url)) await main();
