/** The shared test helpers keep their promises: keys match the simulator and the labels, dirs go away, waits name what timed out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simKey } from '../../src/delivery/consensus/sim/cluster.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { keyFromSecret, randomKey, testKey, testKeys } from './keys.ts';
import { makeTempDir, tempDir, withTempDir } from './tmp.ts';
import { sleep, until } from './until.ts';

test('keys: index keys are the simulator’s, label keys are keccak256(label), all fields agree', () => {
  assert.ok(equalBytes(testKey(3, 7).secret, simKey(7, 3)));
  assert.ok(equalBytes(testKey(0).secret, simKey(0, 0)));
  assert.ok(equalBytes(testKey('governance').secret, keccak256(new TextEncoder().encode('governance'))));
  assert.deepEqual(
    testKeys(3, 'x').map((k) => k.addressHex),
    [0, 1, 2].map((i) => testKey(`x-${i}`).addressHex),
  );
  assert.deepEqual(
    testKeys(2, 5).map((k) => k.addressHex),
    [testKey(0, 5).addressHex, testKey(1, 5).addressHex],
  );
  for (const k of [testKey(1), testKey('a'), randomKey()]) {
    assert.equal(k.publicKey.length, 65);
    assert.ok(equalBytes(k.publicKey, publicKeyCreate(k.secret, false)));
    assert.ok(equalBytes(k.address, addressFromPublicKey(k.publicKey)));
    assert.equal(k.addressHex, bytesToHex(k.address));
  }
  assert.notEqual(randomKey().addressHex, randomKey().addressHex);
  assert.throws(() => keyFromSecret(new Uint8Array(32)), /not a valid/);
});

test('tmp: tempDir goes when its hook runs, withTempDir even when the block throws', async () => {
  const hooks: (() => void | Promise<void>)[] = [];
  const dir = tempDir({ after: (fn) => void hooks.push(fn) }, 'self');
  writeFileSync(join(dir, 'f'), 'x');
  assert.ok(existsSync(dir));
  for (const h of hooks) await h();
  assert.ok(!existsSync(dir));

  let seen = '';
  await assert.rejects(
    withTempDir('self', (d) => {
      seen = d;
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.ok(seen && !existsSync(seen));

  const m = makeTempDir('self');
  m.remove();
  m.remove(); // idempotent
  assert.ok(!existsSync(m.path));
});

test('until: returns the value, retries throws, and names what it waited for and the last error', async () => {
  let n = 0;
  assert.equal(await until('three tries', 1000, () => (++n >= 3 ? 'done' : null), 1), 'done');
  let state = 'cold';
  await assert.rejects(
    until(
      () => `the oven (it is ${state})`,
      30,
      () => {
        state = 'warm';
        throw new Error('not hot');
      },
      5,
    ),
    /timed out after 0\.03 s waiting for the oven \(it is warm\) \(last error: not hot\)/,
  );
  const t0 = Date.now();
  await sleep(20);
  assert.ok(Date.now() - t0 >= 15);
});
