/**
 * The EVM executor: @ethereumjs/vm on a shared native-crypto Common, state in classic-level.
 *
 * Where the time goes and what this does about it:
 * - Transactions are decoded once against the shared Common (no per-object Common copy and parameter
 *   merge) and carry the sender recovered upstream: `getSenderAddress` returns it, nothing recovers again.
 * - A block runs inside one state-manager checkpoint, so per-transaction commits stay in the account
 *   and storage caches; the tries are written once, at the end of the block.
 * - At the block's end the tries are updated in one batch per trie (BatchStateManager, BatchTrie): each
 *   changed node is encoded and hashed once, not once per account put.
 * - Trie nodes go to an in-memory write buffer with a node cache (StateDb) and reach disk in one level
 *   batch per block, only those the post-state references (src/evm/reachable.ts).
 * - One call at a time: every public method goes through a promise queue.
 * - Calls and state reads run on a CallRunner over a read-through overlay of the StateDb (writes kept
 *   aside); the node's RPC uses call workers instead (src/evm/call), which read this executor's nodes
 *   over `serveStateNodes` and never wait in this queue.
 */
import type { MessagePort } from 'node:worker_threads';
import { createBlock, type Block } from '@ethereumjs/block';
import { createMPT } from '@ethereumjs/mpt';
import { Caches } from '@ethereumjs/statemanager';
import { ObjectAccountCache } from './accountCache.ts';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { Account, Address } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, ZERO_ADDRESS, ZERO_HASH, orBloom, orderedTrieRoot, receiptEncoding } from './block.ts';
import { ancestorBlockchain } from './ancestors.ts';
import { BTTC_HARDFORK, createBttcCommon, type SharedCommon } from './common.ts';
import { keccak256 } from './crypto.ts';
import { StateDb, metaKey } from './stateDb.ts';
import { BatchStateManager } from './batchStateManager.ts';
import { prefetchBlockAccounts } from './prefetch.ts';
import './jumpAnalysisCache.ts';
import { CallRunner, padLeft } from './call/runner.ts';
import { OverlayDb } from './call/overlayDb.ts';
import { serveStateNodes } from './call/nodeServer.ts';
import type { StateNodeHost } from './call/interface.ts';
import { writeGenesisState } from './genesisTrie.ts';
import { decodeTransferTx, type TransferFields } from './transferTx.ts';
import {
  BlockValidationError,
  type AccountState,
  type BlockContext,
  type BuildBlockRequest,
  type BuildBlockResult,
  type CallBlockRef,
  type CallRequest,
  type CallResult,
  type CodeChange,
  type ExecuteBlockRequest,
  type ExecuteBlockResult,
  type ExecutorApi,
  type GenesisSpec,
  type HeaderFields,
  type HeaderTemplate,
  type Log,
  type Receipt,
  type RejectedTx,
  type SystemCall,
  type SystemCallResult,
  type TimingBreakdown,
} from './interface.ts';

export interface ExecutorOptions {
  chainId: number | bigint;
  /** Directory of the executor's own classic-level database (state tries and code). */
  dataDir: string;
  hardfork?: string;
  eips?: number[];
  /** Trie nodes kept in memory (default 500k). */
  cacheNodes?: number;
  /** Bytes of trie nodes kept in memory (default 256 MiB); the cache is bounded by both. */
  cacheBytes?: number;
  /** Apply plain value transfers between EOAs directly (default true; see `tryTransfer`). Off only to compare against runTx. */
  transferFastPath?: boolean;
}

export interface ExecutorDeps {
  metrics?: Registry | null;
  logger?: Logger;
}

const SYSTEM_GAS = (1n << 63n) - 1n;

type ExecBlock = Block;

interface Metrics {
  blockSeconds: ReturnType<typeof histogram>;
  txs: ReturnType<typeof counter>;
  gas: ReturnType<typeof counter>;
  callSeconds: ReturnType<typeof histogram>;
  errors: ReturnType<typeof counter>;
  trieNodes: ReturnType<typeof counter>;
}

