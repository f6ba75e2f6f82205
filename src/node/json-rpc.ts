/**
 * The node's JSON-RPC server, wired: the eth namespace with filters, txpool and subscriptions,
 * bor_* from the Bttc layer, bttcnode_status, /metrics, and the namespace gate from the config.
 * Transactions sent over RPC go to the pool and, once accepted, out by gossip.
 */
import type { ChainStore } from '../chain/store.ts';
import type { CallServiceApi, ExecutorApi } from '../evm/index.ts';
import { rpcCallBackend } from '../rpc/call-backend.ts';
import { registerDebug } from '../rpc/debug.ts';
import { registerStateProofs } from '../rpc/state-proofs.ts';
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
  /** The call workers: eth_call, estimates, access lists, proofs and traces. */
  calls: CallServiceApi;
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
  // Calls and estimates go to the call workers (timeouts as geth's -32000); plain state reads stay with the executor.
  const rpcExecutor = { ...rpcCallBackend(deps.calls), getAccount: executor.getAccount.bind(executor), getCode: executor.getCode.bind(executor), getStorage: executor.getStorage.bind(executor) };
  const nodeRpc = registerNodeRpc(registry, {
    backend: { chainId: BigInt(opts.chainId), chain, executor: rpcExecutor, txSink, gasPrice: () => 1_000_000_000n, finalizedNumber, rpcGasCap: opts.rpc.gasCap },
    events,
    pool,
    filters: { maxFilters: opts.rpc.maxFilters, maxChanges: opts.rpc.maxFilterChanges },
    metrics,
  });
  registerBorMethods(registry, { chain, signers: layer.signers, hashPool: deps.hashPool, finalizedNumber });
  registerStateProofs(registry, { chain, calls: deps.calls, finalizedNumber });
  // Bor pays fees to the block's signer (the header's coinbase is zero): traces see it as COINBASE.
  registerDebug(registry, { chain, calls: deps.calls, finalizedNumber, authorOf: (h, hash) => layer.signers.recover(h, hash) });
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
