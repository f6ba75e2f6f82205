import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packRequest, unpackRequest, packResults, unpackResults } from '../../src/pools/verifyCodec.ts';
import type { VerifyItem, VerifyResult } from '../../src/pools/interface.ts';
import { recoverItem, verifyItem, blsItem, randomBytes } from './fixtures.ts';

const items: VerifyItem[] = [
  recoverItem().item,
  verifyItem(true),
  verifyItem(false),
  blsItem(5),
  { kind: 'bls-fast-aggregate', message: new Uint8Array(0), publicKeys: [randomBytes(48)], signature: randomBytes(96) },
];

test('request round trip: one exact-size buffer, every field back in place', () => {
  const buf = packRequest(items);
  assert.equal(buf.byteOffset, 0);
  assert.equal(buf.buffer.byteLength, buf.length);
  assert.deepEqual(unpackRequest(buf), items);
});

test('results round trip, with recovered keys and reasons', () => {
  const results: VerifyResult[] = [
    { ok: true, kind: 'secp256k1-recover', address: randomBytes(20), publicKey: randomBytes(65) },
    { ok: true, kind: 'secp256k1-verify' },
    { ok: false, kind: 'secp256k1-verify', reason: 'invalid signature: s above n/2 — ünïcode' },
    { ok: false, kind: 'bls-fast-aggregate', reason: '' },
    { ok: true, kind: 'bls-fast-aggregate' },
  ];
  assert.deepEqual(unpackResults(packResults(results), items), results);
});

test('corrupt buffers fail loudly instead of reading garbage', () => {
  const buf = packRequest(items);
  assert.throws(() => unpackRequest(buf.subarray(0, buf.length - 1)), /header does not match/);
  assert.throws(() => unpackRequest(new Uint8Array(3)), /too short/);
  const badKind = buf.slice();
  badKind[new DataView(badKind.buffer).getUint32(4, true)] = 9;
  assert.throws(() => unpackRequest(badKind), /unknown kind code 9/);
  assert.throws(() => unpackResults(packResults([{ ok: true, kind: 'secp256k1-verify' }]), items), /1 results for 5 items/);
});