function createMetrics(reg: Registry): Metrics {
  return {
    blockSeconds: histogram(reg, 'bttc_executor_block_seconds', 'Time to build or execute and commit a block', SECONDS_BUCKETS, ['kind']),
    txs: counter(reg, 'bttc_executor_txs_total', 'Transactions executed into blocks, by outcome', ['outcome']),
    gas: counter(reg, 'bttc_executor_gas_total', 'Gas used by executed blocks'),
    callSeconds: histogram(reg, 'bttc_executor_call_seconds', 'eth_call / estimateGas / state reads', SECONDS_BUCKETS, ['kind']),
    errors: counter(reg, 'bttc_executor_errors_total', 'Blocks that failed validation or execution', ['kind']),
    trieNodes: counter(reg, 'bttc_executor_trie_nodes_total', 'Trie nodes a block created: written (its post-state references them) or dropped (replaced within the same block)', ['outcome']),
  };
}

function newCaches(): Caches {
  const caches = new Caches({ account: { size: 200_000 }, storage: { size: 500_000 }, code: { size: 2_000 } });
  // Decoded accounts instead of RLP per read and write (src/evm/accountCache.ts); same settings.
  caches.account = new ObjectAccountCache(caches.settings.account);
  return caches;
}

const TRANSFER_GAS = 21_000n;
const MAX_NONCE = (1n << 64n) - 2n;
const KECCAK256_NULL = keccak256(new Uint8Array(0));
/** Genesis nodes buffered before a write: bounds the memory of a large alloc. */
const GENESIS_FLUSH_NODES = 50_000;

/**
 * Addresses up to 0x…03ff: every precompile Ethereum has defined (0x01–0x11) and Bor's P256 verifier
 * (0x…0100) with room to spare, plus the zero address. These take runTx whatever their code says.
 * BTTC's system contracts (0x…1000, 0x…1001) are above this but have code, which the fast path
 * refuses anyway. (An earlier bound of 2^16 also caught 0x…dead, the load generator's sink, so
 * the devnet bench never took the fast path.)
 */
function isReservedAddress(a: Uint8Array): boolean {
  for (let i = 0; i < 18; i++) if (a[i] !== 0) return false;
  return a[18]! < 4;
}

/** A block's senders come recovered from outside the executor: each must be a 20-byte address. */
function checkSender(sender: Uint8Array): void {
  if (!(sender instanceof Uint8Array) || sender.length !== 20) throw new Error('sender must be 20 bytes');
}

/** The receipt runTx gives a successful transfer: no logs, an empty bloom. */
function transferReceipt(cumulativeGasUsed: bigint): Receipt {
  return { txType: 0, status: 1, cumulativeGasUsed, gasUsed: TRANSFER_GAS, logsBloom: new Uint8Array(256), logs: [] };
}

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // EthereumJS appends a long "(block=… tx=…)" context; keep the reason.
  return m.replace(/\s*\((vm hf|block|tx)[= ].*$/s, '').slice(0, 300);
}

export class Executor implements ExecutorApi, StateNodeHost {
  readonly common: SharedCommon;
  readonly db: StateDb;
  private readonly logger: Logger;
  private readonly metrics: Metrics | null;
  private sm!: BatchStateManager;
  private vm!: VM;
  private calls!: CallRunner;
  private readonly nodeServers = new Set<{ close(): void }>();
  private currentRoot: Uint8Array = EMPTY_TRIE_ROOT;
  private ancestors: Uint8Array[] = [];
  private ancestorsOf = 0n;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly fastPath: boolean;
  private readonly chainId: bigint;
  /** Transactions applied by the plain-transfer fast path (diagnostics and tests). */
  fastTransfers = 0;

  private constructor(common: SharedCommon, db: StateDb, deps: ExecutorDeps, fastPath: boolean) {
    this.common = common;
    // The fast path encodes Berlin's rules for a transfer (no base fee, no 7702, intrinsic gas 21000).
    this.fastPath = fastPath && common.hardfork() === BTTC_HARDFORK && !common.isActivatedEIP(1559) && !common.isActivatedEIP(7702);
    this.chainId = common.chainId();
    this.db = db;
    this.logger = deps.logger ?? silentLogger();
    this.metrics = deps.metrics ? createMetrics(deps.metrics) : null;
  }

  static async open(opts: ExecutorOptions, deps: ExecutorDeps = {}): Promise<Executor> {
    const common = createBttcCommon({ chainId: opts.chainId, hardfork: opts.hardfork, eips: opts.eips });
    const db = await StateDb.open(opts.dataDir, { cacheNodes: opts.cacheNodes, cacheBytes: opts.cacheBytes });
    const ex = new Executor(common, db, deps, opts.transferFastPath ?? true);
    await ex.setup();
    return ex;
  }

