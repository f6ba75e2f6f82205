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

test('createSignatureVerifier: threads 0 is inline, otherwise a pool; both give the same results', async () => {
  const { createSignatureVerifier, VerifyPool } = await import('../../src/pools/index.ts');
  const inline = createSignatureVerifier({ threads: 0 });
  const pool = createSignatureVerifier({ threads: 1 });
  assert.ok(inline instanceof InlineVerifier);
  assert.ok(pool instanceof VerifyPool);
  const { items, expect } = mixedBatch();
  checkMixedResults(await pool.verifyBatch(items), expect);
  assert.deepEqual(await pool.verifyBatch(items), await inline.verifyBatch(items));
  await Promise.all([inline.close(), pool.close()]);
});
