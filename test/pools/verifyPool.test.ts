import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { VerifyPool, PoolClosedError, PoolOverloadedError } from '../../src/pools/verifyPool.ts';
import type { VerifyItem, VerifyResult } from '../../src/pools/interface.ts';
import { mixedBatch, checkMixedResults, recoverItem, verifyItem, blsItem } from './fixtures.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { malformedReason } from '../../src/pools/execute.ts';
import { sleep } from '../helpers/until.ts';

const pools: VerifyPool[] = [];
function pool(opts: ConstructorParameters<typeof VerifyPool>[0], deps: ConstructorParameters<typeof VerifyPool>[1] = {}): VerifyPool {
  const p = new VerifyPool(opts, deps);
  pools.push(p);
  return p;
}
after(() => Promise.all(pools.map((p) => p.close())));

const recoverPool = (n: number) => Array.from({ length: n }, () => recoverItem());
const addr = (r: VerifyResult) => (r.ok && r.kind === 'secp256k1-recover' ? bytesToHex(r.address) : `not ok: ${JSON.stringify(r)}`);

test('mixed valid / invalid / malformed batch: per-item results, same as singles and priority singles', async () => {
  const p = pool({ threads: 2, maxBatchSize: 8 });
  const { items, expect } = mixedBatch();
  checkMixedResults(await p.verifyBatch(items), expect);
  checkMixedResults(await Promise.all(items.map((it) => p.verify(it))), expect);
  checkMixedResults(await Promise.all(items.map((it) => p.verify(it, { priority: true }))), expect);
  checkMixedResults(await p.verifyBatch(items, { priority: true }), expect);
  assert.deepEqual(await p.verifyBatch([]), []);
});

test('many concurrent callers, singles and batches interleaved, each gets its own answers', async () => {
  const reg = new Registry();
  const p = pool({ threads: 2, maxBatchSize: 16, flushItems: 4, flushMs: 1 }, { metrics: reg });
  const callers = Array.from({ length: 24 }, async (_, c) => {
    const fixtures = recoverPool(1 + (c % 5) * 7);
    if (c % 3 === 0) {
      const results = await Promise.all(fixtures.map((f) => p.verify(f.item, { priority: c % 2 === 0 })));
      results.forEach((r, i) => assert.equal(addr(r), fixtures[i]!.address));
    } else {
      const results = await p.verifyBatch(fixtures.map((f) => f.item));
      results.forEach((r, i) => assert.equal(addr(r), fixtures[i]!.address));
    }
  });
  await Promise.all(callers);
  const text = await reg.metrics();
  // no task carried more than maxBatchSize items
  const over = /bttc_verify_pool_items_per_task_bucket\{le="16"\} (\d+)/.exec(text)![1];
  const count = /bttc_verify_pool_items_per_task_count (\d+)/.exec(text)![1];
  assert.equal(over, count);
  assert.match(text, /bttc_verify_pool_items_total\{kind="secp256k1-recover",result="ok"\} \d+/);
  assert.match(text, /bttc_job_queue_wait_seconds_count\{queue="verify-pool"\} [1-9]/);
  assert.match(text, /bttc_verify_pool_worker_run_seconds_count [1-9]/);
});

test('a batch larger than maxBatchSize is split and reassembled in order', async () => {
  const p = pool({ threads: 1, maxBatchSize: 7 });
  const fixtures = recoverPool(50);
  const items: VerifyItem[] = fixtures.map((f) => f.item);
  items.splice(13, 0, { kind: 'secp256k1-recover', digest: new Uint8Array(3), signature: new Uint8Array(65) });
  const res = await p.verifyBatch(items);
  assert.equal(res.length, 51);
  assert.match((res[13] as { reason: string }).reason, /malformed: digest/);
  res.splice(13, 1);
  res.forEach((r, i) => assert.equal(addr(r), fixtures[i]!.address));
});

test('priority work overtakes queued normal work', async () => {
  const p = pool({ threads: 1, tasksPerThread: 1, maxBatchSize: 64 });
  await p.verify(verifyItem()); // warm the worker
  const order: string[] = [];
  const normal = Array.from({ length: 5 }, (_, i) => p.verifyBatch(recoverPool(64).map((f) => f.item)).then(() => order.push(`n${i}`)));
  const prio = p.verify(blsItem(2), { priority: true }).then((r) => {
    assert.ok(r.ok);
    order.push('P');
  });
  await Promise.all([...normal, prio]);
  // n0 was already running; the priority task goes next
  assert.deepEqual(order.slice(0, 2), ['n0', 'P']);
});

