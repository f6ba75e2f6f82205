/** A signature checked at gossip validation is not checked again by the consumer: the second check is a memo hit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { SignatureMemo } from '../../src/node/signature-memo.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import type { VerifyItem } from '../../src/pools/interface.ts';
import { publicKeyCreate, signRsv } from '../../src/crypto/secp256k1.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { metricValue } from '../p2p/helpers.ts';

const sk = new Uint8Array(32).fill(7);
const pk = publicKeyCreate(sk);

function items(i: number): VerifyItem[] {
  const digest = keccak256(new Uint8Array([i]));
  const sig = signRsv(digest, sk);
  return [
    { kind: 'secp256k1-verify', digest, signature: sig.subarray(0, 64), publicKey: pk },
    { kind: 'secp256k1-recover', digest, signature: sig },
  ];
}

class Counting extends InlineVerifier {
  calls = 0;
  override async verifyBatch(xs: readonly VerifyItem[]) {
    this.calls += xs.length;
    return super.verifyBatch(xs);
  }
}

test('repeat checks hit the memo, with the same results; failures are not remembered; the memo is bounded', async () => {
  const inner = new Counting();
  const metrics = new Registry();
  const memo = new SignatureMemo(inner, { maxEntries: 4, metrics });
  const first = await memo.verifyBatch(items(1));
  assert.equal(inner.calls, 2);
  const again = await memo.verifyBatch(items(1));
  assert.equal(inner.calls, 2, 'answered from the memo');
  assert.deepEqual(again, first);
  assert.ok(first.every((r) => r.ok));
  assert.equal(await metricValue(metrics, 'bttc_verify_memo_hits_total'), 2);

  const v = items(2)[0] as Extract<VerifyItem, { kind: 'secp256k1-verify' }>;
  const forged = { ...v, signature: v.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) };
  assert.equal((await memo.verify(forged)).ok, false);
  assert.equal((await memo.verify(forged)).ok, false);
  assert.equal(inner.calls, 4, 'a failure is checked every time');

  // A different key or digest is a different item.
  const other = items(1)[0] as Extract<VerifyItem, { kind: 'secp256k1-verify' }>;
  assert.equal((await memo.verify({ ...other, publicKey: publicKeyCreate(new Uint8Array(32).fill(8)) })).ok, false);

  for (let i = 10; i < 14; i++) await memo.verifyBatch(items(i));
  const before = inner.calls;
  await memo.verifyBatch(items(1));
  assert.equal(inner.calls, before + 2, 'the oldest entries were dropped past maxEntries');
  await memo.close();
});
