/**
 * The embedded root chain: a single-node EVM dev chain (H4's executor and chain store) with the root
 * contracts deployed and the genesis validators staked in its first blocks. It seals a block every
 * `blockTimeMs` (or, with 0, as soon as a transaction arrives), keeps everything in classic-level
 * under its data directory, and restarts from there with all state.
 *
 * Data directory layout:
 *   state/          executor state (tries, code)
 *   chain/          blocks, receipts, indexes
 *   genesis.json    the genesis the chain was created from (used on restart)
 *   rootchain.json  RPC URL, chain ids and contract addresses, for the devnet and tools
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import type { Registry } from 'prom-client';
import { Executor } from '../evm/executor.ts';
import { hashHeader } from '../evm/block.ts';
import type { HeaderFields } from '../evm/interface.ts';
import { ChainStore } from '../chain/store.ts';
import { LevelStore } from '../db/level.ts';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { counter, gauge } from '../observability/metrics.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import { parseGenesis, type RootGenesis } from './genesis.ts';
import { planDeployment, type RootAddresses } from './deploy.ts';

export interface RootChainNodeOptions {
  dataDir: string;
  /** The genesis file's JSON: required on first start; on restart the copy in the data directory is used (and must match if given). */
  genesisJson?: unknown;
  /** Where genesisJson came from, for error messages. */
  genesisSource?: string;
  /** 0 = seal on demand (each transaction, or `sealNow`). */
  blockTimeMs: number;
}

export interface RootChainInfo {
  rpcUrl?: string;
  chainId: number;
  rootChainId: number;
  borChainId: number;
  genesisHash: string;
  deployer: string;
  governance: string;
  contracts: RootAddresses;
  validators: { owner: string; signer: string }[];
}

interface Pending {
  raw: Uint8Array;
  hash: string;
  sender: Uint8Array;
  senderHex: string;
  nonce: bigint;
}

export class RootChainNode {
  readonly executor: Executor;
  readonly store: ChainStore;
  readonly genesis: RootGenesis;
  readonly info: RootChainInfo;
  private readonly chainDb: LevelStore;
  private readonly opts: RootChainNodeOptions;
  private readonly logger: Logger;
  private pending: Pending[] = [];
  private sealing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private blockListeners: ((hash: Uint8Array, header: HeaderFields) => void)[] = [];
  /** Resolvers waiting for the next sealed block. */
  private blockWaiters: (() => void)[] = [];
  private readonly m: { blocks: ReturnType<typeof counter>; txs: ReturnType<typeof counter>; pending: ReturnType<typeof gauge> } | null;

  private constructor(
    opts: RootChainNodeOptions,
    parts: { executor: Executor; store: ChainStore; chainDb: LevelStore; genesis: RootGenesis; info: RootChainInfo },
    deps: { logger?: Logger; metrics?: Registry | null },
  ) {
    this.opts = opts;
    this.executor = parts.executor;
    this.store = parts.store;
    this.chainDb = parts.chainDb;
    this.genesis = parts.genesis;
    this.info = parts.info;
    this.logger = (deps.logger ?? silentLogger()).child({ module: 'rootchain' });
    const reg = deps.metrics;
    this.m = reg
      ? {
          blocks: counter(reg, 'bttc_rootchain_blocks_total', 'Blocks sealed by the embedded root chain'),
          txs: counter(reg, 'bttc_rootchain_txs_total', 'Transactions by outcome', ['outcome']),
          pending: gauge(reg, 'bttc_rootchain_pending_txs', 'Transactions waiting for the next block'),
        }
      : null;
  }

