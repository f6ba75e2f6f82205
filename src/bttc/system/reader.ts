/** ContractReader over the executor's `call` (eth_call on the state after a header). */
import type { ExecutorApi } from '../../evm/interface.ts';
import type { BttcHeader } from '../engine/types.ts';
import type { ContractReader } from './planner.ts';

export function executorContractReader(executor: Pick<ExecutorApi, 'call'>): ContractReader {
  return {
    async callAt(at: BttcHeader, to: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
      const r = await executor.call({ to, data }, { stateRoot: at.stateRoot, number: at.number, time: at.time, gasLimit: at.gasLimit });
      if (!r.success) throw new Error(`system contract read at block ${at.number} failed: ${r.error ?? 'reverted'}`);
      return r.returnValue;
    },
  };
}
