import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gauge, Registry } from 'prom-client';
import { countCalls } from '../helpers/count-calls.ts';
import { JobQueue } from '../../src/util/jobQueue.ts';

/** A job processor whose jobs finish when told to. */
function gated() {
  const waiting = new Map<number, () => void>();
  return {
    run: (n: number) => new Promise<number>((resolve) => waiting.set(n, () => resolve(n))),
    finish(n: number) {
      waiting.get(n)?.();
      waiting.delete(n);
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));
const value = (text: string, name: string, queue: string): number => {
  const m = new RegExp(`^${name}\\{queue="${queue}"\\} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name}{queue="${queue}"} not in the scrape`);
  return Number(m[1]);
};

test('length and running gauges are read at scrape time, per queue, and keep their last value after close', async () => {
  const reg = new Registry();
  const a = gated();
  const b = gated();
  const qa = new JobQueue<number, number>({ name: 'a', maxLength: 10, concurrency: 2 }, { metrics: reg }, a.run);
  const qb = new JobQueue<number, number>({ name: 'b', maxLength: 10, concurrency: 1 }, { metrics: reg }, b.run);
  const pa = [1, 2, 3, 4, 5].map((n) => qa.push(n));
  const pb = [1, 2].map((n) => qb.push(n));
  await tick();
  let text = await reg.metrics();
  assert.equal(value(text, 'bttc_job_queue_running', 'a'), 2);
  assert.equal(value(text, 'bttc_job_queue_length', 'a'), 3);
  assert.equal(value(text, 'bttc_job_queue_running', 'b'), 1);
  assert.equal(value(text, 'bttc_job_queue_length', 'b'), 1);

  a.finish(1);
  a.finish(2);
  await tick();
  text = await reg.metrics();
  assert.equal(value(text, 'bttc_job_queue_running', 'a'), 2);
  assert.equal(value(text, 'bttc_job_queue_length', 'a'), 1);

  a.finish(3);
  a.finish(4);
  await tick();
  a.finish(5);
  await Promise.all(pa);
  text = await reg.metrics();
  assert.equal(value(text, 'bttc_job_queue_running', 'a'), 0);
  assert.equal(value(text, 'bttc_job_queue_length', 'a'), 0);

  // Closing b drops its waiting job and waits for the running one; the series stays at 0 afterwards.
  const closing = qb.close();
  await assert.rejects(pb[1]!, /closed/);
  text = await reg.metrics();
  assert.equal(value(text, 'bttc_job_queue_running', 'b'), 1, 'running while close waits');
  assert.equal(value(text, 'bttc_job_queue_length', 'b'), 0);
  b.finish(1);
  await closing;
  text = await reg.metrics();
  assert.equal(value(text, 'bttc_job_queue_running', 'b'), 0);
  assert.equal(value(text, 'bttc_job_queue_length', 'b'), 0);
});

test('a queue on its own registry does not show up on another', async () => {
  const r1 = new Registry();
  const r2 = new Registry();
  const g = gated();
  const q1 = new JobQueue<number, number>({ name: 'one', maxLength: 4, concurrency: 1 }, { metrics: r1 }, g.run);
  new JobQueue<number, number>({ name: 'two', maxLength: 4, concurrency: 1 }, { metrics: r2 }, g.run);
  const p = q1.push(7);
  await tick();
  const t1 = await r1.metrics();
  const t2 = await r2.metrics();
  assert.equal(value(t1, 'bttc_job_queue_running', 'one'), 1);
  assert.doesNotMatch(t1, /queue="two"/);
  assert.doesNotMatch(t2, /queue="one"/);
  g.finish(7);
  assert.equal(await p, 7);
});

test('jobs set no gauge between scrapes (each set hashed its labels: four per job before)', async () => {
  const reg = new Registry();
  const q = new JobQueue<number, number>({ name: 'quiet', maxLength: 1000, concurrency: 4 }, { metrics: reg }, async (n) => n);
  const sets = countCalls(Gauge.prototype, 'set');
  try {
    await Promise.all(Array.from({ length: 200 }, (_, i) => q.push(i)));
    assert.equal(sets.count, 0, `200 jobs set gauges ${sets.count} times`);
    const text = await reg.metrics();
    assert.ok(sets.count >= 2 && sets.count <= 4, `a scrape sets each gauge once per open queue (${sets.count})`);
    assert.equal(value(text, 'bttc_job_queue_length', 'quiet'), 0);
    assert.match(text, /bttc_job_queue_jobs_total\{queue="quiet",outcome="ok"\} 200/);
    assert.match(text, /bttc_job_queue_run_seconds_count\{queue="quiet"\} 200/);
  } finally {
    sets.restore();
  }
});