  static async open(opts: RootChainNodeOptions, deps: { logger?: Logger; metrics?: Registry | null } = {}): Promise<RootChainNode> {
    mkdirSync(opts.dataDir, { recursive: true });
    const genesisPath = join(opts.dataDir, 'genesis.json');
    let genesisJson: unknown;
    let source = genesisPath;
    if (existsSync(genesisPath)) {
      // Data dirs made before the file was written 0600: tighten it now.
      if ((statSync(genesisPath).mode & 0o077) !== 0) chmodSync(genesisPath, 0o600);
      genesisJson = JSON.parse(readFileSync(genesisPath, 'utf8'));
      const given = opts.genesisJson as Record<string, unknown> | undefined;
      const stored = genesisJson as Record<string, unknown>;
      if (given !== undefined && JSON.stringify({ ...given, timestamp: given.timestamp ?? stored.timestamp }) !== JSON.stringify(stored)) {
        throw new Error(`data directory ${opts.dataDir} was created from another genesis; use a fresh directory or drop --genesis`);
      }
    } else {
      if (opts.genesisJson === undefined) throw new Error(`data directory ${opts.dataDir} has no chain yet: a genesis file is needed on first start`);
      genesisJson = opts.genesisJson;
      source = opts.genesisSource ?? 'genesis';
      // Pin the genesis time now, so a restart rebuilds the same genesis block.
      if (genesisJson && typeof genesisJson === 'object' && !('timestamp' in genesisJson)) genesisJson = { ...genesisJson, timestamp: Math.floor(Date.now() / 1000) };
    }
    const genesis = parseGenesis(genesisJson, source);
    const executor = await Executor.open({ chainId: genesis.chainId, dataDir: join(opts.dataDir, 'state') }, deps);
    const chainDb = await LevelStore.open(join(opts.dataDir, 'chain'));
    const store = new ChainStore({}, { db: chainDb, metrics: deps.metrics, logger: deps.logger });
    const plan = planDeployment(genesis);
    const alloc: [Uint8Array, { balance: bigint }][] = genesis.alloc.map((a) => [hexToBytes(a.address), { balance: a.balance }]);
    if (!genesis.alloc.some((a) => a.address === genesis.deployer)) alloc.push([hexToBytes(genesis.deployer), { balance: 10n ** 24n }]);
    const genesisHeader = await executor.initGenesis({ alloc, gasLimit: genesis.gasLimit, time: genesis.timestamp, difficulty: 1n });
    const head = await store.init(genesisHeader);
    const info: RootChainInfo = {
      chainId: genesis.chainId,
      rootChainId: genesis.rootChainId,
      borChainId: genesis.borChainId,
      genesisHash: bytesToHex(hashHeader(genesisHeader)),
      deployer: genesis.deployer,
      governance: genesis.governance,
      contracts: plan.addresses,
      validators: genesis.validators.map((v) => ({ owner: v.owner, signer: v.signer })),
    };
    const node = new RootChainNode(opts, { executor, store, chainDb, genesis, info }, deps);
    if (head.number === 0n) {
      // The genesis names the deployer (governance) key: readable by its owner only, like every key file.
      writeJsonAtomic(genesisPath, genesisJson, 0o600);
      await node.deploy(plan.txs, plan.labels);
    }
    return node;
  }

  /** Seals the deployment transactions into blocks 1.. until all are in; any rejection is fatal. */
  private async deploy(txs: Uint8Array[], labels: string[]): Promise<void> {
    const sender = hexToBytes(this.genesis.deployer);
    let rest = txs.map((raw, i) => ({ raw, label: labels[i]! }));
    while (rest.length > 0) {
      const res = await this.buildOn(
        rest.map((t) => t.raw),
        rest.map(() => sender),
      );
      if (res.rejected.length > 0) throw new Error(`root contract deployment failed: ${res.rejected.map((r) => `${rest[r.index]!.label}: ${r.reason}`).join('; ')}`);
      for (const [j, r] of res.receipts.entries()) if (r.status !== 1) throw new Error(`root contract deployment failed: ${rest[res.included[j]!]!.label} reverted`);
      if (res.included.length === 0) throw new Error('root contract deployment made no progress (block gas limit too low?)');
      const done = new Set(res.included);
      rest = rest.filter((_, i) => !done.has(i));
    }
    this.logger.info({ contracts: this.info.contracts, head: Number(this.store.head().number) }, 'root contracts deployed and genesis validators staked');
  }

