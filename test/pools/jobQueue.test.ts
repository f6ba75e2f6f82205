import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { JobQueue, JobDroppedError } from '../../src/util/jobQueue.ts';
import { tick } from '../helpers/until.ts';

/** A processor whose jobs finish only when the test says so. */
function gated<T>() {
  const started: T[] = [];
  const gates = new Map<T, () => void>();
  const process = (job: T) =>
    new Promise<T>((res) => {
      started.push(job);
      gates.set(job, () => res(job));
    });
  return { started, process, finish: (job: T) => gates.get(job)!() };
}

test('runs at most `concurrency` jobs at once, in FIFO order', async () => {
  const g = gated<number>();
  const q = new JobQueue<number, number>({ name: 't', maxLength: 100, concurrency: 2 }, {}, g.process);
  const results = [1, 2, 3, 4, 5].map((n) => q.push(n));
  await tick();
  assert.deepEqual(g.started, [1, 2]);
  assert.equal(q.running, 2);
  assert.equal(q.length, 3);
  g.finish(2);
  await tick();
  assert.deepEqual(g.started, [1, 2, 3]);
  for (const n of [1, 3, 4, 5]) {
    await tick();
    g.finish(n);
  }
  assert.deepEqual(await Promise.all(results), [1, 2, 3, 4, 5]);
  await q.onIdle();
});

test('priority jobs go to the front, FIFO among themselves', async () => {
  const g = gated<string>();
  const q = new JobQueue<string, string>({ name: 't', maxLength: 100, concurrency: 1 }, {}, g.process);
  const all = [q.push('a'), q.push('b'), q.push('c'), q.push('P1', { priority: true }), q.push('P2', { priority: true })];
  for (const j of ['a', 'P1', 'P2', 'b', 'c']) {
    await tick();
    assert.equal(g.started.at(-1), j);
    g.finish(j);
  }
  await Promise.all(all);
});

test('reject-new: a full queue rejects the new job; canAccept follows the high-water mark', async () => {
  const g = gated<number>();
  const q = new JobQueue<number, number>({ name: 'full', maxLength: 3, concurrency: 1, highWaterMark: 2 }, {}, g.process);
  const p = [q.push(0), q.push(1), q.push(2)];
  await tick();
  assert.ok(!q.canAccept()); // 2 waiting
  p.push(q.push(3));
  await assert.rejects(q.push(4), (e: unknown) => e instanceof JobDroppedError && e.reason === 'queue full' && /full: queue full/.test(e.message));
  for (const n of [0, 1, 2, 3]) {
    await tick();
    g.finish(n);
  }
  assert.deepEqual(await Promise.all(p), [0, 1, 2, 3]);
  assert.ok(q.canAccept());
});

test('drop-oldest: the oldest waiting normal job is evicted with a clear error, priority jobs are kept', async () => {
  const g = gated<number>();
  const q = new JobQueue<number, number>({ name: 'gossip', maxLength: 2, concurrency: 1, dropPolicy: 'drop-oldest' }, {}, g.process);
  const running = q.push(0);
  await tick();
  const p1 = q.push(1);
  const p2 = q.push(2, { priority: true });
  const p3 = q.push(3); // evicts 1 (normal), not 2 (priority)
  await assert.rejects(p1, (e: unknown) => e instanceof JobDroppedError && e.reason === 'evicted');
  const p4 = q.push(4); // evicts 3
  await assert.rejects(p3, /evicted/);
  for (const n of [0, 2, 4]) {
    await tick();
    g.finish(n);
  }
  assert.deepEqual(await Promise.all([running, p2, p4]), [0, 2, 4]);
});

test('a processor that throws synchronously or rejects fails only its job', async () => {
  const q = new JobQueue<number, number>({ name: 't', maxLength: 10, concurrency: 2 }, {}, (n) => {
    if (n === 1) throw new Error('sync boom');
    if (n === 2) return Promise.reject(new Error('async boom'));
    return Promise.resolve(n * 10);
  });
  const [a, b, c] = await Promise.allSettled([q.push(0), q.push(1), q.push(2)]);
  assert.deepEqual(a, { status: 'fulfilled', value: 0 });
  assert.match(String((b as PromiseRejectedResult).reason), /sync boom/);
  assert.match(String((c as PromiseRejectedResult).reason), /async boom/);
  assert.equal(await q.push(3), 30);
});

test('close rejects waiting jobs, lets running ones finish, then refuses new work', async () => {
  const g = gated<number>();
  const q = new JobQueue<number, number>({ name: 'c', maxLength: 10, concurrency: 1 }, {}, g.process);
  const p0 = q.push(0);
  const p1 = q.push(1);
  await tick();
  const closing = q.close('shutting down');
  await assert.rejects(p1, (e: unknown) => e instanceof JobDroppedError && e.reason === 'closed' && /shutting down/.test(e.message));
  let closed = false;
  void closing.then(() => (closed = true));
  await tick();
  assert.ok(!closed, 'close waits for the running job');
  g.finish(0);
  assert.equal(await p0, 0);
  await closing;
  assert.ok(!q.canAccept());
  await assert.rejects(q.push(2), /closed/);
});

test('metrics: length, wait and run histograms, outcomes and drops', async () => {
  const reg = new Registry();
  const q = new JobQueue<number, number>({ name: 'm', maxLength: 1, concurrency: 1 }, { metrics: reg }, async (n) => {
    if (n < 0) throw new Error('neg');
    return n;
  });
  const ps = [q.push(1), q.push(-1), q.push(2)];
  await Promise.allSettled(ps);
  const text = await reg.metrics();
  assert.match(text, /bttc_job_queue_jobs_total\{queue="m",outcome="ok"\} 1/);
  assert.match(text, /bttc_job_queue_jobs_total\{queue="m",outcome="error"\} 1/);
  assert.match(text, /bttc_job_queue_dropped_total\{queue="m",reason="queue full"\} 1/);
  assert.match(text, /bttc_job_queue_wait_seconds_count\{queue="m"\} 2/);
  assert.match(text, /bttc_job_queue_run_seconds_count\{queue="m"\} 2/);
  assert.match(text, /bttc_job_queue_length\{queue="m"\} 0/);
});

test('many jobs: the head-index FIFO keeps order across compaction', async () => {
  const order: number[] = [];
  const q = new JobQueue<number, void>({ name: 'big', maxLength: 10_000, concurrency: 1 }, {}, async (n) => void order.push(n));
  await Promise.all(Array.from({ length: 5000 }, (_, i) => q.push(i)));
  assert.deepEqual(
    order,
    Array.from({ length: 5000 }, (_, i) => i),
  );
});
