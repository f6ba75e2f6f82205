/**
 * The composition root: one BTTC node in one process, a validator or a follower (no keys: it
 * follows Bttc blocks and Delivery decisions, serves RPC and REST, gossips transactions sent to it,
 * and signs nothing). `start()` builds every module in dependency order and records how to close
 * it; `close()` closes them in reverse, so nothing is used after its dependency is gone. A piece
 * that cannot run (missing address, unreachable root chain) stops the start with an error naming
 * it; nothing is stubbed. This file only wires: sync policy is src/sync, gossip handling
 * gossip-handlers.ts, the status report status.ts.
 *
 * Order: crypto check → pools → executor + chain store + node db → root-chain clients → Delivery
 * app → Bttc layer → network → consensus → root watchers → JSON-RPC (+ /metrics) → REST → sync →
 * block production.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { createMetricsRegistry, type Registry } from '../observability/metrics.ts';
import { trackThreadHeaps } from '../observability/thread-heap.ts';
import { warnIfSlowCrypto } from '../crypto/status.ts';
import { createSignatureVerifier, HashPool, type SignatureVerifier } from '../pools/index.ts';
import { CallService, createExecutor } from '../evm/index.ts';
import { DeliveryApp } from '../delivery/app/app.ts';
import { DeliveryStore } from '../delivery/store/store.ts';
import { nextSpanSeedRoute } from '../delivery/modules/span/rest.ts';
import { BttcLayer, type NetworkBlock } from '../bttc/layer.ts';
import { loadSystemContractsCode } from '../bttc/system/genesis.ts';
import { ChainEvents } from '../rpc/events.ts';
import { RangeSync } from '../p2p/sync/rangeSync.ts';
import { serveSync } from '../p2p/sync/server.ts';
import { BttcRangeSync } from '../sync/bttc-range-sync.ts';
import { DeliveryRangeSync } from '../sync/delivery-range-sync.ts';
import { SyncScheduler } from '../sync/sync-scheduler.ts';
import { syncSource } from '../sync/serve.ts';
import { bytesToHex } from '../util/bytes.ts';
import { bttcHeaderReader, rootSpanSeed } from './adapters.ts';
import { bttcDeliverySources } from './delivery-source.ts';
import { Closers } from './closers.ts';
import { connectRootChains, startRootWatchers } from './root-chains.ts';
import { SignatureMemo } from './signature-memo.ts';
import { startConsensus } from './consensus-wiring.ts';
import { startNetwork } from './network-wiring.ts';
import { startJsonRpc } from './json-rpc.ts';
import { startTelemetry } from './telemetry-wiring.ts';
import { govReaderFor, startGovernance } from './gov-wiring.ts';
import type { BttcNodeDeps, BttcNodeOptions, NodeRole, RunningNode } from './interface.ts';
import { NodeStatusTracker } from './status.ts';
import { openNodeStores } from './stores.ts';
import { openAuditLog } from './audit-log.ts';
import { TxIntake } from './txIntake.ts';
import { startDeliveryRest } from './rest-wiring.ts';
import { startProduction } from './production.ts';

import { NodeStartError } from './errors.ts';
import { takeDataDir } from './data-dir.ts';
import { bttcSealRecovery, startSubmissions } from './slashing-wiring.ts';

export { NodeStartError };

/** The sync safety net's period (see SyncScheduler for when a tick actually fetches). */
const SYNC_INTERVAL_MS = 3000;

export class BttcNode {
  readonly opts: BttcNodeOptions;
  /** Validator with keys, follower without (see src/node/config.ts). */
  readonly role: NodeRole;
  readonly logger: Logger;
  readonly metrics: Registry;
  private readonly closers: Closers;
  private starting: Promise<RunningNode> | null = null;

  constructor(opts: BttcNodeOptions, deps: BttcNodeDeps) {
    this.opts = opts;
    this.role = opts.keys ? 'validator' : 'follower';
    this.logger = deps.logger;
    this.metrics = deps.metrics ?? createMetricsRegistry();
    this.closers = new Closers({ logger: deps.logger });
  }

  /** Builds and starts every module; on failure closes what was started and rethrows. Once per node. */
  start(): Promise<RunningNode> {
    this.starting ??= this.build().catch(async (err: unknown) => {
      this.logger.error({ err: (err as Error).message }, 'node start failed; closing what was started');
      await this.close();
      throw err;
    });
    return this.starting;
  }

  /** Closes everything started, in reverse order; safe to call twice, and during start. */
  close(): Promise<void> {
    return this.closers.close();
  }

