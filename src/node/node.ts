/**
 * The composition root: one BTTC node in one process, a validator or a follower (no keys: it
 * follows Bttc blocks and Delivery decisions, serves RPC and REST, gossips transactions sent to it,
 * and signs nothing). `start()` builds every module in dependency order and records how to close
 * it; `close()` closes them in reverse, so nothing is used after its dependency is gone. A piece
 * that cannot run (missing address, unreachable root chain) stops the start with an error naming
 * it; nothing is stubbed.
 *
 * Order: crypto check → pools → executor + chain store + node db → root-chain clients → Delivery
 * app → Bttc layer → network → consensus → root watchers → JSON-RPC (+ /metrics) → REST → sync →
 * block production.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { createMetricsRegistry, counter, gauge, type Registry } from '../observability/metrics.ts';
import { warnIfSlowCrypto } from '../crypto/status.ts';
import { createSignatureVerifier, HashPool, type SignatureVerifier } from '../pools/index.ts';
import { createExecutor, type ExecutorApi } from '../evm/index.ts';
import { ChainStore } from '../chain/store.ts';
import { LevelStore } from '../db/level.ts';
import { connectRootChain, RootChainSetupError } from '../root/factory.ts';
import type { RootChainClient } from '../root/interface.ts';
import { CheckpointSubmitter } from '../root/submitter.ts';
import { RootChainWatcher } from '../root/watcher.ts';
import { DeliveryApp, type CommittedBlock } from '../delivery/app/app.ts';
import { CheckpointSubmission, type CheckpointSubmitterLike } from '../delivery/modules/checkpoint/submission.ts';
import { DeliveryStore } from '../delivery/store/store.ts';
import { TxType } from '../delivery/app/types.ts';
import { ConsensusState } from '../delivery/consensus/state.ts';
import { FileWal } from '../delivery/consensus/wal.ts';
import { KvEvidenceStore } from '../delivery/consensus/evidence.ts';
import { DeliveryRestServer } from '../delivery/rest/index.ts';
import { spanIdForBlock } from '../protocol/span/span.ts';
import { BttcLayer, type ImportResult, type NetworkBlock } from '../bttc/layer.ts';
import { loadSystemContractsCode } from '../bttc/system/genesis.ts';
import { registerBorMethods } from '../bttc/rpc.ts';
import { headerHash } from '../bttc/engine/header.ts';
import { MethodRegistry } from '../rpc/registry.ts';
import { RpcServer, metricsRoute } from '../rpc/server.ts';
import { registerEth } from '../rpc/eth.ts';
import { ChainEvents } from '../rpc/events.ts';
import { poolTxSink } from '../rpc/txSink.ts';
import type { TxSink } from '../rpc/interface.ts';
import { createNetwork, loadOrCreateNetworkKey, type NetworkClient } from '../p2p/index.ts';
import { RangeSync } from '../p2p/sync/rangeSync.ts';
import { serveSync } from '../p2p/sync/server.ts';
import type { StatusMessage } from '../p2p/codec/sync.ts';
import { encodeTxBatch, decodeTxBatch, MAX_TXS_PER_BATCH } from '../p2p/codec/txBatch.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { bttcHeaderReader, decodeNetworkBlock, encodeNetworkBlock, GossipConsensusTransport, rootSpanSeed, SpanCache, stateSyncSource } from './adapters.ts';
import type { BttcNodeOptions, NodeRole, NodeStatus } from './interface.ts';
import { TxIntake } from './txIntake.ts';
import { TxRebroadcaster } from './txRebroadcast.ts';

/** A pool transaction not included for this long is announced again (geth-like nodes resend local ones). */
const TX_REBROADCAST_MS = 30_000;

export class NodeStartError extends Error {
  override name = 'NodeStartError';
}

export interface BttcNodeDeps {
  logger: Logger;
  metrics?: Registry | null;
}

interface HeadSample {
  number: number;
  time: number;
  seenAt: number;
  gasUsed: bigint;
  txs: number;
}

export class BttcNode {
  readonly opts: BttcNodeOptions;
  /** Validator with keys, follower without (see src/node/config.ts). */
  readonly role: NodeRole;
  readonly logger: Logger;
  readonly metrics: Registry;
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | null = null;

