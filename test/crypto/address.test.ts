import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TronWeb } from 'tronweb';
import { toChecksumAddress, toTronAddress, fromTronAddress, addressFromPublicKey } from '../../src/crypto/address.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';

test('EIP-55 checksum: the EIP examples', () => {
  // The test cases listed in EIP-55 itself.
  for (const a of [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]) {
    assert.equal(toChecksumAddress(a.toLowerCase()), a);
    assert.equal(toChecksumAddress(hexToBytes(a)), a);
  }
  assert.throws(() => toChecksumAddress('0x1234'), /20-byte/);
});

test('address from the mainnet genesis validators public keys matches their signer', () => {
  for (const v of vectors.mainnetGenesisValidatorSet.validators) assert.equal(bytesToHex(addressFromPublicKey(hexToBytes(v.pubKey))), v.signer);
});

const mainnet = JSON.parse(readFileSync(new URL('../../config/mainnet.json', import.meta.url), 'utf8')) as {
  rootChains: { kind: string; stakeManager: string; rootChain: string; stateSender: string }[];
};
const tron = mainnet.rootChains.find((c) => c.kind === 'tron')!;

test('TRON base58check: mainnet root contracts round trip and match tronweb', () => {
  assert.equal(tron.rootChain, '0x8330108cfdd47544b398c15a3c252ad1d5a5566c');
  for (const hex of [tron.stakeManager, tron.rootChain, tron.stateSender]) {
    const t = toTronAddress(hex);
    assert.match(t, /^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    // tronweb is an independent implementation of the same encoding
    assert.equal(t, TronWeb.address.fromHex('41' + hex.slice(2)));
    assert.equal(bytesToHex(fromTronAddress(t)), hex);
  }
});

test('TRON base58check: a well-known address (USDT TRC-20 contract)', () => {
  assert.equal(bytesToHex(fromTronAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t')), '0xa614f803b6fd780986a42c78ec9c7f77e6ded13c');
  assert.equal(toTronAddress('0xa614f803b6fd780986a42c78ec9c7f77e6ded13c'), 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
});

test('TRON base58check: bad checksum, bad characters and wrong prefix are rejected', () => {
  const t = toTronAddress(tron.rootChain);
  // change one character (keeping it in the alphabet) so the checksum no longer matches
  const last = t.at(-1)!;
  const bad = t.slice(0, -1) + (last === 'a' ? 'b' : 'a');
  assert.throws(() => fromTronAddress(bad), /checksum/);
  assert.throws(() => fromTronAddress(t.slice(0, 10) + '0' + t.slice(11)), /base58 character/);
  // base58check of an Ethereum-style (no 0x41 prefix) 21-byte payload
  assert.throws(() => fromTronAddress('1111111111111111111114oLvT2'), /not a TRON address/);
  assert.throws(() => toTronAddress('0x1234'), /20 bytes/);
});

test('TRON base58check: random addresses round trip', () => {
  for (let i = 0; i < 50; i++) {
    const a = crypto.getRandomValues(new Uint8Array(20));
    if (i === 0) a.fill(0);
    const t = toTronAddress(a);
    assert.equal(t[0], 'T');
    assert.deepEqual(fromTronAddress(t), a);
  }
});