  private async buildOn(txs: Uint8Array[], senders: Uint8Array[]) {
    const head = this.store.head();
    const now = BigInt(Math.floor(Date.now() / 1000));
    const time = now > head.header.time ? now : head.header.time + 1n;
    const ancestors = await this.store.getAncestorHashes(head.hash, 256);
    const res = await this.executor.buildBlock({
      parent: { hash: head.hash, number: head.number, stateRoot: head.header.stateRoot },
      header: { number: head.number + 1n, time, gasLimit: head.header.gasLimit, difficulty: 1n },
      txs,
      senders,
      author: new Uint8Array(20),
      ancestorHashes: ancestors,
      budgetMs: 10_000,
    });
    const included = res.included.map((i) => txs[i]!);
    const { hash } = await this.store.putBlock({ header: res.header, txs: included, senders: res.included.map((i) => senders[i]!), receipts: res.receipts }, { setHead: true });
    this.m?.blocks.inc();
    for (const cb of this.blockListeners) {
      try {
        cb(hash, res.header);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'block listener failed');
      }
    }
    const waiters = this.blockWaiters;
    this.blockWaiters = [];
    for (const w of waiters) w();
    return res;
  }

  /** Head state root, for calls. */
  headHeader(): HeaderFields {
    return this.store.head().header;
  }

  decodeTx(raw: Uint8Array): TypedTransaction {
    return createTxFromRLP(raw, { common: this.executor.common }) as TypedTransaction;
  }

  /** Accepts a signed transaction into the pending set; returns its hash. Errors name what is wrong. */
  async sendRawTransaction(raw: Uint8Array): Promise<string> {
    if (this.closed) throw new Error('root chain is shutting down');
    let tx: TypedTransaction;
    try {
      tx = this.decodeTx(raw);
    } catch (err) {
      throw new Error(`invalid transaction: ${(err as Error).message}`);
    }
    if (!tx.isSigned()) throw new Error('invalid transaction: not signed');
    const sender = tx.getSenderAddress().bytes;
    const senderHex = bytesToHex(sender);
    const hash = bytesToHex(tx.hash());
    const acct = await this.executor.getAccount(this.headHeader().stateRoot, sender);
    const stateNonce = acct?.nonce ?? 0n;
    if (tx.nonce < stateNonce) throw new Error(`nonce too low: next nonce ${stateNonce}, tx nonce ${tx.nonce}`);
    const same = this.pending.findIndex((p) => p.senderHex === senderHex && p.nonce === tx.nonce);
    if (same >= 0) {
      const old = this.decodeTx(this.pending[same]!.raw) as TypedTransaction & { gasPrice: bigint };
      const newPrice = (tx as TypedTransaction & { gasPrice: bigint }).gasPrice;
      if (this.pending[same]!.hash === hash) return hash;
      if (newPrice * 100n < old.gasPrice * 110n) throw new Error('replacement transaction underpriced');
      this.pending[same] = { raw, hash, sender, senderHex, nonce: tx.nonce };
    } else {
      this.pending.push({ raw, hash, sender, senderHex, nonce: tx.nonce });
    }
    this.m?.pending.set(this.pending.length);
    if (this.opts.blockTimeMs === 0) void this.sealNow().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'sealing failed'));
    return hash;
  }

  pendingNonce(sender: string): bigint | null {
    const mine = this.pending.filter((p) => p.senderHex === sender.toLowerCase()).map((p) => p.nonce);
    return mine.length ? mine.reduce((a, b) => (a > b ? a : b)) + 1n : null;
  }

  /** Seals one block with the pending transactions (also when there are none). */
  sealNow(): Promise<void> {
    const run = this.sealing.then(async () => {
      if (this.closed) return;
      const batch = [...this.pending].sort((a, b) => (a.senderHex < b.senderHex ? -1 : a.senderHex > b.senderHex ? 1 : Number(a.nonce - b.nonce)));
      const res = await this.buildOn(
        batch.map((p) => p.raw),
        batch.map((p) => p.sender),
      );
      const gone = new Set<string>();
      for (const i of res.included) gone.add(batch[i]!.hash);
      for (const r of res.rejected) {
        // A nonce gap stays pending until its predecessor arrives; anything else is dropped.
        const p = batch[r.index]!;
        if (/nonce/i.test(r.reason) && p.nonce > 0n) {
          const acct = await this.executor.getAccount(this.headHeader().stateRoot, p.sender);
          if (p.nonce > (acct?.nonce ?? 0n)) continue;
        }
        gone.add(p.hash);
        this.logger.warn({ txHash: p.hash, reason: r.reason }, 'transaction dropped');
      }
      this.m?.txs.inc({ outcome: 'included' }, res.included.length);
      this.m?.txs.inc({ outcome: 'rejected' }, res.rejected.length);
      this.pending = this.pending.filter((p) => !gone.has(p.hash));
      this.m?.pending.set(this.pending.length);
    });
    this.sealing = run.catch(() => undefined);
    return run;
  }

  /** Called after each sealed block is stored (RPC subscriptions). */
  onBlock(cb: (hash: Uint8Array, header: HeaderFields) => void): void {
    this.blockListeners.push(cb);
  }

  /** Resolves when the next block is sealed. */
  nextBlock(): Promise<void> {
    return new Promise((r) => this.blockWaiters.push(r));
  }

  start(): void {
    if (this.opts.blockTimeMs > 0 && !this.timer) {
      this.timer = setInterval(() => {
        void this.sealNow().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'sealing failed'));
      }, this.opts.blockTimeMs);
    }
  }

  /** Writes rootchain.json (atomically) for the devnet and tools. */
  writeInfo(rpcUrl: string): string {
    this.info.rpcUrl = rpcUrl;
    const file = join(this.opts.dataDir, 'rootchain.json');
    writeJsonAtomic(file, this.info);
    return file;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sealing;
    this.closed = true;
    await this.store.close();
    await this.chainDb.close().catch(() => undefined);
    await this.executor.close();
  }
}

function writeJsonAtomic(file: string, value: unknown, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n', { mode });
  renameSync(tmp, file);
}
