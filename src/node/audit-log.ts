/**
 * Wires the audit log (src/audit-log) into the node: opens it on the node db with the hash pool as
 * its sealer, puts AuditAnchor into a devnet Bttc genesis, wraps the checkpoint submitters, listens
 * on committed Delivery blocks, anchors sealed batches through the txpool, serves the REST routes,
 * and records node start / stop and config changes. A follower (no signer key) or a node with
 * `auditLog.enabled: false` keeps no log; the genesis gets AuditAnchor either way, since every node
 * of a network must build the same genesis.
 */
import type { BttcGenesis } from '../bttc/genesis/bttc-genesis.ts';
import { isGethGenesis } from '../bttc/genesis/bttc-genesis.ts';
import type { ChainStore } from '../chain/store.ts';
import type { NodeConfig } from '../config/types.ts';
import type { KeyValueStore } from '../db/interface.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import type { CheckpointSubmitterLike } from '../delivery/modules/checkpoint/submission.ts';
import type { RestRoute } from '../delivery/rest/interface.ts';
import { stakingChainOf } from '../delivery/modules/context.ts';
import type { ExecutorApi } from '../evm/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { HashPool } from '../pools/hashPool.ts';
import type { TxPoolApi } from '../bttc/txpool/interface.ts';
import { clientVersion } from '../rpc/version.ts';
import { bytesToHex } from '../util/bytes.ts';
import { AuditAnchorer } from '../audit-log/anchor.ts';
import { AUDIT_ANCHOR_ADDRESS, withAuditAnchor } from '../audit-log/anchor-contract.ts';
import { records } from '../audit-log/constructors.ts';
import { AuditLog } from '../audit-log/log.ts';
import { auditLogRoutes } from '../audit-log/rest.ts';
import { AuditLogService, type CoveringCheckpoint } from '../audit-log/service.ts';
import { AuditStore } from '../audit-log/store.ts';
import { canonicalHash, recordSubmissions, writeDeliveryRecords } from '../audit-log/writers.ts';
import { writeGovRecords } from '../audit-log/gov-writers.ts';
import { recordSlashSender, writeSlashRecords } from '../audit-log/slash-writers.ts';
import type { SlashBatchSender } from '../delivery/modules/slashing/submission.ts';
import type { NodeSection } from './config.ts';
import type { KeyPair } from './keys.ts';

const HOUR_MS = 3_600_000;
/** Anchor transactions pay 1 gwei a gas: what the node's own RPC suggests (eth_gasPrice). */
const ANCHOR_GAS_PRICE = 1_000_000_000n;

export interface AuditLogWiringDeps {
  db: KeyValueStore;
  hashPool: HashPool;
  metrics: Registry;
  logger: Logger;
  onClose(name: string, close: () => Promise<void> | void): void;
}

/** The running node's parts the log attaches to once they exist. */
export interface AuditAttachParts {
  app: DeliveryApp;
  chain: ChainStore;
  executor: Pick<ExecutorApi, 'getAccounts'>;
  txpool: Pick<TxPoolApi, 'get'> & { nextNonce(sender: Uint8Array): bigint | undefined };
  intake: { add(raws: Uint8Array[]): Promise<Awaited<ReturnType<TxPoolApi['addRaw']>>> };
  gossip: { queue(raw: Uint8Array): void };
}

export interface AuditLogWiring {
  readonly log: AuditLog | null;
  /** A devnet genesis with AuditAnchor at its fixed address; a geth genesis unchanged. */
  bttcGenesis(g: BttcGenesis): BttcGenesis;
  watchSubmitters<S extends CheckpointSubmitterLike>(submitters: ReadonlyMap<number, S>): ReadonlyMap<number, CheckpointSubmitterLike>;
  /** The slash batch sender, recording each submission (slash.batch-submitted). */
  watchSlashSender(sender: SlashBatchSender): SlashBatchSender;
  attach(parts: AuditAttachParts): Promise<void>;
  /** `others` and the audit-log routes. */
  routes(...others: RestRoute[]): RestRoute[];
}

/** The config as a canonical-JSON value: bigints and fractions as strings, the TRON API key left out. */
function configSnapshot(config: NodeConfig, node: NodeSection): Record<string, unknown> {
  const safeNode = { ...node, tron: { ...node.tron, apiKey: node.tron.apiKey ? '(set)' : null } };
  return JSON.parse(JSON.stringify({ config, node: safeNode }, (_k, v: unknown) => (typeof v === 'bigint' || (typeof v === 'number' && !Number.isSafeInteger(v)) ? String(v) : v))) as Record<
    string,
    unknown
  >;
}

/** Dotted paths (two levels deep) whose values differ. */
function changedPaths(a: Record<string, unknown>, b: Record<string, unknown>, prefix = '', depth = 2): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[k];
    const y = b[k];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (depth > 1 && isObj(x) && isObj(y)) out.push(...changedPaths(x as Record<string, unknown>, y as Record<string, unknown>, `${prefix}${k}.`, depth - 1));
    else out.push(prefix + k);
  }
  return out;
}