  // Built in start(); typed as definitely assigned because nothing reads them before.
  chain!: ChainStore;
  executor!: ExecutorApi;
  app!: DeliveryApp;
  layer!: BttcLayer;
  network!: NetworkClient;
  consensus!: ConsensusState;
  rpcUrl = '';
  restUrl = '';
  private spans!: SpanCache;
  private txIntake!: TxIntake;
  private rangeSync!: RangeSync;
  private readonly heads: HeadSample[] = [];
  private readonly counts = { proposed: 0, approved: 0, sealed: 0 };
  private txOut: Uint8Array[] = [];
  private txFlush: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private newConsensus!: () => ConsensusState;
  private lastSignedHeight: number | null = null;
  private syncedBlocks = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  private headAtLastTick = -1n;

  constructor(opts: BttcNodeOptions, deps: BttcNodeDeps) {
    this.opts = opts;
    this.role = opts.keys ? 'validator' : 'follower';
    this.logger = deps.logger;
    this.metrics = deps.metrics ?? createMetricsRegistry();
  }

  private onClose(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  async start(): Promise<void> {
    try {
      await this.build();
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'node start failed; closing what was started');
      await this.close();
      throw err;
    }
  }

  private async build(): Promise<void> {
    const { config, node, genesis, keys } = this.opts;
    const logger = this.logger;
    const metrics = this.metrics;
    mkdirSync(node.dataDir, { recursive: true });
    warnIfSlowCrypto(logger);
    // The role is fixed here and handed down explicitly: a follower gives every module a null key
    // (no producer, an observing consensus engine, no checkpoint signatures, read-only root
    // clients), never a made-up one.
    const signer = keys?.signer ?? null;
    const me = signer ? bytesToHex(signer.address) : null;
    if (me && !genesis.delivery.validators.some((v) => v.signer === me)) logger.warn({ signer: me }, 'this signer is not a genesis validator: the node follows the chain but does not produce or vote');

    // Pools
    const verifier: SignatureVerifier = createSignatureVerifier({ threads: node.verifyThreads }, { metrics, logger });
    this.onClose('verify pool', () => verifier.close());
    const hashPool = new HashPool({ threads: 1 }, { metrics, logger });
    this.onClose('hash pool', () => hashPool.close());

    // Execution and storage
    this.executor = await createExecutor({ mode: node.executor, chainId: config.bttc.chainId, dataDir: join(node.dataDir, 'state') }, { metrics, logger });
    this.onClose('executor', () => this.executor.close());
    const chainDb = await LevelStore.open(join(node.dataDir, 'chain'));
    this.chain = new ChainStore({}, { db: chainDb, metrics, logger });
    this.onClose('chain store', async () => {
      await this.chain.close().catch(() => undefined);
      await chainDb.close().catch(() => undefined);
    });
    // Head changes feed the status (block intervals) and, once RPC is up, newHeads subscriptions.
    const chain = this.chain;
    this.onClose('head listener', chain.onHeadChange((hash) => {
      this.recordHead();
      const ev = this.events;
      if (ev) void ev.publish(chain, hash).catch(() => undefined);
    }));
    const db = await LevelStore.open(join(node.dataDir, 'node'));
    this.onClose('node db', () => db.close());

    // Root chains
    const clients = new Map<number, RootChainClient>();
    const submitters = new Map<number, CheckpointSubmitterLike>();
    for (const [i, rc] of config.rootChains.entries()) {
      const client = await connectRootChain(rc, `rootChains[${i}]`, { privateKey: signer ? bytesToHex(signer.privateKey) : null, tronMaxFeeLimitSun: node.tron.maxFeeLimitSun, tronApiKey: node.tron.apiKey ?? process.env.TRON_PRO_API_KEY ?? null }, { logger }).catch((err: Error) => {
        throw err instanceof RootChainSetupError ? new NodeStartError(err.message) : err;
      });
      this.onClose(`root client ${rc.name}`, () => client.close());
      clients.set(rc.id, client);
      if (signer) submitters.set(rc.id, new CheckpointSubmitter({ receiptTimeoutMs: 30_000, receiptPollMs: 500 }, { client, logger, metrics }));
    }
    // BTTC seeds spans from its staking chain, TRON, when there is one.
    const seedChain = config.rootChains.find((c) => c.kind === 'tron') ?? config.rootChains[0];
    const seedClient = seedChain ? (clients.get(seedChain.id) ?? null) : null;

    // Delivery application
    const store = new DeliveryStore(db);
    this.app = await DeliveryApp.open(
      { config, signerKey: signer?.privateKey ?? null },
      {
        store,
        bttc: bttcHeaderReader(this.chain),
        verifier,
        clock: { now: () => Date.now() },
        spanSeed: rootSpanSeed(seedClient, logger),
        hasher: hashPool,
        metrics,
        logger,
      },
      genesis.delivery,
    );
    const submission = new CheckpointSubmission({ submitters, address: this.app.address, metrics, logger });
    submission.attach(this.app);
    this.onClose('delivery submissions', () => Promise.race([submission.whenSettled(), new Promise((r) => setTimeout(r, 2000))]).then(() => undefined));
    this.app.onCommitted((c) => this.onDeliveryCommit(c));
    this.spans = await SpanCache.load(this.app);

    // Bttc layer
    this.layer = await BttcLayer.open(
      { bttc: config.bttc, genesis: { time: genesis.bttc.time, alloc: genesis.bttc.alloc }, systemCode: await loadSystemContractsCode(), signer: signer ? { key: signer.privateKey, address: signer.address } : null },
      {
        executor: this.executor,
        chain: this.chain,
        db,
        verifier,
        spans: this.spans,
        stateSyncs: stateSyncSource(this.app, config.bttc.chainId),
        broadcast: (b) => this.publishBlock(b),
        metrics,
        logger,
      },
    );
    this.onClose('bttc layer', () => this.layer.close());
    this.txIntake = new TxIntake(this.layer.txpool);
    this.recordHead();

    // Network
    const privateKey = await loadOrCreateNetworkKey(join(node.dataDir, 'p2p-key'));
    this.network = createNetwork(
      { chainId: config.bttc.chainId, privateKey, listen: node.p2p.listen, staticPeers: node.p2p.staticPeers, bootstrap: node.p2p.bootstrap, inWorker: node.p2p.inWorker, reconnect: { baseMs: 500, maxMs: 5000 } },
      { metrics, logger, verifier },
    );
    this.network.on('error', (err) => logger.error({ err: err.message }, 'network failed'));
    await this.network.start();
    this.onClose('network', () => this.network.close());
    this.network.subscribe('bttc-block', (m) => this.onGossipBlock(m.from, m.data), { concurrency: 1 });
    this.network.subscribe('bttc-tx', async (m) => {
      const d = decodeTxBatch(m.data);
      if (!d.ok) return 'reject';
      await this.txIntake.add(d.value.map((t) => t.slice()));
      return 'accept';
    });
    this.rangeSync = new RangeSync({ maxItemsPerRequest: 64, timeoutMs: 5000 }, { network: this.network, logger, metrics });
    serveSync(this.network, {
      bttcBlocksByRange: (start, count) => this.blocksByRange(start, count),
      deliveryByRange: (start, count) => this.app.syncItems(Number(start), count),
      status: async () => {
        const h = this.chain.head();
        return { genesisHash: this.chain.genesisHash(), bttcHead: h.number, bttcHeadHash: h.hash, deliveryHeight: BigInt(this.app.height) };
      },
    });

    // Consensus
    const wal = await FileWal.open(join(node.dataDir, 'consensus.wal'));
    this.onClose('consensus wal', () => wal.close());
    const transport = new GossipConsensusTransport(this.network, logger);
    const evidence = new KvEvidenceStore({ db });
    // A new engine at the app's next height: at start, and after a range sync moved the app past the old one.
    this.newConsensus = () => {
      const c = new ConsensusState(
        { chainId: config.delivery.chainId, secretKey: signer?.privateKey ?? null, startHeight: this.app.height + 1, timeouts: { commit: node.deliveryBlockMs }, commitHistory: node.deliveryCatchUpHeights },
        { app: this.app, transport, clock: { now: () => Date.now(), setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); } }, verifier, wal, evidence, metrics, logger },
      );
      c.onCommit((e) => {
        if (signer && e.commit.precommits.some((v) => equalBytes(v.validator, signer.address))) this.lastSignedHeight = e.height;
      });
      return c;
    };
    this.consensus = this.newConsensus();
    await this.consensus.start();
    this.onClose('consensus', () => this.consensus.stop());

    // Root-chain watchers feed Delivery's pool. A follower runs them too: it never proposes or
    // votes with the pool, but its cursor stays current, so adding keys later does not rescan.
    for (const rc of config.rootChains) {
      const client = clients.get(rc.id)!;
      const startBlock = node.rootChains.find((r) => r.id === rc.id)?.startBlock ?? 0;
      const watcher = new RootChainWatcher({ confirmations: rc.confirmations, startBlock, pollIntervalMs: 1000 }, { client, db, onEvent: (ev) => this.app.onRootEvent(ev), logger, metrics });
      watcher.start();
      this.onClose(`root watcher ${rc.name}`, () => watcher.stop());
    }

    // JSON-RPC with eth + bor methods, /metrics
    const events = new ChainEvents();
    this.events = events;
    const registry = new MethodRegistry({ metrics, logger });
    const sink = poolTxSink({ addRaw: (raws) => this.txIntake.add([...raws]) });
    const txSink: TxSink = {
      sendRawTransaction: async (raw) => {
        const hash = await sink.sendRawTransaction(raw);
        this.queueTxGossip(raw);
        return hash;
      },
    };
    // "finalized" = the last block a checkpoint acked on the root chain covers.
    const finalizedNumber = (): bigint | undefined => {
      const end = this.app.lastCheckpointEnd();
      return end === null ? undefined : BigInt(end);
    };
    registerEth(registry, { chainId: BigInt(config.bttc.chainId), clientVersion: 'bttc-node', chain: this.chain, executor: this.executor, txSink, gasPrice: () => 1_000_000_000n, finalizedNumber }, events);
    registerBorMethods(registry, { chain: this.chain, signers: this.layer.signers, hashPool, finalizedNumber });
    registry.register('bttcnode_status', () => this.status());
    const rpc = new RpcServer({ host: node.rpc.host, port: node.rpc.port, cors: node.rpc.cors }, { registry, metrics, logger });
    rpc.route('GET', '/metrics', metricsRoute(metrics));
    this.rpcUrl = (await rpc.start()).url;
    this.onClose('json-rpc', () => rpc.close());

    // Delivery REST
    const rest = new DeliveryRestServer({ host: node.rest.host, port: node.rest.port, rootChainNames: Object.fromEntries(config.rootChains.map((c) => [c.name, c.id])) }, { app: this.app, metrics, logger });
    const ra = await rest.listen();
    this.restUrl = `http://${ra.address}:${ra.port}`;
    this.onClose('delivery rest', () => rest.close());

    // Sync, then produce
    this.syncTimer = setInterval(() => void this.periodicSync(), 3000);
    this.onClose('sync', async () => {
      if (this.syncTimer) clearInterval(this.syncTimer);
      this.syncTimer = null;
      await this.syncing;
    });
    this.onClose('tx gossip', () => {
      if (this.txFlush) clearTimeout(this.txFlush);
    });
    await this.sync();
    this.layer.start();
    const rebroadcast = new TxRebroadcaster({ intervalMs: TX_REBROADCAST_MS, maxPerRound: MAX_TXS_PER_BATCH * 4 }, { pool: this.layer.txpool, publish: (raws) => raws.forEach((r) => this.queueTxGossip(r)), metrics, logger });
    rebroadcast.start();
    this.onClose('tx rebroadcast', () => rebroadcast.stop());
    this.m = {
      height: gauge(metrics, 'bttc_node_head_number', 'Canonical Bttc head number'),
      peers: gauge(metrics, 'bttc_node_peers', 'Connected peers'),
      deliveryHeight: gauge(metrics, 'bttc_node_delivery_height', 'Committed Delivery height'),
      checkpoints: counter(metrics, 'bttc_node_checkpoints_total', 'Checkpoints seen in committed Delivery blocks by stage', ['stage']),
    };
    logger.info({ role: this.role, signer: me, rpc: this.rpcUrl, rest: this.restUrl, peerId: this.network.peerId, listen: this.network.listenAddrs(), head: Number(this.chain.head().number), deliveryHeight: this.app.height }, 'node started');
  }

  private events: ChainEvents | null = null;
  private m: { height: ReturnType<typeof gauge>; peers: ReturnType<typeof gauge>; deliveryHeight: ReturnType<typeof gauge>; checkpoints: ReturnType<typeof counter> } | null = null;

  private recordHead(): void {
    const h = this.chain.head();
    const n = Number(h.number);
    const last = this.heads[this.heads.length - 1];
    if (last && last.number === n) return;
    if (last && n < last.number) this.heads.length = 0;
    void this.chain.getBody(h.hash).then((body) => {
      this.heads.push({ number: n, time: Number(h.header.time), seenAt: performance.now(), gasUsed: h.header.gasUsed, txs: body?.txs.length ?? 0 });
      if (this.heads.length > 32) this.heads.shift();
      this.m?.height.set(n);
    });
  }

  private onDeliveryCommit(c: CommittedBlock): void {
    for (const tx of c.block.txs) if (tx.type === TxType.Checkpoint) this.counts.proposed++;
    this.counts.approved += c.approvedCheckpoints.length;
    this.m?.deliveryHeight.set(c.height);
    if (c.block.txs.some((t) => t.type === TxType.Checkpoint)) this.m?.checkpoints.inc({ stage: 'proposed' });
    if (c.approvedCheckpoints.length) this.m?.checkpoints.inc({ stage: 'approved' }, c.approvedCheckpoints.length);
    if (c.acked.length) this.m?.checkpoints.inc({ stage: 'acked' }, c.acked.length);
    for (const a of c.acked) this.logger.info({ rootChainId: a.rootChainId, number: a.number, start: a.start, end: a.end }, 'checkpoint acked');
    for (const s of c.spans) this.logger.info({ span: s.id, start: s.startBlock, end: s.endBlock }, 'span committed');
  }

  private publishBlock(b: NetworkBlock): void {
    this.counts.sealed++;
    this.network?.publish('bttc-block', encodeNetworkBlock(b)).catch((err: Error) => this.logger.debug({ err: err.message }, 'block publish failed'));
  }

  private queueTxGossip(raw: Uint8Array): void {
    this.txOut.push(raw);
    if (this.txOut.length >= MAX_TXS_PER_BATCH) this.flushTxs();
    else this.txFlush ??= setTimeout(() => this.flushTxs(), 20);
  }

  private flushTxs(): void {
    if (this.txFlush) clearTimeout(this.txFlush);
    this.txFlush = null;
    const out = this.txOut;
    this.txOut = [];
    for (let i = 0; i < out.length; i += MAX_TXS_PER_BATCH) {
      this.network.publish('bttc-tx', encodeTxBatch(out.slice(i, i + MAX_TXS_PER_BATCH))).catch(() => undefined);
    }
  }

  private async onGossipBlock(from: string, data: Uint8Array): Promise<'accept' | 'reject' | 'ignore'> {
    let block: NetworkBlock;
    try {
      block = decodeNetworkBlock(data);
    } catch {
      return 'reject';
    }
    const r: ImportResult = await this.layer.importBlock(block);
    if (r.status === 'rejected') {
      // A block too far in the future or from a producer we cannot place yet may be our lag, not the peer's lie.
      return r.code === 'execution' || r.code === 'bad-transaction' || r.code === 'bad-seal' ? 'reject' : 'ignore';
    }
    if (r.status === 'unknown-parent') {
      void this.sync([from]);
      return 'ignore';
    }
    return 'accept';
  }

  private async blocksByRange(start: bigint, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let n = start; n < start + BigInt(count); n++) {
      const hash = await this.chain.getCanonicalHash(n);
      if (!hash) break;
      const [header, body] = await Promise.all([this.chain.getHeader(hash), this.chain.getBody(hash)]);
      if (!header || !body) break;
      out.push(encodeNetworkBlock({ header: header as NetworkBlock['header'], txs: body.txs }));
    }
    return out;
  }

  /** Range sync of Bttc blocks from peers ahead of us; one at a time. */
  sync(peers?: string[], minLead = 1n): Promise<void> {
    this.syncing ??= this.syncOnce(peers, minLead).finally(() => (this.syncing = null));
    return this.syncing;
  }

  /**
   * The safety net behind gossip. A peer one block ahead is the normal state right after its own
   * seal, while the block is still crossing gossip and our import; range-fetching then would have
   * every node pull the producer's last 8 full blocks every few seconds, just when the producer is
   * busiest. So the tick syncs only when a peer is two or more blocks ahead, or when our head has
   * not moved since the previous tick (a slot passed with nothing arriving).
   */
  private periodicSync(): Promise<void> {
    const ours = this.chain.head().number;
    const stalled = ours === this.headAtLastTick;
    this.headAtLastTick = ours;
    return this.sync(undefined, stalled ? 1n : 2n);
  }

  private async syncOnce(only: string[] | undefined, minLead: bigint): Promise<void> {
    if (!this.network) return;
    try {
      let statuses = await this.rangeSync.peerStatuses(only ?? this.network.connectedPeers());
      // Delivery first: Bttc blocks of a new span can only be checked once its span is committed.
      if (!only && (await this.syncDelivery(statuses))) statuses = await this.rangeSync.peerStatuses(this.network.connectedPeers());
      const genesis = this.chain.genesisHash();
      const ahead = statuses.filter((s) => equalBytes(s.status.genesisHash, genesis) && s.status.bttcHead >= this.chain.head().number + minLead).sort((a, b) => (b.status.bttcHead > a.status.bttcHead ? 1 : -1));
      if (ahead.length === 0) return;
      const ours = this.chain.head().number;
      // Start a few blocks back: our newest blocks may be on a branch the peers dropped.
      const from = ours > 8n ? ours - 7n : 1n;
      const to = ahead[0]!.status.bttcHead < from + 511n ? ahead[0]!.status.bttcHead : from + 511n;
      this.logger.info({ from: String(from), to: String(to), peers: ahead.length }, 'syncing bttc blocks');
      await this.rangeSync.fetchRange({
        method: 'bttc-blocks-by-range',
        from,
        to,
        peers: ahead.map((s) => s.peer),
        verify: async (start, items) => {
          for (const [i, item] of items.entries()) {
            let b: NetworkBlock;
            try {
              b = decodeNetworkBlock(item);
            } catch (err) {
              return { ok: false, reason: `item ${i}: ${(err as Error).message}` };
            }
            if (b.header.number !== start + BigInt(i)) return { ok: false, reason: `item ${i} is block ${b.header.number}, expected ${start + BigInt(i)}` };
            const r = await this.layer.importBlock(b);
            if (r.status === 'rejected' || r.status === 'unknown-parent') return { ok: false, reason: `block ${b.header.number} ${bytesToHex(headerHash(b.header))}: ${r.status === 'rejected' ? r.code + ': ' + r.reason : r.reason}` };
          }
          return { ok: true };
        },
      });
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'sync round ended early');
    }
  }

  /**
   * Range sync of Delivery blocks and their commits when a peer is more than `deliverySyncLag`
   * heights ahead (further than consensus' own catch-up can be relied on). Consensus is paused while
   * the blocks are applied, so the engine and the sync never commit the same height, and restarted
   * at the height after the last applied one. True when blocks were applied.
   */
  private async syncDelivery(statuses: { peer: string; status: StatusMessage }[]): Promise<boolean> {
    const genesis = this.chain.genesisHash();
    const lag = BigInt(this.opts.node.deliverySyncLag);
    const startedAt = this.app.height;
    let paused = false;
    try {
      for (let pass = 0; pass < 16; pass++) {
        const ours = BigInt(this.app.height);
        const ahead = statuses.filter((s) => equalBytes(s.status.genesisHash, genesis) && s.status.deliveryHeight > ours + (paused ? 1n : lag)).sort((a, b) => (b.status.deliveryHeight > a.status.deliveryHeight ? 1 : -1));
        if (ahead.length === 0) break;
        if (!paused) {
          await this.consensus.stop();
          await this.app.whenCommitsSettled();
          paused = true;
        }
        const from = BigInt(this.app.height + 1);
        const to = ahead[0]!.status.deliveryHeight;
        this.logger.info({ from: String(from), to: String(to), peers: ahead.length }, 'syncing delivery blocks');
        await this.rangeSync.fetchRange({
          method: 'delivery-by-range',
          from,
          to,
          peers: ahead.map((s) => s.peer),
          verify: async (_start, items) => {
            for (const [i, item] of items.entries()) {
              const why = await this.app.applySynced(item);
              if (why) return { ok: false, reason: `item ${i}: ${why}` };
              this.syncedBlocks++;
            }
            return { ok: true };
          },
        });
        // The peers moved on while we fetched: ask again, and close the rest of the gap before consensus resumes.
        statuses = await this.rangeSync.peerStatuses(this.network.connectedPeers());
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, height: this.app.height }, 'delivery sync ended early');
    } finally {
      if (paused) {
        await this.app.whenCommitsSettled();
        this.consensus = this.newConsensus();
        await this.consensus.start();
        this.logger.info({ from: startedAt, height: this.app.height, applied: this.app.height - startedAt }, 'delivery synced; consensus resumed');
      }
    }
    return this.app.height > startedAt;
  }

  status(): NodeStatus {
    const h = this.chain.head();
    const w = this.heads.slice(-11);
    const span = w.length > 1 ? w[w.length - 1]!.time - w[0]!.time : 0;
    const txs = w.slice(1).reduce((s, x) => s + x.txs, 0);
    const gas = w.slice(1).reduce((s, x) => s + x.gasUsed, 0n);
    const last2 = this.heads.slice(-2);
    let producer: string | null = null;
    try {
      if (h.number > 0n) producer = bytesToHex(this.layer.signers.recover(h.header as NetworkBlock['header'], h.hash));
    } catch {
      producer = null;
    }
    const peers = this.network.connectedPeers().length;
    this.m?.peers.set(peers);
    const pool = this.layer.txpool.stats();
    return {
      role: this.role,
      signer: this.opts.keys ? bytesToHex(this.opts.keys.signer.address) : null,
      peerId: this.network.peerId,
      peers,
      rpcUrl: this.rpcUrl,
      restUrl: this.restUrl,
      bttc: {
        head: Number(h.number),
        headHash: bytesToHex(h.hash),
        headProducer: producer,
        lastBlockInterval: last2.length === 2 && last2[1]!.number === last2[0]!.number + 1 ? (last2[1]!.seenAt - last2[0]!.seenAt) / 1000 : null,
        txPerSec: span > 0 ? txs / span : 0,
        mgasPerSec: span > 0 ? Number(gas) / span / 1e6 : 0,
        txpool: this.layer.txpool.size,
        txpoolPending: pool.pending,
        txpoolQueued: pool.queued,
        span: spanIdForBlock(Number(h.number), this.opts.config.bttc),
        blocksSealed: this.counts.sealed,
      },
      delivery: {
        height: this.app.height,
        lastSignedHeight: this.lastSignedHeight,
        syncedBlocks: this.syncedBlocks,
        checkpointProposer: this.app.checkpointProposer(),
        checkpointsProposed: this.counts.proposed,
        checkpointsApproved: this.counts.approved,
        checkpointsAcked: this.app.ackCount() ?? 0,
        lastCheckpointEnd: this.app.lastCheckpointEnd(),
      },
    };
  }

  /** Closes everything started, in reverse order; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.closers.length) {
        const c = this.closers.pop()!;
        try {
          await c.close();
          this.logger.debug({ module: c.name }, 'closed');
        } catch (err) {
          this.logger.warn({ module: c.name, err: (err as Error).message }, 'close failed');
        }
      }
    })();
    return this.closing;
  }
}
