import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { mixedBatch, checkMixedResults } from './fixtures.ts';
import type { VerifyItem } from '../../src/pools/interface.ts';

test('InlineVerifier: mixed valid / invalid / malformed batch, per-item results', async () => {
  const v = new InlineVerifier();
  const { items, expect } = mixedBatch();
  const results = await v.verifyBatch(items);
  checkMixedResults(results, expect);
  // single-item path agrees with the batch path
  for (let i = 0; i < items.length; i++) assert.deepEqual(await v.verify(items[i]!), results[i]);
  await v.close();
});

test('InlineVerifier: never throws for garbage items, rejects after close', async () => {
  const v = new InlineVerifier();
  const garbage = [null, {}, { kind: 'nope' }, { kind: 'secp256k1-recover', digest: 'x', signature: 5 }] as unknown as VerifyItem[];
  const res = await v.verifyBatch(garbage);
  assert.equal(res.length, 4);
  for (const r of res) {
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /^malformed/);
  }
  assert.ok(v.canAcceptWork());
  await v.close();
  assert.ok(!v.canAcceptWork());
  await assert.rejects(v.verify(garbage[0]!), /closed/);
});