export async function openAuditLog(opts: { config: NodeConfig; node: NodeSection; signer: KeyPair | null; genesis: BttcGenesis }, deps: AuditLogWiringDeps): Promise<AuditLogWiring> {
  const { config, node, signer } = opts;
  const settings = node.auditLog;
  const { getArtifact } = await import('../contracts/build.ts');
  const anchorCode = getArtifact('AuditAnchor').deployedBytecode;
  const bttcGenesis = (g: BttcGenesis): BttcGenesis => (isGethGenesis(g) ? g : withAuditAnchor(g, anchorCode));
  if (!signer || !settings.enabled) {
    deps.logger.info({ reason: signer ? 'auditLog.enabled is false' : 'a follower has no signer key' }, 'audit log: not kept by this node');
    return { log: null, bttcGenesis, watchSubmitters: (s) => s, watchSlashSender: (s) => s, attach: async () => undefined, routes: (...others) => [...others, ...auditLogRoutes(null)] };
  }
  const { db, hashPool, metrics, logger, onClose } = deps;
  const address = bytesToHex(signer.address);
  const store = new AuditStore(db);
  const retentionMs = settings.privateRetentionHours * HOUR_MS;
  const log = await AuditLog.open(
    {
      chainId: config.bttc.chainId,
      signer: { privateKey: signer.privateKey, address },
      batchIntervalMs: settings.batchIntervalMs,
      batchMaxRecords: settings.batchMaxRecords,
      privateRetentionMs: retentionMs,
    },
    { store, sealer: hashPool, metrics, logger },
  );
  const anchorContract = settings.anchor ? (settings.anchorContract?.toLowerCase() ?? (isGethGenesis(opts.genesis) ? null : AUDIT_ANCHOR_ADDRESS)) : null;
  if (settings.anchor && !anchorContract) logger.warn('audit log: no AuditAnchor on this network (set node.auditLog.anchorContract): batches are signed but not anchored');
  const staking = config.rootChains.find((c) => c.id === stakingChainOf(config));
  const identity = {
    chainId: config.bttc.chainId,
    signer: address,
    anchorContract,
    ...(staking ? { rootChain: { id: staking.id, name: staking.name, address: staking.rootChain?.toLowerCase() ?? null } } : {}),
  };
  await store.meta.put('identity', identity);
  let anchorer: AuditAnchorer | null = null;
  let app: DeliveryApp | null = null;
  const height = () => app?.height ?? 0;
  const startedAt = Date.now();
  let started = false;
  onClose('audit log', async () => {
    if (started) log.append(records.nodeStop({ height: height(), time: Date.now() }, { signer: address, startedAt, reason: 'shutdown' }));
    await anchorer?.close();
    await log.close();
  });

  // Covering checkpoint: the acked one on the staking chain whose range holds the block (newest first).
  const coveringCheckpoint = async (block: number): Promise<CoveringCheckpoint | null> => {
    if (!app) return null;
    const q = app.queries.checkpoint;
    for (let n = q.ackCount() ?? 0; n > 0; n--) {
      const cp = await q.get(q.stakingChainId, n);
      if (!cp || cp.end < block) break;
      if (cp.start <= block) return { rootChainId: cp.rootChainId, number: cp.number, headerBlockId: cp.headerBlockId, start: cp.start, end: cp.end, rootHash: cp.rootHash, rootTxHash: cp.txHash };
    }
    return null;
  };
  const service = new AuditLogService(identity, {
    store,
    anchors: { latest: () => anchorer?.latest() ?? null, pendingCount: () => anchorer?.pendingCount() ?? 0 },
    coveringCheckpoint,
    privateRetentionMs: retentionMs,
  });

  return {
    log,
    bttcGenesis,
    watchSubmitters: (s) => recordSubmissions(s, log, height),
    watchSlashSender: (s) => recordSlashSender(s, log, height),
    routes: (...others) => [...others, ...auditLogRoutes(service)],
    async attach(parts) {
      app = parts.app;
      writeDeliveryRecords(parts.app, log);
      writeGovRecords(parts.app, log);
      writeSlashRecords(parts.app, log);
      if (anchorContract) {
        const { chain, executor, txpool, intake, gossip } = parts;
        const a = new AuditAnchorer(
          { contract: anchorContract, chainId: config.bttc.chainId, signer: { privateKey: signer.privateKey, address }, gasPrice: ANCHOR_GAS_PRICE },
          {
            store,
            chain,
            nextNonce: async (addr) => txpool.nextNonce(addr) ?? (await executor.getAccounts(chain.head().header.stateRoot, [addr]))[0]?.nonce ?? 0n,
            send: async (raw) => {
              const [res] = await intake.add([raw]);
              if (!res) return { ok: false, code: 'no-result', reason: 'the pool answered nothing' };
              if (res.ok) gossip.queue(raw);
              return res.ok ? { ok: true } : { ok: false, code: res.code, reason: res.reason };
            },
            inPool: (h) => txpool.get(h) !== undefined,
            metrics,
            logger,
          },
        );
        anchorer = a;
        log.onSealed((b) => a.enqueue(b));
        await a.start();
        onClose(
          'audit anchor head listener',
          chain.onHeadChange(() => void a.onHead()),
        );
      }
      // Node start, and the config compared with the last run's.
      const snapshot = configSnapshot(config, node);
      const hash = canonicalHash(snapshot);
      const prev = (await store.meta.get('config')) as { hash: string; snapshot: Record<string, unknown> } | undefined;
      const start = { version: clientVersion(), role: 'validator', signer: address, configHash: hash, head: Number(parts.chain.head().number) };
      log.append(records.nodeStart({ height: height(), time: startedAt }, start));
      // where this node listens and whom it dials: operational, so private
      log.append(
        records.nodeStart({ height: height(), time: startedAt }, { ...start, listen: node.p2p.listen, staticPeers: node.p2p.staticPeers, rpcHost: node.rpc.host, restHost: node.rest.host }),
        'private',
      );
      if (!prev || prev.hash !== hash) {
        log.append(records.configChange({ height: height() }, { previousHash: prev?.hash ?? null, hash, changed: prev ? changedPaths(prev.snapshot, snapshot) : ['(first start)'] }));
        await store.meta.put('config', { hash, snapshot });
      }
      started = true;
    },
  };
}
