/** Messages between CallService (main thread) and workers/call.ts. Structured clone: bigints and bytes travel as they are. */
import type { MessagePort } from 'node:worker_threads';
import type { CallBlockRef, CallRequest } from '../interface.ts';
import type { ReplayBlock, TraceOptions } from './interface.ts';
import type { NodeFetchStats } from './remoteNodeDb.ts';

export interface CallWorkerData {
  chainId: number | bigint;
  hardfork?: string;
  eips?: number[];
  gasCap?: bigint;
  cacheNodes?: number;
  logLevel?: string;
  /** The call worker's end of its state-node channel (transferred). */
  nodePort: MessagePort;
}

export type CallJob =
  | { kind: 'call'; req: CallRequest; ref: CallBlockRef }
  | { kind: 'estimateGas'; req: CallRequest; ref: CallBlockRef }
  | { kind: 'accessList'; req: CallRequest; ref: CallBlockRef }
  | { kind: 'proof'; stateRoot: Uint8Array; address: Uint8Array; storageKeys: Uint8Array[] }
  | { kind: 'traceCall'; req: CallRequest; ref: CallBlockRef; opts: TraceOptions }
  | { kind: 'traceBlock'; block: ReplayBlock; opts: TraceOptions; txIndex?: number };

export type CallJobKind = CallJob['kind'];

export interface CallJobMsg {
  id: number;
  job: CallJob;
  /** Deadline as epoch ms (performance.timeOrigin + now): comparable across threads. */
  deadlineEpochMs: number;
  timeoutMs: number;
}

export interface CallErrorInfo {
  name: string;
  message: string;
  /** CallRevertedError: the revert data. */
  data?: Uint8Array;
  /** CallTimeoutError: the limit. */
  timeoutMs?: number;
}

export type CallReplyMsg = { id: number; ok: true; result: unknown; stats: NodeFetchStats } | { id: number; ok: false; error: CallErrorInfo; stats: NodeFetchStats };

export type CallLifecycleMsg = { ready: true } | { failed: string };