  private async setup(): Promise<void> {
    const common = this.common;
    // BLOCKHASH looks ancestors up by number; the request supplies them (the executor does not keep the chain).
    const blockchain = ancestorBlockchain(() => ({ of: this.ancestorsOf, hashes: this.ancestors }));
    const trie = await createMPT({ db: this.db, useKeyHashing: true, valueEncoding: 'view', common });
    // `sm['_trie']` and `sm['_checkpointCount']` below are EthereumJS private fields: the @ethereumjs
    // packages are pinned to one exact version for that (test/evm/ethereumjs-pin.test.ts checks both).
    this.sm = new BatchStateManager({ trie, common, caches: newCaches() }, this.db);
    this.vm = await createVM({ common, stateManager: this.sm, blockchain: blockchain as never });
    this.calls = await CallRunner.create(common, new OverlayDb(this.db), { interruptible: false });
    const genesisRoot = await this.db.getMeta('genesisRoot');
    if (genesisRoot) await this.moveTo(genesisRoot);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('executor is closed'));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Points the block-building state at `root` (a reorg or a fork block); a no-op on the usual path. */
  private async moveTo(root: Uint8Array): Promise<void> {
    if (equalBytes(root, this.currentRoot)) return;
    if (!equalBytes(root, EMPTY_TRIE_ROOT) && !(await this.sm['_trie'].checkRoot(root))) {
      throw new BlockValidationError('parent', `parent state ${bytesToHex(root)} is not stored by this executor`);
    }
    await this.sm.setStateRoot(root, true);
    this.currentRoot = root;
  }

  private decodeTx(raw: Uint8Array, sender: Uint8Array): TypedTransaction {
    checkSender(sender);
    const tx = createTxFromRLP(raw, { common: this.common, freeze: false }) as TypedTransaction;
    const addr = new Address(sender);
    const hash = keccak256(raw);
    // The sender was recovered (and the signature checked) before the executor; never recover it again.
    Object.defineProperty(tx, 'getSenderAddress', { value: () => addr });
    Object.defineProperty(tx, 'hash', { value: () => hash });
    return tx;
  }

  /**
   * One transaction of a block, decoded as lightly as it allows: a plain legacy transfer (the fast
   * path's shape) through decodeTransferTx, which accepts only what EthereumJS accepts; the full
   * EthereumJS object otherwise, or when the fast path declines the light one (`full`). Throws as
   * createTxFromRLP does for a malformed transaction.
   */
  private decodeForBlock(raw: Uint8Array, sender: Uint8Array): { light: TransferFields | null; gasLimit: bigint; full: () => TypedTransaction } {
    checkSender(sender);
    const light = this.fastPath ? decodeTransferTx(raw, this.chainId) : null;
    let tx = light ? null : this.decodeTx(raw, sender);
    const full = () => (tx ??= this.decodeTx(raw, sender));
    return { light, gasLimit: light ? light.gasLimit : tx!.gasLimit, full };
  }

  /** tryTransfer for a decoded transaction: light fields, or a full object of the transfer's shape. */
  private tryTransferOf(d: { light: TransferFields | null; full: () => TypedTransaction }, sender: Uint8Array, coinbase: Address): Promise<bigint | null> {
    if (!this.fastPath) return Promise.resolve(null);
    if (d.light) return this.tryTransfer(d.light, new Address(sender), coinbase);
    const tx = d.full();
    if (tx.type !== 0 || tx.to === undefined || tx.data.length !== 0) return Promise.resolve(null);
    const gasPrice = (tx as TypedTransaction & { gasPrice: bigint }).gasPrice;
    return this.tryTransfer({ nonce: tx.nonce, gasPrice, gasLimit: tx.gasLimit, to: tx.to.bytes, value: tx.value }, tx.getSenderAddress(), coinbase);
  }

