/**
 * The test's own small dev chain: executor (in-process) + chain store + RPC, mining one block per
 * eth_sendRawTransaction. A test composition, not a product (the root chain process lives in src/rootchain).
 */
import { LevelStore } from '../../src/db/level.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { Executor } from '../../src/evm/executor.ts';
import type { GenesisSpec } from '../../src/evm/interface.ts';
import { decodeTx } from '../../src/bttc/txpool/tx.ts';
import { recover } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { registerEth } from '../../src/rpc/eth.ts';
import { ChainEvents } from '../../src/rpc/events.ts';
import { RpcError, SERVER_ERROR } from '../../src/rpc/errors.ts';
import type { Registry } from 'prom-client';
import { makeTempDir } from '../helpers/tmp.ts';

export interface DevChain {
  url: string;
  wsUrl: string;
  chain: ChainStore;
  executor: Executor;
  registry: MethodRegistry;
  server: RpcServer;
  close(): Promise<void>;
}

export async function startDevChain(chainId: number, genesis: GenesisSpec, deps: { metrics?: Registry | null } = {}): Promise<DevChain> {
  // The dirs live as long as the chain: close() removes them.
  const d1 = makeTempDir('dev-state');
  const d2 = makeTempDir('dev-chain');
  const executor = await Executor.open({ chainId, dataDir: d1.path }, deps);
  const chain = new ChainStore({}, { db: await LevelStore.open(d2.path), metrics: deps.metrics });
  await chain.init(await executor.initGenesis(genesis));
  const events = new ChainEvents();
  const coinbase = new Uint8Array(20).fill(0xcb);
  let mining = Promise.resolve();

  async function mine(raw: Uint8Array): Promise<Uint8Array> {
    let tx;
    try {
      tx = decodeTx(raw);
    } catch (e) {
      throw new RpcError(SERVER_ERROR, `invalid transaction: ${(e as Error).message}`);
    }
    if (tx.chainId !== undefined && tx.chainId !== BigInt(chainId)) throw new RpcError(SERVER_ERROR, `invalid chain id ${tx.chainId}`);
    const sender = addressFromPublicKey(recover(tx.signature.subarray(0, 64), tx.signature[64]!, tx.sigHash));
    const head = chain.head();
    const res = await executor.buildBlock({
      parent: { hash: head.hash, number: head.number, stateRoot: head.header.stateRoot },
      header: { number: head.number + 1n, time: head.header.time + 2n, gasLimit: head.header.gasLimit, difficulty: 1n, coinbase },
      author: coinbase,
      ancestorHashes: await chain.getAncestorHashes(head.hash, 256),
      txs: [raw],
      senders: [sender],
      budgetMs: 10_000,
    });
    if (res.included.length !== 1) throw new RpcError(SERVER_ERROR, res.rejected[0]?.reason ?? 'transaction not included');
    const { hash } = await chain.putBlock({ header: res.header, txs: [raw], senders: [sender], receipts: res.receipts }, { setHead: true });
    await events.publish(chain, hash);
    return tx.hash;
  }

  const registry = new MethodRegistry({ metrics: deps.metrics });
  registerEth(
    registry,
    {
      chainId: BigInt(chainId),
      chain,
      executor,
      gasPrice: () => 1_000_000_000n,
      finalizedNumber: () => (chain.head().number > 2n ? chain.head().number - 2n : 0n),
      txSink: {
        sendRawTransaction: (raw) => {
          const run = mining.then(() => mine(raw));
          mining = run.then(
            () => undefined,
            () => undefined,
          );
          return run;
        },
      },
    },
    events,
  );
  const server = new RpcServer({ port: 0 }, { registry, metrics: deps.metrics });
  const { url, wsUrl } = await server.start();
  return {
    url,
    wsUrl,
    chain,
    executor,
    registry,
    server,
    async close() {
      await server.close();
      await chain.close();
      await executor.close();
      d1.remove();
      d2.remove();
    },
  };
}
