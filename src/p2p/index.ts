/**
 * Building the network: `createNetwork(opts, deps)` gives a started-on-demand `Network` whose
 * libp2p node runs in the network worker (`inWorker: false` runs it on this thread instead).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { NetworkClient } from './networkClient.ts';
import { InProcessHost, WorkerHost } from './transport.ts';
import type { NetworkCoreOptions } from './protocol.ts';
import type { SignatureVerifier } from '../pools/interface.ts';

export interface CreateNetworkOptions extends NetworkCoreOptions {
  /** Default true: libp2p in its own worker thread. */
  inWorker?: boolean;
}

export function createNetwork(opts: CreateNetworkOptions, deps: { metrics: Registry | null; logger: Logger; verifier?: SignatureVerifier | null }): NetworkClient {
  const { inWorker = true, ...core } = opts;
  const host = inWorker ? new WorkerHost(core) : new InProcessHost(core, deps.logger.child({ module: 'network' }));
  return new NetworkClient(core, { host, metrics: deps.metrics, logger: deps.logger, verifier: deps.verifier ?? null });
}

export type { Network, GossipMessage, GossipHandler, ValidationResult, PeerInfo, PeerEvent, NetworkStats, RequestHandler } from './interface.ts';
export { RequestError } from './interface.ts';
export { NetworkClient, NetworkClosedError } from './networkClient.ts';
export { GOSSIP_KINDS, REQ_METHODS, topicName, protocolName, type GossipKind, type ReqMethod } from './topics.ts';
export { createNetworkKey, loadOrCreateNetworkKey, peerIdOfKey } from './identity.ts';
export type { NetworkCoreOptions } from './protocol.ts';
