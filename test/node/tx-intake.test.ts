/**
 * TxIntake in front of a real TxPool: raw transactions wait while block imports are queued (at most
 * maxHoldMs), then get the pool's own verdicts; held callers are coalesced into one pool batch.
 * The layer side (BttcLayer.importsSettled with a real import) is in test/bttc/layer.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { TxPool } from '../../src/bttc/txpool/pool.ts';
import type { AddResult } from '../../src/bttc/txpool/interface.ts';
import { TxIntake } from '../../src/node/txIntake.ts';
import { makeSigners, MemAccounts, signTx, testParams } from '../bttc/helpers.ts';

const users = makeSigners(3, 'intake-user');

function setup(maxHoldMs?: number) {
  const accounts = new MemAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 1n, balance: 10n ** 24n });
  const metrics = createMetricsRegistry();
  const pool = new TxPool({ chainId: testParams.chainId, blockGasLimit: 20_000_000n, minGasPrice: 2n }, { verifier: new InlineVerifier(), accounts, db: null, metrics: null });
  let batches = 0;
  const counted = { addRaw: (raws: readonly Uint8Array[]) => (batches++, pool.addRaw(raws)), addChecked: pool.addChecked.bind(pool) };
  // An import in flight, released by the test (BttcLayer.importsSettled's contract: null when none).
  let gate: { promise: Promise<void>; release: () => void } | null = null;
  const block = () => {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    gate = { promise, release: () => ((gate = null), release()) };
    return gate;
  };
  const intake = new TxIntake(counted, maxHoldMs === undefined ? {} : { maxHoldMs }, { importsSettled: () => gate?.promise ?? null, metrics });
  const held = async () => {
    const m = (await metrics.getMetricsAsJSON()).find((x) => x.name === 'bttc_txintake_import_hold_seconds') as { values: { metricName?: string; value: number }[] } | undefined;
    return m?.values.find((v) => v.metricName === 'bttc_txintake_import_hold_seconds_count')?.value ?? 0;
  };
  return { pool, intake, block, batches: () => batches, held };
}

const codes = (rs: readonly AddResult[]) => rs.map((r) => (r.ok ? 'ok' : `${r.code}: ${r.reason}`));

test('raw transactions wait for a running import, then all held callers enter the pool in one batch with the pool’s verdicts', async () => {
  const { pool, intake, block, batches, held } = setup();
  const gate = block();
  const good = signTx({ nonce: 1n, gasPrice: 5n }, users[0]!.key);
  const low = signTx({ nonce: 0n, gasPrice: 5n }, users[1]!.key);
  const cheap = signTx({ nonce: 1n, gasPrice: 1n }, users[2]!.key);
  const done: string[] = [];
  const calls = [good, low, cheap].map((raw, i) => intake.add([raw]).then((r) => (done.push(String(i)), r)));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(done, [], 'nothing answered while the import runs');
  assert.equal(pool.size, 0, 'nothing entered the pool while the import runs');
  gate.release();
  const res = (await Promise.all(calls)).map((r) => r[0]!);
  assert.equal(batches(), 1, 'the three held callers went to the pool as one batch');
  assert.equal(pool.size, 1);
  // The same verdicts the pool gives without the intake in front.
  const direct = setup();
  const expected = [...(await direct.pool.addRaw([good])), ...(await direct.pool.addRaw([low])), ...(await direct.pool.addRaw([cheap]))];
  assert.deepEqual(codes(res), codes(expected));
  assert.match(codes(res)[1]!, /^nonce-too-low: /);
  assert.match(codes(res)[2]!, /^underpriced: /);
  assert.equal(await held(), 1, 'one held batch counted');
});

test('the hold is bounded: an import that does not finish delays intake by maxHoldMs, not longer', async () => {
  const { pool, intake, block } = setup(150);
  block(); // never released
  const t0 = performance.now();
  const [r] = await intake.add([signTx({ nonce: 1n, gasPrice: 5n }, users[0]!.key)]);
  const waited = performance.now() - t0;
  assert.ok(r?.ok, JSON.stringify(r));
  assert.equal(pool.size, 1);
  assert.ok(waited >= 140, `waited ${waited} ms`);
  assert.ok(waited < 5000, `waited ${waited} ms`);
});

test('without an import nothing waits and nothing is counted as held', async () => {
  const { intake, held } = setup(60_000);
  const [r] = await intake.add([signTx({ nonce: 1n, gasPrice: 5n }, users[0]!.key)]);
  assert.ok(r?.ok, JSON.stringify(r));
  assert.equal(await held(), 0);
});

test('a negative or non-numeric maxHoldMs is refused naming the option', () => {
  assert.throws(() => setup(-1), /maxHoldMs must be ≥ 0, got -1/);
  assert.throws(() => setup(Number.NaN), /maxHoldMs must be ≥ 0, got NaN/);
});
