/** The embedded root chain (src/rootchain) opened on disk and served over real JSON-RPC on loopback, for tests. */
import { RootChainNode } from '../../src/rootchain/node.ts';
import { rootChainBackend } from '../../src/rootchain/backend.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { registerEth } from '../../src/rpc/eth.ts';

/** Opens the chain in `dataDir` from `genesisJson`, serves eth_* on an ephemeral port; `cleanups` gets its close. */
export async function serveRootChain(dataDir: string, genesisJson: unknown, cleanups: (() => Promise<void>)[]): Promise<{ node: RootChainNode; url: string }> {
  const node = await RootChainNode.open({ dataDir, genesisJson, blockTimeMs: 0 });
  const registry = new MethodRegistry({});
  registerEth(registry, rootChainBackend(node));
  const server = new RpcServer({ host: '127.0.0.1', port: 0 }, { registry });
  const { url } = await server.start();
  cleanups.push(async () => {
    await server.close();
    await node.close();
  });
  return { node, url };
}