  private execBlock(tpl: HeaderTemplate, ctx: BlockContext): ExecBlock {
    this.ancestors = ctx.ancestorHashes ?? [];
    this.ancestorsOf = tpl.number;
    return createBlock(
      {
        header: {
          number: tpl.number,
          timestamp: tpl.time,
          gasLimit: tpl.gasLimit,
          difficulty: tpl.difficulty ?? 0n,
          coinbase: ctx.author,
          mixHash: tpl.mixDigest ?? ZERO_HASH,
        },
      },
      { common: this.common, skipConsensusFormatValidation: true },
    );
  }

  /**
   * A plain value transfer between externally owned accounts, applied straight to the state manager:
   * what runTx would do, without its per-transaction journal checkpoint, access-list warming, EVM
   * frame, bloom and receipt objects, which are most of its cost when there is no code to run. Only a
   * transaction that runTx would accept and that cannot reach code takes this path: legacy type, empty
   * data, value and gas price above zero (so no account is left empty for EIP-161 to delete), a
   * recipient above the precompile and system range without code, a sender without code, with the
   * right nonce and funds for gasLimit × gasPrice + value. Anything else returns null and goes through
   * runTx, which produces the canonical result or error. The differential test runs random blocks
   * both ways and compares roots and receipts.
   * Returns the gas used (always the 21,000 intrinsic gas: a legacy transfer has no execution gas).
   */
  private async tryTransfer(t: TransferFields, from: Address, coinbase: Address): Promise<bigint | null> {
    const { value, gasLimit, gasPrice } = t;
    if (value <= 0n || gasPrice <= 0n || gasLimit < TRANSFER_GAS) return null;
    if (isReservedAddress(t.to)) return null;
    const to = new Address(t.to);
    const sm = this.sm;
    const sender = await sm.getAccount(from);
    if (!sender || !equalBytes(sender.codeHash, KECCAK256_NULL) || sender.nonce !== t.nonce || sender.balance < gasLimit * gasPrice + value) return null;
    if (sender.nonce >= MAX_NONCE) return null;
    const recipient = await sm.getAccount(to);
    if (recipient && !equalBytes(recipient.codeHash, KECCAK256_NULL)) return null;
    // Sequential read-modify-write, so a sender that is also the recipient or the coinbase comes out right.
    const fee = TRANSFER_GAS * gasPrice;
    sender.nonce += 1n;
    sender.balance -= value + fee;
    await sm.putAccount(from, sender);
    const r = (await sm.getAccount(to)) ?? new Account();
    r.balance += value;
    await sm.putAccount(to, r);
    const m = (await sm.getAccount(coinbase)) ?? new Account();
    m.balance += fee;
    await sm.putAccount(coinbase, m);
    this.fastTransfers++;
    return TRANSFER_GAS;
  }

