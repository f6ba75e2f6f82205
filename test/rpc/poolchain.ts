/**
 * A node backend for RPC tests, composed as the node composes it: executor + chain store + the real
 * txpool (InlineVerifier, accounts read at the head) behind registerNodeRpc and an RpcServer.
 * Blocks are built on demand (`mine`) from the pool's executable transactions, so a test decides
 * when transactions leave the pool (pending nonces, txpool_*, pending filters need them to wait).
 * With `calls`, call workers serve eth_call/eth_estimateGas, eth_getProof, eth_createAccessList and
 * debug_trace*, wired as src/node/json-rpc.ts wires them.
 */
import type { Registry } from 'prom-client';
import { LevelStore } from '../../src/db/level.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { Executor } from '../../src/evm/executor.ts';
import type { GenesisSpec } from '../../src/evm/interface.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { TxPool } from '../../src/bttc/txpool/pool.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer, type RpcServerOptions } from '../../src/rpc/server.ts';
import { ChainEvents } from '../../src/rpc/events.ts';
import { poolTxSink } from '../../src/rpc/txSink.ts';
import { registerNodeRpc, type NodeRpc } from '../../src/rpc/api.ts';
import type { FilterOptions } from '../../src/rpc/filters.ts';
import { CallService } from '../../src/evm/call/service.ts';
import type { CallServiceOptions } from '../../src/evm/call/interface.ts';
import { rpcCallBackend } from '../../src/rpc/call-backend.ts';
import { registerStateProofs } from '../../src/rpc/state-proofs.ts';
import { registerDebug } from '../../src/rpc/debug.ts';
import { tempDir } from '../evm/helpers.ts';

export interface PoolChain {
  url: string;
  wsUrl: string;
  chain: ChainStore;
  executor: Executor;
  pool: TxPool;
  events: ChainEvents;
  registry: MethodRegistry;
  server: RpcServer;
  api: NodeRpc;
  /** The call workers, when started with `calls`. */
  calls: CallService | null;
  /** Builds one block from the pool's executable transactions; resolves with its number and tx count. */
  mine(): Promise<{ number: bigint; txs: number }>;
  close(): Promise<void>;
}

export interface PoolChainOptions {
  chainId: number;
  genesis: GenesisSpec;
  namespaces?: readonly string[] | null;
  server?: Omit<RpcServerOptions, 'port'>;
  filters?: FilterOptions;
  metrics?: Registry | null;
  /** Start call workers (options besides chainId) and register eth_getProof, eth_createAccessList and debug_*. */
  calls?: Omit<CallServiceOptions, 'chainId'>;
}

export async function startPoolChain(opts: PoolChainOptions): Promise<PoolChain> {
  const d1 = tempDir('pool-state');
  const d2 = tempDir('pool-chain');
  const executor = await Executor.open({ chainId: opts.chainId, dataDir: d1.path });
  const chain = new ChainStore({}, { db: await LevelStore.open(d2.path) });
  await chain.init(await executor.initGenesis(opts.genesis));
  const pool = new TxPool(
    { chainId: opts.chainId, blockGasLimit: chain.head().header.gasLimit },
    {
      verifier: new InlineVerifier(),
      accounts: {
        getAccounts: async (addresses) => (await executor.getAccounts(chain.head().header.stateRoot, addresses)).map((a) => ({ nonce: a?.nonce ?? 0n, balance: a?.balance ?? 0n })),
        stateVersion: () => bytesToHex(chain.head().header.stateRoot),
      },
    },
  );
  const events = new ChainEvents();
  const coinbase = new Uint8Array(20).fill(0xcb);
  let mining: Promise<unknown> = Promise.resolve();

  async function mineNow(): Promise<{ number: bigint; txs: number }> {
    const head = chain.head();
    const txs = [...pool.pending()];
    const res = await executor.buildBlock({
      parent: { hash: head.hash, number: head.number, stateRoot: head.header.stateRoot },
      header: { number: head.number + 1n, time: head.header.time + 2n, gasLimit: head.header.gasLimit, difficulty: 1n, coinbase },
      author: coinbase,
      ancestorHashes: await chain.getAncestorHashes(head.hash, 256),
      txs: txs.map((t) => t.raw),
      senders: txs.map((t) => t.sender),
      budgetMs: 10_000,
    });
    const included = res.included.map((i) => txs[i]!);
    const { hash } = await chain.putBlock({ header: res.header, txs: included.map((t) => t.raw), senders: included.map((t) => t.sender), receipts: res.receipts }, { setHead: true });
    await pool.onNewHead(included.map((t) => t.sender));
    if (res.rejected.length) await pool.dropRejected(res.rejected.map((r) => txs[r.index]!.hash));
    await events.publish(chain, hash);
    return { number: res.header.number, txs: included.length };
  }

  const calls = opts.calls ? await CallService.start({ ...opts.calls, chainId: opts.chainId }, { host: executor, metrics: opts.metrics }) : null;
  const defaultNamespaces = calls ? ['eth', 'net', 'web3', 'txpool', 'debug'] : ['eth', 'net', 'web3', 'txpool'];
  const registry = new MethodRegistry({ metrics: opts.metrics, namespaces: opts.namespaces === undefined ? defaultNamespaces : opts.namespaces });
  // As the node: calls and estimates in the call workers, plain state reads from the executor.
  const rpcExecutor = calls
    ? { ...rpcCallBackend(calls), getAccount: executor.getAccount.bind(executor), getCode: executor.getCode.bind(executor), getStorage: executor.getStorage.bind(executor) }
    : executor;
  const api = registerNodeRpc(registry, {
    backend: { chainId: BigInt(opts.chainId), chain, executor: rpcExecutor, txSink: poolTxSink(pool), gasPrice: () => 1_000_000_000n },
    events,
    pool,
    filters: opts.filters,
    metrics: opts.metrics,
  });
  if (calls) {
    const finalizedNumber = () => undefined;
    registerStateProofs(registry, { chain, calls, finalizedNumber });
    registerDebug(registry, { chain, calls, finalizedNumber });
  }
  const server = new RpcServer({ port: 0, ...opts.server }, { registry, metrics: opts.metrics });
  const { url, wsUrl } = await server.start();
  return {
    url,
    wsUrl,
    chain,
    executor,
    pool,
    events,
    registry,
    server,
    api,
    calls,
    mine() {
      const run = mining.then(mineNow);
      mining = run.catch(() => undefined);
      return run;
    },
    async close() {
      api.close();
      await server.close();
      await pool.close();
      await calls?.close();
      await chain.close();
      await executor.close();
      d1.cleanup();
      d2.cleanup();
    },
  };
}
