/** Messages between ExecutorClient (main thread) and workers/executor.ts. Payloads are codec.ts bytes, transferred. */
import type { MessagePort } from 'node:worker_threads';
import type { ExecutorOptions } from './executor.ts';

export type ExecutorMethod = 'initGenesis' | 'buildBlock' | 'executeBlock' | 'call' | 'estimateGas' | 'getAccount' | 'getAccounts' | 'getCode' | 'getStorage' | 'hasState' | 'close';

export interface ExecutorWorkerData {
  opts: ExecutorOptions;
  logLevel?: string;
}

export interface ExecutorRequestMsg {
  id: number;
  method: ExecutorMethod;
  payload: Uint8Array;
}

/** Hands the worker one end of a call worker's state-node channel (answered like a request, empty payload). */
export interface ExecutorAttachMsg {
  id: number;
  attachStateReader: MessagePort;
}

export interface ExecutorErrorInfo {
  name: string;
  message: string;
  /** BlockValidationError: which header field failed. */
  field?: string;
  /** CallRevertedError: the revert data. */
  data?: Uint8Array;
}

/** Worker → main: build request `id` asks for a top-up (BuildBlockRequest.more). */
export interface ExecutorTopUpAskMsg {
  id: number;
  topUpAsk: true;
}

/** Main → worker: the answer to a top-up ask of build `id` (codec.encodeTopUp). */
export interface ExecutorTopUpMsg {
  id: number;
  topUp: Uint8Array;
}

export type ExecutorResponseMsg = { id: number; ok: true; payload: Uint8Array } | { id: number; ok: false; error: ExecutorErrorInfo };

export type ExecutorLifecycleMsg = { ready: true } | { failed: string };
