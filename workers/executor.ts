/**
 * The executor worker: owns the Bttc EVM state (its own classic-level directory) and runs every VM
 * call off the main thread, one at a time. Requests and results are single RLP buffers (src/evm/codec.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../src/observability/logger.ts';
import { Executor } from '../src/evm/executor.ts';
import * as codec from '../src/evm/codec.ts';
import { BlockValidationError, CallRevertedError } from '../src/evm/interface.ts';
import type { ExecutorAttachMsg, ExecutorErrorInfo, ExecutorMethod, ExecutorRequestMsg, ExecutorResponseMsg, ExecutorTopUpAskMsg, ExecutorTopUpMsg, ExecutorWorkerData } from '../src/evm/rpcTypes.ts';
import { bigToBytes } from '../src/evm/block.ts';

if (!parentPort) throw new Error('workers/executor.ts must run as a worker thread');
const port = parentPort;
const data = workerData as ExecutorWorkerData;
const logger = createLogger({ name: 'executor', level: (data.logLevel as LevelWithSilent | undefined) ?? 'warn' });

function exact(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b;
  return b.slice();
}

let ex: Executor;
try {
  ex = await Executor.open(data.opts, { logger });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
  throw err;
}

/** Top-up asks of builds in progress, by request id, waiting for the main thread's answer. */
const topUpWaiters = new Map<number, (payload: Uint8Array) => void>();

const handlers: Record<ExecutorMethod, (p: Uint8Array, id: number) => Promise<Uint8Array>> = {
  initGenesis: async (p) => codec.encodeHeaderFields(await ex.initGenesis(codec.decodeGenesis(p))),
  buildBlock: async (p, id) => {
    const { topUp, ...req } = codec.decodeBuildRequest(p);
    if (topUp) {
      req.more = () =>
        new Promise((resolve) => {
          topUpWaiters.set(id, (payload) => resolve(codec.decodeTopUp(payload)));
          port.postMessage({ id, topUpAsk: true } satisfies ExecutorTopUpAskMsg);
        });
    }
    try {
      return codec.encodeBuildResult(await ex.buildBlock(req));
    } finally {
      topUpWaiters.delete(id);
    }
  },
  executeBlock: async (p) => codec.encodeExecuteResult(await ex.executeBlock(codec.decodeExecuteRequest(p))),
  call: async (p) => {
    const { req, ref } = codec.decodeCall(p);
    return codec.encodeCallResult(await ex.call(req, ref));
  },
  estimateGas: async (p) => {
    const { req, ref } = codec.decodeCall(p);
    return codec.encode(bigToBytes(await ex.estimateGas(req, ref)));
  },
  getAccount: async (p) => {
    const [root, addr] = codec.decodeBytesList(p);
    return codec.encodeAccount(await ex.getAccount(root!, addr!));
  },
  getAccounts: async (p) => {
    const [root, ...addrs] = codec.decodeBytesList(p);
    return codec.encodeAccounts(await ex.getAccounts(root!, addrs));
  },
  getCode: async (p) => {
    const [root, addr] = codec.decodeBytesList(p);
    return codec.encode(await ex.getCode(root!, addr!));
  },
  getStorage: async (p) => {
    const [root, addr, slot] = codec.decodeBytesList(p);
    return codec.encode(await ex.getStorage(root!, addr!, slot!));
  },
  hasState: async (p) => {
    const [root] = codec.decodeBytesList(p);
    return codec.encode(bigToBytes((await ex.hasState(root!)) ? 1n : 0n));
  },
  close: async () => {
    await ex.close();
    setImmediate(() => port.close());
    return new Uint8Array(0);
  },
};

port.on('message', (msg: ExecutorRequestMsg | ExecutorAttachMsg | ExecutorTopUpMsg) => {
  if ('topUp' in msg) {
    const resolve = topUpWaiters.get(msg.id);
    topUpWaiters.delete(msg.id);
    resolve?.(msg.topUp);
    return;
  }
  if ('attachStateReader' in msg) {
    // A call worker's state-node channel: answered from this thread between its own awaits.
    ex.serveStateNodes(msg.attachStateReader).then(
      () => port.postMessage({ id: msg.id, ok: true, payload: new Uint8Array(0) } satisfies ExecutorResponseMsg),
      (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: { name: 'Error', message: (err as Error).message } } satisfies ExecutorResponseMsg),
    );
    return;
  }
  const h = handlers[msg.method];
  const run = h ? h(msg.payload, msg.id) : Promise.reject(new Error(`executor worker: unknown method ${String(msg.method)}`));
  run.then(
    (payload) => {
      const out = exact(payload);
      port.postMessage({ id: msg.id, ok: true, payload: out } satisfies ExecutorResponseMsg, [out.buffer as ArrayBuffer]);
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      const info: ExecutorErrorInfo = { name: e.name, message: e.message };
      if (e instanceof BlockValidationError) info.field = e.field;
      if (e instanceof CallRevertedError) info.data = e.data.slice();
      port.postMessage({ id: msg.id, ok: false, error: info } satisfies ExecutorResponseMsg);
    },
  );
});
