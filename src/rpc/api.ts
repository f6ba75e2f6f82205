/**
 * The node's Bttc JSON-RPC surface in one call: the eth namespace (with net_* and web3_*), polled
 * filters, the txpool namespace, and the pool's accepted transactions published as pending events
 * (eth_subscribe "newPendingTransactions", eth_newPendingTransactionFilter). The node and the
 * client-compatibility tests compose the same way; bor_* and debug_* are registered beside it.
 */
import type { Registry } from 'prom-client';
import type { PoolTx } from '../bttc/txpool/interface.ts';
import { blockResolver } from './blocks.ts';
import { registerEth } from './eth.ts';
import type { ChainEvents } from './events.ts';
import { FilterSystem, registerFilters, type FilterOptions } from './filters.ts';
import type { EthBackend, MethodRegistryApi } from './interface.ts';
import { registerTxPool, type TxPoolView } from './txpool.ts';

export interface NodeRpcDeps {
  backend: EthBackend;
  events: ChainEvents;
  /** The Bttc txpool (TxPool): txpool_* and pending-transaction events. Absent: neither. */
  pool?: (TxPoolView & { onAdded(listener: (txs: readonly PoolTx[]) => void): () => void }) | null;
  filters?: FilterOptions;
  metrics?: Registry | null;
}

export interface NodeRpc {
  filters: FilterSystem;
  /** Stops the filter sweep and detaches from the pool. */
  close(): void;
}

export function registerNodeRpc(reg: MethodRegistryApi, deps: NodeRpcDeps): NodeRpc {
  const { backend, events } = deps;
  registerEth(reg, backend, events);
  const filters = new FilterSystem(deps.filters ?? {}, { events, chain: backend.chain, blocks: blockResolver(backend), metrics: deps.metrics ?? null });
  registerFilters(reg, filters);
  filters.start();
  let offPool = () => {};
  if (deps.pool) {
    registerTxPool(reg, deps.pool);
    // A PoolTx is a PendingTxEvent: published as is, nothing copied per intake.
    const off = deps.pool.onAdded((txs) => events.pendingTxs(txs));
    offPool = () => void off();
  }
  return {
    filters,
    close() {
      filters.close();
      offPool();
    },
  };
}
