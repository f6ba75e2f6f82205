/**
 * Entry point: one ExecutorApi, in the executor worker (the Bttc layer: the EVM never runs on the main
 * thread) or in-process (the embedded root chain, tests). Either can feed call workers its state
 * nodes (StateNodeHost), which is how the call service (src/evm/call) reads state.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { Executor, type ExecutorOptions } from './executor.ts';
import { ExecutorClient } from './executorClient.ts';
import type { ExecutorApi } from './interface.ts';
import type { StateNodeHost } from './call/interface.ts';

export type { ExecutorOptions } from './executor.ts';
export * from './interface.ts';
export type { StateNodeHost, CallServiceApi, CallServiceOptions, AccessListResult, AccountProof, TraceOptions, ReplayBlock } from './call/interface.ts';
export { CallService, type CallServiceDeps } from './call/service.ts';

export async function createExecutor(
  opts: ExecutorOptions & { mode: 'worker' | 'inline' },
  deps: { metrics?: Registry | null; logger?: Logger; logLevel?: string } = {},
): Promise<ExecutorApi & StateNodeHost> {
  const { mode, ...rest } = opts;
  return mode === 'worker' ? ExecutorClient.start(rest, deps) : Executor.open(rest, deps);
}
