/**
 * The V8 heap of every thread of this process, read when /metrics is scraped: the main thread and
 * each worker (executor, network, call workers, the verify and hash pools). The process RSS alone
 * cannot say which thread grows during a soak, or whether the growth is JavaScript at all; these
 * gauges can (native memory, e.g. LevelDB's, is RSS minus the heaps).
 *
 * Workers are found through the process's 'worker' event, so tracking starts before the first
 * worker is created. A worker that does not answer within `timeoutMs` (busy in native code) keeps
 * its previous reading for that scrape.
 */
import { getHeapStatistics, type HeapInfo } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { Gauge, type Registry } from './metrics.ts';

const METRIC = 'bttc_thread_heap_bytes';

export interface ThreadHeapTracker {
  /** Threads tracked now: "main" and each live worker's name (pool workers, which have no name of their own: "worker-<threadId>"). */
  threads(): string[];
  /** Stops following new workers and drops the readings. */
  close(): void;
}

/** What is exported per thread (bytes). */
const KINDS = {
  used: (h: HeapInfo) => h.used_heap_size,
  total: (h: HeapInfo) => h.total_heap_size,
  external: (h: HeapInfo) => h.external_memory,
  malloced: (h: HeapInfo) => h.malloced_memory,
} as const;

export function trackThreadHeaps(opts: { timeoutMs?: number }, deps: { metrics: Registry }): ThreadHeapTracker {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const workers = new Map<number, { name: string; worker: Worker }>();
  const last = new Map<string, HeapInfo>();
  const onWorker = (worker: Worker) => {
    const id = worker.threadId;
    // Pool workers (piscina) carry Node's default name: told apart by thread id.
    const named = worker.threadName && worker.threadName !== 'WorkerThread';
    workers.set(id, { name: named ? worker.threadName : `worker-${id}`, worker });
    worker.once('exit', () => {
      const w = workers.get(id);
      workers.delete(id);
      if (w) last.delete(w.name);
    });
  };
  process.on('worker', onWorker);

  const read = async (w: Worker): Promise<HeapInfo | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([w.getHeapStatistics().catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  // One gauge per registry: a second tracker on the same registry (several nodes in one test
  // process) replaces the first one's gauge. It reports the workers started after it was created.
  deps.metrics.removeSingleMetric(METRIC);
  const g: Gauge<string> = new Gauge({
    name: METRIC,
    help: 'V8 heap of each thread of the process, by kind (used, total, external, malloced), read at scrape time',
    labelNames: ['thread', 'kind'],
    registers: [deps.metrics],
    // prom-client awaits this before it serialises the gauge.
    async collect() {
      last.set('main', getHeapStatistics());
      const live = [...workers.values()];
      const stats = await Promise.all(live.map((w) => read(w.worker)));
      live.forEach((w, i) => {
        const s = stats[i];
        if (s) last.set(w.name, s);
      });
      g.reset();
      for (const [thread, h] of last) for (const [kind, f] of Object.entries(KINDS)) g.set({ thread, kind }, f(h));
    },
  });

  return {
    threads: () => ['main', ...[...workers.values()].map((w) => w.name)],
    close: () => {
      process.off('worker', onWorker);
      if (deps.metrics.getSingleMetric(METRIC) === g) deps.metrics.removeSingleMetric(METRIC);
      workers.clear();
      last.clear();
    },
  };
}
