import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  blsKeygen,
  blsSign,
  blsVerify,
  blsAggregateSignatures,
  blsAggregatePublicKeys,
  blsFastAggregateVerify,
  blsPublicKeyFromSecret,
  BlsPublicKeyCache,
  BlsInputError,
  blsBackend,
} from '../../src/crypto/bls.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

// Ethereum / chainsafe use the proof-of-possession ciphersuite.
const POP_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const noble = bls12_381.longSignatures;
const msg = new TextEncoder().encode('bttc checkpoint 1..256');
const keys = Array.from({ length: 8 }, (_, i) => blsKeygen(new Uint8Array(32).fill(0x10 + i)));

test('blst is loaded natively', () => assert.equal(blsBackend, 'native'));

test('keygen is deterministic, sizes are the compressed ones', () => {
  const a = blsKeygen(new Uint8Array(32).fill(7));
  const b = blsKeygen(new Uint8Array(32).fill(7));
  assert.deepEqual(a, b);
  assert.equal(a.secretKey.length, 32);
  assert.equal(a.publicKey.length, 48);
  assert.deepEqual(blsPublicKeyFromSecret(a.secretKey), a.publicKey);
  assert.notDeepEqual(blsKeygen(new Uint8Array(32).fill(8)).publicKey, a.publicKey);
  assert.throws(() => blsKeygen(new Uint8Array(31)), BlsInputError);
});

test('signatures and keys agree with @noble/curves (an independent implementation)', () => {
  for (const k of keys.slice(0, 3)) {
    assert.equal(bytesToHex(noble.getPublicKey(k.secretKey).toBytes()), bytesToHex(k.publicKey));
    const sig = blsSign(k.secretKey, msg);
    assert.equal(sig.length, 96);
    assert.equal(bytesToHex(noble.sign(noble.hash(msg, POP_DST), k.secretKey).toBytes()), bytesToHex(sig));
  }
  const sigs = keys.map((k) => blsSign(k.secretKey, msg));
  const agg = blsAggregateSignatures(sigs);
  const nobleAgg = noble.aggregateSignatures(sigs.map((s) => noble.Signature.fromBytes(s)));
  assert.equal(bytesToHex(agg), bytesToHex(nobleAgg.toBytes()));
  const aggPk = blsAggregatePublicKeys(keys.map((k) => k.publicKey));
  assert.ok(noble.verify(agg, noble.hash(msg, POP_DST), aggPk));
});

test('verify: valid, wrong message, wrong key, malformed', () => {
  const sig = blsSign(keys[0]!.secretKey, msg);
  assert.ok(blsVerify(msg, keys[0]!.publicKey, sig));
  assert.ok(!blsVerify(new Uint8Array([1, 2, 3]), keys[0]!.publicKey, sig));
  assert.ok(!blsVerify(msg, keys[1]!.publicKey, sig));
  assert.throws(() => blsVerify(msg, keys[0]!.publicKey, sig.subarray(1)), /96 bytes/);
  assert.throws(() => blsVerify(msg, new Uint8Array(48).fill(0xaa), sig), BlsInputError);
  const junkSig = new Uint8Array(96).fill(0xaa);
  assert.throws(() => blsVerify(msg, keys[0]!.publicKey, junkSig), BlsInputError);
});

test('fastAggregateVerify: all signers, a missing signer, an extra key', () => {
  const sigs = keys.map((k) => blsSign(k.secretKey, msg));
  const pks = keys.map((k) => k.publicKey);
  assert.ok(blsFastAggregateVerify(msg, pks, blsAggregateSignatures(sigs)));
  assert.ok(!blsFastAggregateVerify(msg, pks, blsAggregateSignatures(sigs.slice(1))));
  assert.ok(!blsFastAggregateVerify(msg, pks.slice(1), blsAggregateSignatures(sigs)));
  assert.ok(blsFastAggregateVerify(msg, pks.slice(2, 5), blsAggregateSignatures(sigs.slice(2, 5))));
  assert.throws(() => blsFastAggregateVerify(msg, [], sigs[0]!), /no public keys/);
  assert.throws(() => blsFastAggregateVerify(msg, [pks[0]!, new Uint8Array(47)], sigs[0]!), /public key 1/);
});

test('public key cache: hits after the first validation, bounded, rejects invalid keys without caching them', () => {
  const cache = new BlsPublicKeyCache(3);
  const sig = blsSign(keys[0]!.secretKey, msg);
  assert.ok(blsVerify(msg, keys[0]!.publicKey, sig, cache));
  assert.ok(blsVerify(msg, keys[0]!.publicKey, sig, cache));
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 1);
  // a copy of the same bytes is the same cache entry
  cache.get(keys[0]!.publicKey.slice());
  assert.equal(cache.hits, 2);
  for (const k of keys) cache.get(k.publicKey);
  assert.equal(cache.size, 3);
  assert.throws(() => cache.get(new Uint8Array(48).fill(0xaa)), BlsInputError);
  assert.equal(cache.size, 3);
});
