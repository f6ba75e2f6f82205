/**
 * A call worker: eth_call, estimates, access lists, proofs and traces on a read-only view of the
 * executor's state, read node by node over the channel in workerData (src/evm/call). One request at
 * a time; each carries its deadline, which the EVM enforces itself (src/evm/call/deadline.ts). The
 * main thread terminates this worker if it ever fails to stop in time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../src/observability/logger.ts';
import { createBttcCommon } from '../src/evm/common.ts';
import { CallRevertedError, CallTimeoutError } from '../src/evm/interface.ts';
import { CallRunner, type RunLimit } from '../src/evm/call/runner.ts';
import { RemoteNodeDb } from '../src/evm/call/remoteNodeDb.ts';
import type { CallErrorInfo, CallJob, CallJobMsg, CallReplyMsg, CallWorkerData } from '../src/evm/call/protocol.ts';

if (!parentPort) throw new Error('workers/call.ts must run as a worker thread');
const port = parentPort;
const data = workerData as CallWorkerData;
const logger = createLogger({ name: 'call-worker', level: (data.logLevel as LevelWithSilent | undefined) ?? 'warn' });

let runner: CallRunner;
let db: RemoteNodeDb;
try {
  db = new RemoteNodeDb(data.nodePort, { cacheNodes: data.cacheNodes });
  const common = createBttcCommon({ chainId: data.chainId, hardfork: data.hardfork, eips: data.eips });
  runner = await CallRunner.create(common, db, { gasCap: data.gasCap });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
  throw err;
}

function run(job: CallJob, limit: RunLimit): Promise<unknown> {
  switch (job.kind) {
    case 'call':
      return runner.call(job.req, job.ref, limit);
    case 'estimateGas':
      return runner.estimateGas(job.req, job.ref, limit);
    case 'accessList':
      return runner.createAccessList(job.req, job.ref, limit);
    case 'proof':
      return runner.getProof(job.stateRoot, job.address, job.storageKeys, limit);
    case 'traceCall':
      return runner.traceCall(job.req, job.ref, job.opts, limit);
    case 'traceBlock':
      return runner.traceBlock(job.block, job.opts, job.txIndex, limit);
  }
}

// One at a time: the runner holds one state view.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: CallJobMsg) => {
  queue = queue.then(async () => {
    const limit: RunLimit = { deadlineAt: msg.deadlineEpochMs - performance.timeOrigin, timeoutMs: msg.timeoutMs };
    try {
      const result = await run(msg.job, limit);
      port.postMessage({ id: msg.id, ok: true, result, stats: db.takeStats() } satisfies CallReplyMsg);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const info: CallErrorInfo = { name: e.name, message: e.message };
      if (e instanceof CallRevertedError) info.data = e.data;
      if (e instanceof CallTimeoutError) info.timeoutMs = e.timeoutMs;
      else if (!(e instanceof CallRevertedError)) logger.debug({ kind: msg.job.kind, err: e.message }, 'call failed');
      port.postMessage({ id: msg.id, ok: false, error: info, stats: db.takeStats() } satisfies CallReplyMsg);
    }
  });
});