  private async build(): Promise<RunningNode> {
    const { config, node, genesis, keys } = this.opts;
    const { logger, metrics, role } = this;
    const onClose = (name: string, close: () => Promise<void> | void) => this.closers.add(name, close);
    mkdirSync(node.dataDir, { recursive: true });
    const dirLock = takeDataDir(node.dataDir);
    onClose('data dir lock', () => dirLock.release());
    warnIfSlowCrypto(logger);
    // The role is fixed here and handed down explicitly: a follower gives every module a null key
    // (no producer, an observing consensus engine, no checkpoint signatures, read-only root
    // clients), never a made-up one.
    const signer = keys?.signer ?? null;
    const me = signer ? bytesToHex(signer.address) : null;
    if (me && !genesis.delivery.validators.some((v) => v.signer === me)) logger.warn({ signer: me }, 'this signer is not a genesis validator: the node follows the chain but does not produce or vote');

    const threadHeaps = trackThreadHeaps({}, { metrics });
    onClose('thread heap metrics', () => threadHeaps.close());
    // Pools
    const verifier: SignatureVerifier = new SignatureMemo(createSignatureVerifier({ threads: node.verifyThreads }, { metrics, logger }), { metrics });
    onClose('verify pool', () => verifier.close());
    const hashPool = new HashPool({ threads: 1 }, { metrics, logger });
    onClose('hash pool', () => hashPool.close());

    // Execution and storage
    const executor = await createExecutor(
      { mode: node.executor, chainId: config.bttc.chainId, dataDir: join(node.dataDir, 'state'), cacheNodes: node.stateCacheNodes, cacheBytes: node.stateCacheMB * 2 ** 20 },
      { metrics, logger },
    );
    onClose('executor', () => executor.close());
    // eth_call & co. run in their own workers over a read-only view of the executor's state: never in import's way.
    const calls = await CallService.start(
      { chainId: config.bttc.chainId, workers: node.rpc.callWorkers, gasCap: node.rpc.gasCap, evmTimeoutMs: node.rpc.evmTimeoutMs },
      { host: executor, metrics, logger },
    );
    onClose('call workers', () => calls.close());
    const stores = await openNodeStores(node.dataDir, { logger, metrics, onClose });
    const { chain, db } = stores;
    const audit = await openAuditLog({ config, node, signer, genesis: genesis.bttc }, { db, hashPool, metrics, logger, onClose });
    // Head changes feed the status (block intervals) and, once RPC is up, newHeads subscriptions.
    const tracker = new NodeStatusTracker({ role, signer: signer?.address ?? null, spans: config.bttc }, { chain, logger });
    let events: ChainEvents | null = null;
    onClose(
      'head listener',
      chain.onHeadChange((hash) => {
        tracker.recordHead();
        if (events) void events.publish(chain, hash).catch(() => undefined);
      }),
    );

    // Root chains
    const { clients, submitters, seedClient, votingPower } = await connectRootChains(config, node, signer?.privateKey ?? null, { logger, metrics, onClose });
    const gov = govReaderFor(config, clients);

    // Delivery application
    const store = new DeliveryStore(db);
    const spanSeed = rootSpanSeed(seedClient, logger);
    const app = await DeliveryApp.open(
      { config, signerKey: signer?.privateKey ?? null },
      { store, bttc: bttcHeaderReader(chain), verifier, clock: { now: () => Date.now() }, spanSeed, hasher: hashPool, votingPower, gov, recoverSeal: bttcSealRecovery, metrics, logger },
      genesis.delivery,
    );
    // Applying a block has no root-chain side effect: approved checkpoints and signed slash batches are submitted by listeners.
    startSubmissions({ submitters: audit.watchSubmitters(submitters), clients, watchSlashSender: (x) => audit.watchSlashSender(x) }, { app, metrics, logger, onClose });
    app.onCommitted((c) => tracker.onDeliveryCommit(c));
    // Spans and state syncs for Bttc: this Delivery in process, or node.delivery.restUrl's REST.
    const delivery = await bttcDeliverySources({ ...node.delivery, bttcChainId: config.bttc.chainId }, { app, metrics, logger, onClose });

    // Bttc layer. It seals (and so broadcasts) only after layer.start(), by when the network is up.
    let publishBlock: ((b: NetworkBlock) => void) | null = null;
    const broadcast = (b: NetworkBlock) => {
      tracker.blockSealed();
      publishBlock?.(b);
    };
    const layerSigner = signer ? { key: signer.privateKey, address: signer.address } : null;
    const layer = await BttcLayer.open(
      { bttc: config.bttc, genesis: audit.bttcGenesis(genesis.bttc), systemCode: await loadSystemContractsCode(), signer: layerSigner, buildBudgetMs: node.buildBudgetMs ?? undefined },
      { executor, chain, db, verifier, spans: delivery.spans, stateSyncs: delivery.stateSyncs, broadcast, metrics, logger },
    );
    onClose('bttc layer', () => layer.close());
    await stores.verify({ hasState: (root) => executor.hasState(root), network: genesis.network });
    const txIntake = new TxIntake(layer.txpool, {}, { importsSettled: () => layer.importsSettled(), metrics });
    tracker.recordHead();

    // Network. A gossiped block whose parent we lack asks for a sync; until the scheduler exists (it
    // needs consensus, built next) the request is dropped: the start's own full sync follows anyway.
    let requestSync = (_peers: string[]): Promise<void> => Promise.resolve();
    const net = await startNetwork({ node, chainId: config.bttc.chainId }, { chain, layer, intake: txIntake, verifier, requestSync: (peers) => requestSync(peers), metrics, logger, onClose });
    const { network, txGossip } = net;
    publishBlock = net.publishBlock;
    await audit.attach({ app, chain, executor, txpool: layer.txpool, intake: txIntake, gossip: txGossip });
    const rangeSync = new RangeSync({ maxItemsPerRequest: 64, timeoutMs: 5000 }, { network, logger, metrics });
    serveSync(network, syncSource({ chain, app }));
    startGovernance({ app, submitter: submitters.get(app.stakingChainId), reader: gov, network, metrics, logger, onClose });
    const telemetry = await startTelemetry({ windowHeights: node.telemetryWindowHeights }, { app, deliveryStore: store, db, chain, peers: () => network.peers(), metrics, logger, onClose });

    // Consensus: a new engine at the app's next height, at start and after a range sync moved the app past the old one.
    const consensus = await startConsensus({ node, chainId: config.delivery.chainId, secretKey: signer?.privateKey ?? null }, { app, network, db, verifier, tracker, metrics, logger, onClose });
    const deliverySync = new DeliveryRangeSync({ lag: node.deliverySyncLag }, { app, consensus, rangeSync, peers: network, genesisHash: () => chain.genesisHash(), logger });
    const bttcSync = new BttcRangeSync({ chain, layer, rangeSync, logger });
    const sync = new SyncScheduler({ intervalMs: SYNC_INTERVAL_MS }, { peers: network, rangeSync, chain, bttc: bttcSync, delivery: deliverySync, logger });
    requestSync = (peers) => sync.sync(peers);

    // Root-chain watchers feed Delivery's pool. A follower runs them too: it never proposes or
    // votes with the pool, but its cursor stays current, so adding keys later does not rescan.
    startRootWatchers(config, node, { clients, db, onEvent: (ev) => app.onRootEvent(ev), logger, metrics, onClose });

    // JSON-RPC with eth + bor methods, /metrics. The URLs are known once each server listens.
    let rpcUrl = '';
    let restUrl = '';
    const status = () => tracker.report({ layer, network, app, rpcUrl, restUrl, syncedBlocks: deliverySync.syncedBlocks });
    events = new ChainEvents();
    // "finalized" = the last block a checkpoint acked on the root chain covers.
    const finalizedNumber = (): bigint | undefined => {
      const end = app.lastCheckpointEnd();
      return end === null ? undefined : BigInt(end);
    };
    const rpc = await startJsonRpc(
      { rpc: node.rpc, chainId: config.bttc.chainId },
      { chain, executor, calls, layer, intake: txIntake, txGossip, hashPool, events, finalizedNumber, status, metrics, logger },
    );
    rpcUrl = rpc.url;
    onClose('json-rpc', () => rpc.close());

    // Delivery REST: the modules' routes plus what node subsystems serve.
    restUrl = await startDeliveryRest({ node, config }, { app, extensions: [{ routes: audit.routes(nextSpanSeedRoute(app.queries.span, spanSeed)) }, telemetry], metrics, logger, onClose });

    // Sync, then produce
    await startProduction({ sync, layer, txGossip, peers: network, metrics, logger, onClose });
    tracker.registerMetrics(metrics);
    logger.info({ role, signer: me, rpc: rpcUrl, rest: restUrl, peerId: network.peerId, listen: network.listenAddrs(), head: Number(chain.head().number), deliveryHeight: app.height }, 'node started');

    return {
      chain,
      executor,
      app,
      layer,
      network,
      rpcUrl,
      restUrl,
      status,
      sync: (peers, minLead) => sync.sync(peers, minLead),
      get consensus() {
        return consensus.current;
      },
    };
  }
}
