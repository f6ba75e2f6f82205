import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectors } from '../helpers/vectors.ts';
import { hexToBytes, bytesToHex } from '../../src/util/bytes.ts';
import { sign, signRsv, verify, recover, publicKeyCreate, isLowS, SECP256K1_N, secp256k1Backend, isValidSecretKey } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { secp256k1 as noble } from '@noble/curves/secp256k1.js';

const cs = vectors.checkpointSignature;
const sk = hexToBytes(cs.privateKey);
const digest = hexToBytes(cs.voteHash);

test('the native libsecp256k1 binding is in use (no silent elliptic fallback)', () => {
  assert.equal(secp256k1Backend, 'native');
});

test('checkpointSignature vector: signing the vote hash with the vector key gives r, s, v', () => {
  const { signature, recid } = sign(digest, sk);
  assert.equal(bytesToHex(signature.subarray(0, 32)), cs.r);
  assert.equal(bytesToHex(signature.subarray(32, 64)), cs.s);
  assert.equal(recid, cs.v);
  assert.equal(recid + 27, cs.rootChainV);
  const rsv = signRsv(digest, sk);
  assert.equal(rsv.length, 65);
  assert.equal(rsv[64], cs.v);
});

test('checkpointSignature vector: recover gives the signer address and verify accepts', () => {
  const sig = hexToBytes(cs.r + cs.s.slice(2));
  const pub = recover(sig, cs.v, digest);
  assert.equal(pub.length, 65);
  assert.equal(bytesToHex(addressFromPublicKey(pub)), cs.address);
  assert.equal(bytesToHex(addressFromPublicKey(publicKeyCreate(sk, true))), cs.address);
  assert.ok(verify(sig, digest, pub));
  assert.ok(verify(sig, digest, publicKeyCreate(sk, true)));
  const flipped = digest.slice();
  flipped[0]! ^= 1;
  assert.ok(!verify(sig, flipped, pub));
});

test('high-s form of a valid signature is rejected by verify and flagged by isLowS', () => {
  const sig = hexToBytes(cs.r + cs.s.slice(2));
  assert.ok(isLowS(sig));
  const s = BigInt(cs.s);
  const high = hexToBytes(cs.r + (SECP256K1_N - s).toString(16).padStart(64, '0'));
  assert.ok(!isLowS(high));
  assert.ok(!verify(high, digest, publicKeyCreate(sk)));
});

test('signatures agree with @noble/curves on random keys and digests', () => {
  for (let i = 0; i < 20; i++) {
    const key = crypto.getRandomValues(new Uint8Array(32));
    if (!isValidSecretKey(key)) continue;
    const msg = crypto.getRandomValues(new Uint8Array(32));
    const ours = signRsv(msg, key);
    const theirs = noble.sign(msg, key, { prehash: false, format: 'recovered' });
    // noble's recovered format is v ‖ r ‖ s
    assert.equal(bytesToHex(ours.subarray(0, 64)), bytesToHex(theirs.subarray(1)));
    assert.equal(ours[64], theirs[0]);
    assert.equal(bytesToHex(recover(ours.subarray(0, 64), ours[64]!, msg)), bytesToHex(noble.getPublicKey(key, false)));
  }
});

test('isLowS at the n/2 boundary', () => {
  const HALF = SECP256K1_N >> 1n;
  const sig = (s: bigint) => hexToBytes('0x' + '11'.repeat(32) + s.toString(16).padStart(64, '0'));
  assert.ok(isLowS(sig(HALF)));
  assert.ok(isLowS(sig(HALF - 1n)));
  assert.ok(isLowS(sig(1n)));
  assert.ok(!isLowS(sig(HALF + 1n)));
  assert.ok(!isLowS(sig(SECP256K1_N - 1n)));
  for (let i = 0; i < 200; i++) {
    const s = BigInt(bytesToHex(crypto.getRandomValues(new Uint8Array(32))));
    assert.equal(isLowS(sig(s)), s <= HALF);
  }
});
