/**
 * bttc_thread_heap_bytes: every live thread of the process with its own heap, read at scrape time.
 * Real worker threads: one holding ~64 MB of JavaScript objects, one holding little, one spinning
 * in a loop (it must not stall the scrape).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { trackThreadHeaps } from '../../src/observability/thread-heap.ts';

const HOLD = (mb: number) => `
  const { parentPort } = require('node:worker_threads');
  // ${mb} MB of doubles (8 bytes each, unboxed in a double array).
  globalThis.kept = Array.from({ length: ${mb} * 131072 }, (_, i) => i + 0.5);
  parentPort.postMessage('ready');
  setInterval(() => {}, 1000);
`;

function series(text: string, thread: string, kind: string): number | null {
  const m = new RegExp(`^bttc_thread_heap_bytes\\{thread="${thread}",kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

test('each thread reports its own heap; an exited worker disappears; a spinning one does not stall the scrape', { timeout: 60_000 }, async () => {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const tracker = trackThreadHeaps({ timeoutMs: 300 }, { metrics });
  const big = new Worker(HOLD(64), { eval: true, name: 'test-big' });
  const small = new Worker(HOLD(1), { eval: true, name: 'test-small' });
  try {
    await Promise.all([once(big, 'message'), once(small, 'message')]);
    assert.deepEqual(tracker.threads().sort(), ['main', 'test-big', 'test-small']);
    const text = await metrics.metrics();
    const bigUsed = series(text, 'test-big', 'used');
    const smallUsed = series(text, 'test-small', 'used');
    assert.ok(bigUsed !== null && smallUsed !== null && series(text, 'main', 'used') !== null, text);
    assert.ok(bigUsed - smallUsed > 40 * 2 ** 20, `big ${bigUsed} vs small ${smallUsed}: each thread's own heap`);
    for (const kind of ['total', 'external', 'malloced']) assert.notEqual(series(text, 'test-big', kind), null, kind);

    await small.terminate();
    const after = await metrics.metrics();
    assert.equal(series(after, 'test-small', 'used'), null, 'an exited worker is no longer reported');
    assert.notEqual(series(after, 'test-big', 'used'), null);

    // A worker stuck in JavaScript for 5 s: the scrape answers within the timeout, with what it had.
    const spin = new Worker(`require('node:worker_threads').parentPort.postMessage('ready'); const end = Date.now() + 5000; while (Date.now() < end) {}`, {
      eval: true,
      name: 'test-spin',
    });
    await once(spin, 'message');
    const t0 = performance.now();
    await metrics.metrics();
    assert.ok(performance.now() - t0 < 3000, `the scrape took ${performance.now() - t0} ms`);
    await spin.terminate();
  } finally {
    await big.terminate();
    await small.terminate();
    tracker.close();
  }
  assert.equal(metrics.getSingleMetric('bttc_thread_heap_bytes'), undefined, 'close removes the gauge');
});
