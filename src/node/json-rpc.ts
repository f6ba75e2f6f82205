/**
 * The node's JSON-RPC server, wired: the eth namespace with filters, txpool and subscriptions,
 * bor_* from the Bttc layer, bttcnode_status, /metrics, and the namespace gate from the config.
 * Transactions sent over RPC go to the pool and, once accepted, out by gossip.
 */
import type { ChainStore } from '../chain/store.ts';
import type { ExecutorApi } from '../evm/interface.ts';
import type { HashPool } from '../pools/index.ts';
import type { BttcLayer } from '../bttc/layer.ts';
import { registerBorMethods } from '../bttc/rpc.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import { registerNodeRpc } from '../rpc/api.ts';
import type { ChainEvents } from '../rpc/events.ts';
import { MethodRegistry } from '../rpc/registry.ts';
import { metricsRoute, RpcServer } from '../rpc/server.ts';
import { poolTxSink } from '../rpc/txSink.ts';
import type { NodeSection } from './config.ts';
import type { TxGossipBatcher } from './gossip-handlers.ts';
import type { TxIntake } from './txIntake.ts';

export interface JsonRpcDeps {
  chain: ChainStore;
  executor: ExecutorApi;
  layer: BttcLayer;
  intake: TxIntake;
  txGossip: Pick<TxGossipBatcher, 'queue'>;
  hashPool: HashPool;
  events: ChainEvents;
  /** The last block a checkpoint acked on the root chain covers ("finalized"/"safe"). */
  finalizedNumber(): bigint | undefined;
  status(): unknown;
  metrics: Registry;
  logger: Logger;
}

export async function startJsonRpc(opts: { rpc: NodeSection['rpc']; chainId: number }, deps: JsonRpcDeps): Promise<{ url: string; close(): Promise<void> }> {
  const { chain, executor, layer, metrics, logger, events, finalizedNumber } = deps;
  const registry = new MethodRegistry({ metrics, logger, namespaces: opts.rpc.namespaces });
  const pool = layer.txpool;
  const txSink = poolTxSink({ addRaw: (raws) => deps.intake.add([...raws]), nextNonce: (a) => pool.nextNonce(a), get: (h) => pool.get(h) }, { onAccepted: (raw) => deps.txGossip.queue(raw) });
  const nodeRpc = registerNodeRpc(registry, {
    backend: { chainId: BigInt(opts.chainId), chain, executor, txSink, gasPrice: () => 1_000_000_000n, finalizedNumber },
    events,
    pool,
    filters: { maxFilters: opts.rpc.maxFilters, maxChanges: opts.rpc.maxFilterChanges },
    metrics,
  });
  registerBorMethods(registry, { chain, signers: layer.signers, hashPool: deps.hashPool, finalizedNumber });
  registry.register('bttcnode_status', () => deps.status());
  const server = new RpcServer({ host: opts.rpc.host, port: opts.rpc.port, cors: opts.rpc.cors, batchResponseMaxSize: opts.rpc.batchResponseMaxSize }, { registry, metrics, logger });
  server.route('GET', '/metrics', metricsRoute(metrics));
  const { url } = await server.start();
  return {
    url,
    async close() {
      await server.close();
      nodeRpc.close();
    },
  };
}
