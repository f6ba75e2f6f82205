/**
 * A call worker: eth_call, estimates, access lists, proofs and traces on a read-only view of the
 * executor's state, read node by node over the channel in workerData (src/evm/call). Several requests
 * at a time, interleaved in time slices; each carries its deadline, which the EVM enforces itself
 * (src/evm/call/deadline.ts). The main thread terminates this worker if it ever fails to stop in time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../src/observability/logger.ts';
import { createBttcCommon } from '../src/evm/common.ts';
import { CallRevertedError, CallTimeoutError } from '../src/evm/interface.ts';
import { CallRunner, type RunLimit } from '../src/evm/call/runner.ts';
import { firstTurn } from '../src/evm/call/deadline.ts';
import { RemoteNodeDb } from '../src/evm/call/remoteNodeDb.ts';
import type { CallErrorInfo, CallJob, CallJobMsg, CallReplyMsg, CallWorkerData } from '../src/evm/call/protocol.ts';

if (!parentPort) throw new Error('workers/call.ts must run as a worker thread');
const port = parentPort;
const data = workerData as CallWorkerData;
const logger = createLogger({ name: 'call-worker', level: (data.logLevel as LevelWithSilent | undefined) ?? 'warn' });

/**
 * Calls in flight at once in this worker, each on its own runner (own state view and EVM). They
 * interleave in time slices (deadline.ts), as geth runs each call on its own goroutine: a cheap call
 * arriving during long ones is answered at once instead of after them. The main thread sends at most
 * this many (service.ts); more wait there.
 */
export const SLICE_MS = 5;

let db: RemoteNodeDb;
let common: ReturnType<typeof createBttcCommon>;
const idle: CallRunner[] = [];
const newRunner = () => CallRunner.create(common, db.view(), { gasCap: data.gasCap, sliceMs: SLICE_MS });
try {
  db = new RemoteNodeDb(data.nodePort, { cacheNodes: data.cacheNodes });
  common = createBttcCommon({ chainId: data.chainId, hardfork: data.hardfork, eips: data.eips });
  idle.push(await newRunner());
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
  throw err;
}

function run(runner: CallRunner, job: CallJob, limit: RunLimit): Promise<unknown> {
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

port.on('message', (msg: CallJobMsg) => {
  void (async () => {
    const limit: RunLimit = { deadlineAt: msg.deadlineEpochMs - performance.timeOrigin, timeoutMs: msg.timeoutMs };
    let runner: CallRunner | undefined;
    try {
      // A runner holds one state view: each call in flight gets its own (kept for the next one).
      await firstTurn(limit.deadlineAt);
      runner = idle.pop() ?? (await newRunner());
      const result = await run(runner, msg.job, limit);
      port.postMessage({ id: msg.id, ok: true, result, stats: db.takeStats() } satisfies CallReplyMsg);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const info: CallErrorInfo = { name: e.name, message: e.message };
      if (e instanceof CallRevertedError) info.data = e.data;
      if (e instanceof CallTimeoutError) info.timeoutMs = e.timeoutMs;
      else if (!(e instanceof CallRevertedError)) logger.debug({ kind: msg.job.kind, err: e.message }, 'call failed');
      port.postMessage({ id: msg.id, ok: false, error: info, stats: db.takeStats() } satisfies CallReplyMsg);
    } finally {
      if (runner) idle.push(runner);
    }
  })();
});