  private receiptOf(r: Awaited<ReturnType<typeof runTx>>, txType: number, cumulative: bigint): Receipt {
    const logs: Log[] = (r.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }));
    const ok = r.execResult.exceptionError === undefined;
    const receipt: Receipt = { txType, status: ok ? 1 : 0, cumulativeGasUsed: cumulative, gasUsed: r.totalGasSpent, logsBloom: r.bloom.bitvector, logs };
    if (ok && r.createdAddress) receipt.contractAddress = r.createdAddress.bytes;
    return receipt;
  }

  private async runSystemCalls(calls: SystemCall[] | undefined, block: ExecBlock): Promise<SystemCallResult[]> {
    const out: SystemCallResult[] = [];
    for (const c of calls ?? []) {
      const res = await this.vm.evm.runCall({
        caller: new Address(c.from),
        origin: new Address(c.from),
        to: new Address(c.to),
        data: c.data,
        value: 0n,
        gasLimit: c.gasLimit ?? SYSTEM_GAS,
        gasPrice: 0n,
        block,
        skipNonceIncrement: true,
      });
      // As geth's Finalise after a system call: touched empty accounts (the system address) go away.
      await this.vm.evm.journal.cleanup();
      const err = res.execResult.exceptionError;
      const r: SystemCallResult = {
        success: err === undefined,
        gasUsed: res.execResult.executionGasUsed,
        returnValue: res.execResult.returnValue,
        logs: (res.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
      };
      if (err) r.error = err.error;
      out.push(r);
    }
    return out;
  }

  /**
   * Bor's `changeContractCodeIfNeeded` at the block's Finalize: geth's `SetCode` on each address (the
   * account is created if missing; balance, nonce and storage stay). An account left empty (no code,
   * balance or nonce) is deleted, as geth's EIP-158 Finalise deletes empty dirty objects.
   */
  private async applyCodeChanges(changes: CodeChange[] | undefined): Promise<void> {
    for (const c of changes ?? []) {
      const address = new Address(c.address);
      await this.sm.putCode(address, c.code);
      const acc = await this.sm.getAccount(address);
      if (c.code.length === 0 && acc && acc.isEmpty()) await this.sm.deleteAccount(address);
    }
  }

  private async finishBlock(
    rawTxs: Uint8Array[],
    receipts: Receipt[],
  ): Promise<{ stateRoot: Uint8Array; txRoot: Uint8Array; receiptRoot: Uint8Array; bloom: Uint8Array; commitMs: number; rootsMs: number }> {
    const t0 = performance.now();
    await this.sm.commit();
    const stateRoot = await this.sm.getStateRoot();
    const t1 = performance.now();
    const txRoot = orderedTrieRoot(rawTxs);
    const receiptRoot = orderedTrieRoot(receipts.map(receiptEncoding));
    const bloom = new Uint8Array(256);
    for (const r of receipts) orBloom(bloom, r.logsBloom);
    const t2 = performance.now();
    return { stateRoot, txRoot, receiptRoot, bloom, commitMs: t1 - t0, rootsMs: t2 - t1 };
  }

  /** Writes the nodes the block's post-state references, in one level batch (src/evm/reachable.ts). */
  private async flushBlock(stateRoot: Uint8Array): Promise<void> {
    const { flushedNodes, droppedNodes } = this.db.stats;
    await this.db.flush([], [stateRoot]);
    this.metrics?.trieNodes.inc({ outcome: 'written' }, this.db.stats.flushedNodes - flushedNodes);
    this.metrics?.trieNodes.inc({ outcome: 'dropped' }, this.db.stats.droppedNodes - droppedNodes);
  }

  /** Drops everything a failed block wrote and returns the state to `root`. */
  private async abandon(root: Uint8Array): Promise<void> {
    try {
      while (this.sm['_checkpointCount'] > 0) await this.sm.revert();
    } catch {
      /* the reset below covers it */
    }
    await this.sm.setStateRoot(root, true);
    this.db.discard();
    this.currentRoot = root;
  }

  initGenesis(spec: GenesisSpec): Promise<HeaderFields> {
    return this.serial(async () => {
      // Built bottom-up and written in bounded batches: a million-account alloc fits (src/evm/genesisTrie.ts).
      const stateRoot = await writeGenesisState(spec, async (key, value) => {
        await this.db.put(Buffer.from(key).toString('hex'), value);
        if (this.db.pendingCount() >= GENESIS_FLUSH_NODES) await this.db.flush();
      });
      await this.db.flush([{ type: 'put', key: metaKey('genesisRoot'), value: stateRoot }]);
      await this.db.settleBulkLoad();
      await this.sm.setStateRoot(stateRoot, true);
      this.currentRoot = stateRoot;
      this.logger.info({ stateRoot: bytesToHex(stateRoot), accounts: spec.alloc.length }, 'genesis state written');
      return {
        parentHash: ZERO_HASH,
        uncleHash: EMPTY_UNCLE_HASH,
        coinbase: spec.coinbase ?? ZERO_ADDRESS,
        stateRoot,
        txRoot: EMPTY_TRIE_ROOT,
        receiptRoot: EMPTY_TRIE_ROOT,
        bloom: new Uint8Array(256),
        difficulty: spec.difficulty ?? 1n,
        number: 0n,
        gasLimit: spec.gasLimit,
        gasUsed: 0n,
        time: spec.time ?? 0n,
        extra: spec.extra ?? new Uint8Array(0),
        mixDigest: spec.mixDigest ?? ZERO_HASH,
        nonce: spec.nonce ?? new Uint8Array(8),
      };
    });
  }

  buildBlock(req: BuildBlockRequest): Promise<BuildBlockResult> {
    const called = performance.now();
    return this.serial(async () => {
      const start = performance.now();
      const cpu0 = threadCpuMs();
      if (req.txs.length !== req.senders.length) throw new Error(`buildBlock: ${req.txs.length} txs but ${req.senders.length} senders`);
      if (req.header.number !== req.parent.number + 1n) throw new Error(`buildBlock: header number ${req.header.number} does not follow parent ${req.parent.number}`);
      await this.moveTo(req.parent.stateRoot);
      const tp = performance.now();
      await prefetchBlockAccounts(this.db, this.sm, req.parent.stateRoot, req.txs, req.senders, [req.author]);
      const block = this.execBlock(req.header, req);
      // the up-front account reads (src/evm/prefetch.ts) count as execution: they were its reads before
      const timings: TimingBreakdown = { decodeMs: 0, execMs: performance.now() - tp, systemMs: 0, commitMs: 0, rootsMs: 0, cpuMs: 0, queuedMs: start - called };
      const included: number[] = [];
      const includedRaw: Uint8Array[] = [];
      const receipts: Receipt[] = [];
      const rejected: RejectedTx[] = [];
      let notTried = 0;
      let gasUsed = 0n;
      /** Runs one batch of transactions whose request indices start at `offset`, until `deadline`. */
      const runTxs = async (txs: Uint8Array[], senders: Uint8Array[], offset: number, deadline: number): Promise<void> => {
        for (let i = 0; i < txs.length; i++) {
          if (performance.now() >= deadline) {
            notTried += txs.length - i;
            break;
          }
          const gasLeft = req.header.gasLimit - gasUsed;
          if (gasLeft < 21000n) {
            notTried += txs.length - i;
            break;
          }
          const td = performance.now();
          let d: ReturnType<Executor['decodeForBlock']>;
          try {
            d = this.decodeForBlock(txs[i]!, senders[i]!);
          } catch (e) {
            rejected.push({ index: offset + i, reason: `malformed transaction: ${errorText(e)}` });
            continue;
          }
          const te = performance.now();
          timings.decodeMs += te - td;
          if (d.gasLimit > gasLeft) {
            notTried++;
            continue;
          }
          try {
            const fast = await this.tryTransferOf(d, senders[i]!, block.header.coinbase);
            if (fast !== null) {
              gasUsed += fast;
              receipts.push(transferReceipt(gasUsed));
            } else {
              const tx = d.full();
              const r = await runTx(this.vm, { tx, block, skipHardForkValidation: true, skipBlockGasLimitValidation: true });
              gasUsed += r.totalGasSpent;
              receipts.push(this.receiptOf(r, tx.type, gasUsed));
            }
            included.push(offset + i);
            includedRaw.push(txs[i]!);
          } catch (e) {
            rejected.push({ index: offset + i, reason: errorText(e) });
          }
          timings.execMs += performance.now() - te;
        }
      };
      await this.sm.checkpoint();
      try {
        const budgetEnd = start + req.budgetMs;
        await runTxs(req.txs, req.senders, 0, budgetEnd);
        // Top-up: transactions that reached the pool while the first ones ran join this block, in
        // arrival batches after them, before the system calls (which stay last, as Bor's Finalize).
        let offset = req.txs.length;
        while (req.more && performance.now() < budgetEnd && req.header.gasLimit - gasUsed >= 21000n) {
          const tw = performance.now();
          const batch = await req.more();
          timings.topUpWaitMs = (timings.topUpWaitMs ?? 0) + (performance.now() - tw);
          if (!batch) break;
          if (batch.txs.length !== batch.senders.length) throw new Error(`buildBlock: top-up of ${batch.txs.length} txs but ${batch.senders.length} senders`);
          timings.topUps = (timings.topUps ?? 0) + 1;
          await prefetchBlockAccounts(this.db, this.sm, req.parent.stateRoot, batch.txs, batch.senders);
          await runTxs(batch.txs, batch.senders, offset, Math.min(budgetEnd, performance.now() + batch.budgetMs));
          offset += batch.txs.length;
        }
        const ts = performance.now();
        const systemResults = await this.runSystemCalls(req.systemCalls, block);
        await this.applyCodeChanges(req.codeChanges);
        timings.systemMs = performance.now() - ts;
        const fin = await this.finishBlock(includedRaw, receipts);
        timings.commitMs = fin.commitMs;
        timings.rootsMs = fin.rootsMs;
        const tf = performance.now();
        await this.flushBlock(fin.stateRoot);
        timings.commitMs += performance.now() - tf;
        timings.cpuMs = threadCpuMs() - cpu0;
        this.currentRoot = fin.stateRoot;
        const header: HeaderFields = {
          parentHash: req.parent.hash,
          uncleHash: EMPTY_UNCLE_HASH,
          coinbase: req.header.coinbase ?? ZERO_ADDRESS,
          stateRoot: fin.stateRoot,
          txRoot: fin.txRoot,
          receiptRoot: fin.receiptRoot,
          bloom: fin.bloom,
          difficulty: req.header.difficulty ?? 0n,
          number: req.header.number,
          gasLimit: req.header.gasLimit,
          gasUsed,
          time: req.header.time,
          extra: req.header.extra ?? new Uint8Array(0),
          mixDigest: req.header.mixDigest ?? ZERO_HASH,
          nonce: req.header.nonce ?? new Uint8Array(8),
        };
        // Waiting for top-up answers is idle time, not build work.
        this.metrics?.blockSeconds.observe({ kind: 'build' }, (performance.now() - start - (timings.topUpWaitMs ?? 0)) / 1000);
        this.metrics?.txs.inc({ outcome: 'included' }, included.length);
        this.metrics?.txs.inc({ outcome: 'rejected' }, rejected.length);
        this.metrics?.gas.inc(Number(gasUsed));
        return { header, included, receipts, systemResults, rejected, notTried, timings };
      } catch (e) {
        this.metrics?.errors.inc({ kind: 'build' });
        await this.abandon(req.parent.stateRoot);
        throw e;
      }
    });
  }

  executeBlock(req: ExecuteBlockRequest): Promise<ExecuteBlockResult> {
    const called = performance.now();
    return this.serial(async () => {
      const start = performance.now();
      const cpu0 = threadCpuMs();
      const h = req.header;
      if (req.txs.length !== req.senders.length) throw new BlockValidationError('senders', `${req.txs.length} txs but ${req.senders.length} senders`);
      if (h.number !== req.parent.number + 1n) throw new BlockValidationError('number', `block ${h.number} does not follow parent ${req.parent.number}`);
      if (!equalBytes(h.parentHash, req.parent.hash))
        throw new BlockValidationError('parentHash', `block ${h.number} parentHash ${bytesToHex(h.parentHash)} is not the given parent ${bytesToHex(req.parent.hash)}`);
      await this.moveTo(req.parent.stateRoot);
      const tp = performance.now();
      await prefetchBlockAccounts(this.db, this.sm, req.parent.stateRoot, req.txs, req.senders, [req.author]);
      const block = this.execBlock(h, req);
      const timings: TimingBreakdown = { decodeMs: 0, execMs: performance.now() - tp, systemMs: 0, commitMs: 0, rootsMs: 0, cpuMs: 0, queuedMs: start - called };
      const receipts: Receipt[] = [];
      let gasUsed = 0n;
      await this.sm.checkpoint();
      try {
        for (let i = 0; i < req.txs.length; i++) {
          const td = performance.now();
          let d: ReturnType<Executor['decodeForBlock']>;
          try {
            d = this.decodeForBlock(req.txs[i]!, req.senders[i]!);
          } catch (e) {
            throw new BlockValidationError('transactions', `block ${h.number} tx ${i}: malformed: ${errorText(e)}`);
          }
          const te = performance.now();
          timings.decodeMs += te - td;
          if (gasUsed + d.gasLimit > h.gasLimit)
            throw new BlockValidationError('gasLimit', `block ${h.number} tx ${i}: gas limit ${d.gasLimit} exceeds the block's remaining gas ${h.gasLimit - gasUsed}`);
          const fast = await this.tryTransferOf(d, req.senders[i]!, block.header.coinbase);
          if (fast !== null) {
            gasUsed += fast;
            receipts.push(transferReceipt(gasUsed));
          } else {
            const tx = d.full();
            let r;
            try {
              r = await runTx(this.vm, { tx, block, skipHardForkValidation: true, skipBlockGasLimitValidation: true });
            } catch (e) {
              throw new BlockValidationError('transactions', `block ${h.number} tx ${i}: ${errorText(e)}`);
            }
            gasUsed += r.totalGasSpent;
            receipts.push(this.receiptOf(r, tx.type, gasUsed));
          }
          timings.execMs += performance.now() - te;
        }
        const ts = performance.now();
        const systemResults = await this.runSystemCalls(req.systemCalls, block);
        await this.applyCodeChanges(req.codeChanges);
        timings.systemMs = performance.now() - ts;
        const fin = await this.finishBlock(req.txs, receipts);
        timings.commitMs = fin.commitMs;
        timings.rootsMs = fin.rootsMs;
        const check = (field: string, ok: boolean, got: string, want: string) => {
          if (!ok) throw new BlockValidationError(field, `block ${h.number}: ${field} mismatch: header has ${want}, execution gives ${got}`);
        };
        check('gasUsed', gasUsed === h.gasUsed, String(gasUsed), String(h.gasUsed));
        check('txRoot', equalBytes(fin.txRoot, h.txRoot), bytesToHex(fin.txRoot), bytesToHex(h.txRoot));
        check('receiptRoot', equalBytes(fin.receiptRoot, h.receiptRoot), bytesToHex(fin.receiptRoot), bytesToHex(h.receiptRoot));
        check('bloom', equalBytes(fin.bloom, h.bloom), bytesToHex(fin.bloom).slice(0, 20) + '…', bytesToHex(h.bloom).slice(0, 20) + '…');
        check('stateRoot', equalBytes(fin.stateRoot, h.stateRoot), bytesToHex(fin.stateRoot), bytesToHex(h.stateRoot));
        const tf = performance.now();
        await this.flushBlock(fin.stateRoot);
        timings.commitMs += performance.now() - tf;
        timings.cpuMs = threadCpuMs() - cpu0;
        this.currentRoot = fin.stateRoot;
        this.metrics?.blockSeconds.observe({ kind: 'execute' }, (performance.now() - start) / 1000);
        this.metrics?.txs.inc({ outcome: 'executed' }, req.txs.length);
        this.metrics?.gas.inc(Number(gasUsed));
        return { receipts, systemResults, timings };
      } catch (e) {
        this.metrics?.errors.inc({ kind: 'execute' });
        await this.abandon(req.parent.stateRoot);
        throw e;
      }
    });
  }

  call(req: CallRequest, ref: CallBlockRef): Promise<CallResult> {
    return this.serial(async () => {
      const end = this.metrics?.callSeconds.startTimer({ kind: 'call' });
      try {
        return await this.calls.call(req, ref);
      } finally {
        end?.();
      }
    });
  }

  estimateGas(req: CallRequest, ref: CallBlockRef): Promise<bigint> {
    return this.serial(async () => {
      const end = this.metrics?.callSeconds.startTimer({ kind: 'estimate' });
      try {
        return await this.calls.estimateGas(req, ref);
      } finally {
        end?.();
      }
    });
  }

  getAccount(stateRoot: Uint8Array, address: Uint8Array): Promise<AccountState | undefined> {
    return this.serial(() => this.calls.getAccount(stateRoot, address));
  }

  getAccounts(stateRoot: Uint8Array, addresses: readonly Uint8Array[]): Promise<(AccountState | undefined)[]> {
    return this.serial(() => this.calls.getAccounts(stateRoot, addresses));
  }

  getCode(stateRoot: Uint8Array, address: Uint8Array): Promise<Uint8Array> {
    return this.serial(() => this.calls.getCode(stateRoot, address));
  }

  getStorage(stateRoot: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    return this.serial(() => this.calls.getStorage(stateRoot, address, slot));
  }

  /**
   * Serves this executor's trie nodes and code to a call worker on `port`, outside the queue: each
   * read is answered between the executor's own awaits and never waits for a block.
   */
  async serveStateNodes(port: MessagePort): Promise<void> {
    if (this.closed) throw new Error('executor is closed');
    const server = serveStateNodes(port, this.db);
    this.nodeServers.add(server);
    port.once('close', () => this.nodeServers.delete(server));
  }

  hasState(stateRoot: Uint8Array): Promise<boolean> {
    return this.serial(async () => equalBytes(stateRoot, EMPTY_TRIE_ROOT) || (await this.sm['_trie'].checkRoot(stateRoot)));
  }

  async close(): Promise<void> {
    await this.serial(async () => undefined).catch(() => undefined);
    this.closed = true;
    for (const s of this.nodeServers) s.close();
    this.nodeServers.clear();
    await this.db.close();
  }
}

export { padLeft };

/** CPU milliseconds this thread has used (user + system). */
function threadCpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}