test('backpressure: canAcceptWork turns false at the high-water mark, past the hard cap work is rejected', async () => {
  const p = pool({ threads: 1, tasksPerThread: 1, maxBatchSize: 1, highWaterJobs: 3, maxQueuedJobs: 6 });
  const fixtures = recoverPool(30);
  assert.ok(p.canAcceptWork());
  const accepted: Promise<VerifyResult[]>[] = [];
  for (let i = 0; i < 7; i++) accepted.push(p.verifyBatch([fixtures[i]!.item])); // 1 running + 6 queued
  assert.ok(!p.canAcceptWork());
  await assert.rejects(p.verifyBatch([fixtures[7]!.item]), PoolOverloadedError);
  await assert.rejects(p.verifyBatch(fixtures.slice(8).map((f) => f.item)), /overloaded.*canAcceptWork/);
  const results = await Promise.all(accepted);
  results.forEach((r, i) => assert.equal(addr(r[0]!), fixtures[i]!.address));
  assert.ok(p.canAcceptWork());
});

test('close with work in flight: every promise settles (result or PoolClosedError), nothing hangs', async () => {
  const p = new VerifyPool({ threads: 2, maxBatchSize: 32, flushMs: 50 });
  await p.verify(verifyItem());
  const fixtures = recoverPool(40);
  const batches = Array.from({ length: 12 }, () => p.verifyBatch(fixtures.map((f) => f.item)));
  const singles = fixtures.slice(0, 5).map((f) => p.verify(f.item));
  const prio = p.verify(fixtures[0]!.item, { priority: true });
  const t0 = performance.now();
  const all = Promise.allSettled([...batches, ...singles, prio]);
  await p.close();
  const settled = await all;
  assert.ok(performance.now() - t0 < 30_000);
  let ok = 0;
  let closed = 0;
  for (const s of settled) {
    if (s.status === 'fulfilled') {
      ok++;
      const value = s.value as VerifyResult | VerifyResult[];
      const arr = Array.isArray(value) ? value : [value];
      assert.ok(arr.every((r) => r.ok));
    } else {
      closed++;
      assert.ok(s.reason instanceof PoolClosedError, String(s.reason));
      assert.match((s.reason as Error).message, /closed/);
    }
  }
  assert.equal(ok + closed, settled.length);
  // the buffered singles (50 ms window) had not been sent yet
  assert.ok(closed >= 5, `closed ${closed}`);
  assert.ok(!p.canAcceptWork());
  await assert.rejects(p.verify(fixtures[0]!.item), PoolClosedError);
  await assert.rejects(p.verifyBatch([fixtures[0]!.item]), PoolClosedError);
  await p.close(); // idempotent
});

test('close with a zero grace period cuts running tasks off with PoolClosedError', async () => {
  const p = new VerifyPool({ threads: 1, maxBatchSize: 128, closeTimeoutMs: 0 });
  await p.verify(verifyItem());
  // Each batch is one task of BLS aggregate checks (a millisecond or more per item), so the first task
  // is still inside the worker when close() runs, however fast or idle the machine is.
  const bls = blsItem(16);
  const batches = Array.from({ length: 4 }, () => p.verifyBatch(Array.from({ length: 64 }, () => bls)));
  const all = Promise.allSettled(batches);
  await sleep(5); // the first task is inside the worker now
  await p.close();
  const settled = await all;
  assert.ok(
    settled.every((s) => s.status === 'rejected' && s.reason instanceof PoolClosedError),
    JSON.stringify(settled.map((s) => s.status === 'rejected' && (s.reason as Error).message)),
  );
  assert.ok(settled.some((s) => s.status === 'rejected' && /while .* running/.test((s.reason as Error).message)));
});

test('inlineMax: one or two secp256k1 items on an idle pool run on the calling thread, more (or BLS) go to a worker; results agree', async () => {
  const reg = new Registry();
  const p = pool({ threads: 1, inlineMax: 2 }, { metrics: reg });
  const workerRuns = async () => Number(/bttc_verify_pool_worker_run_seconds_count (\d+)/.exec(await reg.metrics())![1]);
  const { items, expect } = mixedBatch();
  const inline = await Promise.all(items.map((it) => p.verifyBatch([it])));
  checkMixedResults(
    inline.map((r) => r[0]!),
    expect,
  );
  const secpOnly = items.filter((it) => it.kind !== 'bls-fast-aggregate').length;
  assert.ok(secpOnly >= 2, 'the fixture has secp256k1 items');
  const blsOnly = items.filter((it) => it.kind === 'bls-fast-aggregate' && malformedReason(it) === null).length;
  assert.equal(await workerRuns(), blsOnly, 'only the BLS singles reached the worker');
  const three = recoverPool(3);
  const res = await p.verifyBatch(three.map((f) => f.item));
  res.forEach((r, i) => assert.equal(addr(r), three[i]!.address));
  assert.equal(await workerRuns(), blsOnly + 1, 'a batch of three is a worker task');
  const invalid = { ...verifyItem(), digest: new Uint8Array(32).fill(1) };
  const [bad] = await p.verifyBatch([invalid]);
  assert.equal(bad!.ok, false, 'an inline check still refuses a wrong digest');
});
