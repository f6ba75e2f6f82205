/**
 * The p2p network, wired: libp2p in its worker with this node's key and peers, the block publisher,
 * the batched tx gossip, and the two Bttc topics' handlers (each validates before it accepts, so
 * junk is never relayed). A gossiped block whose parent we lack asks for a sync through `requestSync`.
 */
import { join } from 'node:path';
import type { BttcLayer, NetworkBlock } from '../bttc/layer.ts';
import type { ChainStore } from '../chain/store.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import { createNetwork, loadOrCreateNetworkKey, type NetworkClient } from '../p2p/index.ts';
import type { SignatureVerifier } from '../pools/index.ts';
import type { NodeSection } from './config.ts';
import { blockGossipHandler, blockPublisher, TxGossipBatcher, txGossipHandler } from './gossip-handlers.ts';
import type { TxIntake } from './txIntake.ts';

export interface NodeNetwork {
  network: NetworkClient;
  publishBlock: (b: NetworkBlock) => void;
  txGossip: TxGossipBatcher;
}

export interface NetworkWiringDeps {
  chain: ChainStore;
  layer: BttcLayer;
  intake: TxIntake;
  verifier: SignatureVerifier;
  requestSync: (peers: string[]) => Promise<void>;
  metrics: Registry;
  logger: Logger;
  onClose: (name: string, close: () => Promise<void> | void) => void;
}

export async function startNetwork(opts: { node: NodeSection; chainId: number }, deps: NetworkWiringDeps): Promise<NodeNetwork> {
  const { chain, layer, verifier, metrics, logger } = deps;
  const p2p = opts.node.p2p;
  const privateKey = await loadOrCreateNetworkKey(join(opts.node.dataDir, 'p2p-key'));
  const network = createNetwork(
    {
      chainId: opts.chainId,
      privateKey,
      listen: p2p.listen,
      staticPeers: p2p.staticPeers,
      bootstrap: p2p.bootstrap,
      inWorker: p2p.inWorker,
      reconnect: { baseMs: 500, maxMs: 5000 },
      banSeconds: p2p.banSeconds,
      gossip: { D: p2p.meshDegree, Dlo: Math.min(3, p2p.meshDegree), Dhi: Math.max(8, 2 * p2p.meshDegree) },
    },
    { metrics, logger, verifier },
  );
  const publishBlock = blockPublisher({ network, logger });
  const txGossip = new TxGossipBatcher({ network, logger, metrics });
  network.on('error', (err) => logger.error({ err: err.message }, 'network failed'));
  await network.start();
  deps.onClose('network', () => network.close());
  network.subscribe('bttc-block', blockGossipHandler({ layer, sync: (peers) => deps.requestSync(peers) }), { concurrency: 1 });
  const known = (h: Uint8Array) => layer.txpool.get(h) !== undefined;
  network.subscribe('bttc-tx', txGossipHandler({ intake: deps.intake, verifier, chainId: opts.chainId, blockGasLimit: () => chain.head().header.gasLimit, known, metrics, logger }));
  return { network, publishBlock, txGossip };
}
