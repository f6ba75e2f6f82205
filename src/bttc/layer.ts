/**
 * The Bttc layer assembled: genesis (BTTC's geth-format file, or the devnet's system contracts with
 * span 0), Bor's per-block genesis rules (blockAlloc code replacements, state-sync overrides) for
 * blocks built and imported alike, the import path for blocks from the
 * network (header rules → senders from the verify pool → sprint-start system calls → execution in
 * the executor → chain store → fork choice with reorgs), the producer with its sink, and the txpool.
 * Every chain mutation goes through one queue, so an imported block and a block this node seals
 * never interleave.
 */
import type { BttcLayerConfig } from '../config/types.ts';
import type { ChainStoreApi } from '../chain/interface.ts';
import type { KeyValueStore } from '../db/interface.ts';
import type { ExecutorApi, GenesisSpec } from '../evm/interface.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, histogram, SECONDS_BUCKETS, type Counter, type Histogram, type Registry } from '../observability/metrics.ts';
import type { SignatureVerifier } from '../pools/interface.ts';
import { spanIdForBlock } from '../protocol/span/span.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { buildExtra } from './engine/extra.ts';
import { ForkChoice, type BlockMeta, type Reorg } from './engine/forkchoice.ts';
import { headerHash } from './engine/header.ts';
import type { SpanProducerSource } from './engine/interface.ts';
import { SignerCache } from './engine/seal.ts';
import { SnapshotManager } from './engine/snapshot.ts';
import { borParamsFromConfig, type BttcHeader, type ProducerEntry } from './engine/types.ts';
import { borProducerSetFactory } from './engine/valset.ts';
import { HeaderVerifier, type RejectCode } from './engine/verify.ts';
import { systemClock, type Clock } from './producer/clock.ts';
import type { SealedBlock } from './producer/interface.ts';
import { BlockProducer } from './producer/producer.ts';
import { blockAllocCodeChanges, borBlockRules, gethGenesisMismatches, gethGenesisSpec, isGethGenesis, type BorBlockRules, type BttcGenesis } from './genesis/bttc-genesis.ts';
import { systemContractsAlloc, type SystemContractsCode } from './system/genesis.ts';
import { SystemCallPlanner } from './system/planner.ts';
import { executorContractReader } from './system/reader.ts';
import type { SpanRecord, SpanSource, StateSyncSource } from './system/types.ts';
import { TxPool, type TxPoolOptions } from './txpool/pool.ts';
import { IncomingBlocks } from './incoming.ts';
import { decodeTx } from './txpool/tx.ts';
import { keccak256 } from '../crypto/keccak.ts';

export interface BttcLayerOptions {
  bttc: BttcLayerConfig;
  /** BTTC's geth-format genesis (`{ geth }`), or the devnet's time and accounts. */
  genesis: BttcGenesis;
  /** Our system contracts' code: needed for the devnet's genesis only (a geth genesis has BTTC's in its alloc). */
  systemCode?: SystemContractsCode;
  /** This node's signer; null for a node that only follows the chain. */
  signer?: { key: Uint8Array; address: Uint8Array } | null;
  txpool?: Partial<Omit<TxPoolOptions, 'chainId' | 'blockGasLimit'>>;
  buildBudgetMs?: number;
}

export interface BttcLayerDeps {
  executor: ExecutorApi;
  chain: ChainStoreApi;
  /** For snapshots and the txpool (the chain store keeps its own buckets). */
  db: KeyValueStore;
  verifier: SignatureVerifier;
  spans: SpanSource;
  stateSyncs: StateSyncSource;
  clock?: Clock;
  /** Publishes a block this node sealed (gossip). */
  broadcast?: ((block: NetworkBlock) => void) | null;
  metrics?: Registry | null;
  logger?: Logger | null;
}

/** A block as it travels between nodes: senders are not trusted from peers and are recovered here. */
export interface NetworkBlock {
  header: BttcHeader;
  txs: Uint8Array[];
}

export type ImportResult =
  | { status: 'known' | 'side' | 'head'; hash: Uint8Array; reorg?: { removed: number; added: number } }
  | { status: 'rejected'; code: RejectCode | 'bad-transaction' | 'execution' | 'system-calls'; reason: string }
  | { status: 'unknown-parent'; reason: string };

/**
 * Producer lists by block number from Delivery's spans. A span covers the blocks its record says:
 * governance may change the length of spans not yet committed (docs/governance.md), so the formula
 * over bttc.spanLength is only the first guess; the search steps by id from the span found last.
 */
export function spanProducers(spans: SpanSource, cfg: BttcLayerConfig): SpanProducerSource {
  let hint = -1;
  const find = (n: number): SpanRecord | undefined => {
    let id = hint >= 0 && spans.spanById(hint) ? hint : spanIdForBlock(n, cfg);
    // A guess past the last span known (spans grew longer than configured): step back to one.
    while (id > 0 && !spans.spanById(id)) id--;
    let dir = 0;
    for (;;) {
      const s = spans.spanById(id);
      if (!s) return undefined;
      const step = n < s.startBlock ? -1 : n > s.endBlock ? 1 : 0;
      if (step === 0) {
        hint = id;
        return s;
      }
      // One direction only: contiguous spans never send the search back.
      if ((dir !== 0 && step !== dir) || id + step < 0) return undefined;
      dir = step;
      id += step;
    }
  };
  return {
    producersFor(number: bigint): readonly ProducerEntry[] | undefined {
      return find(Number(number))?.producers.map((p) => ({ address: p.signer, power: p.power }));
    },
  };
}

export class BttcLayer {
  readonly txpool: TxPool;
  readonly producer: BlockProducer | null;
  readonly verifier: HeaderVerifier;
  readonly snapshots: SnapshotManager;
  readonly planner: SystemCallPlanner;
  readonly signers = new SignerCache();
  private readonly deps: BttcLayerDeps;
  private readonly clock: Clock;
  private readonly rules: BorBlockRules;
  private fork!: ForkChoice;
  private queue: Promise<unknown> = Promise.resolve();
  /** Blocks waiting in (or going through) the import queue: a backup producer yields to a better one. */
  private readonly incoming = new IncomingBlocks();
  /** Gossiped blocks queued or importing (importsSettled). */
  private importing = 0;
  private readonly m: { imported: Counter<string>; importSeconds: Histogram<string>; importPhase: Histogram<string>; reorgs: Counter<string>; senders: Counter<string> } | null;

  private constructor(opts: BttcLayerOptions, deps: BttcLayerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    const cfg = opts.bttc;
    this.rules = borBlockRules(opts.genesis);
    const params = borParamsFromConfig(cfg);
    const span0 = deps.spans.spanById(0);
    if (!span0) throw new Error('Bttc layer: Delivery has no span 0 (the genesis producers)');
    const producers = spanProducers(deps.spans, cfg);
    const headers = { getHeaderByHash: (h: Uint8Array) => deps.chain.getHeader(h) };
    this.snapshots = new SnapshotManager(
      { sprint: cfg.sprint, genesisProducers: span0.producers.map((p) => ({ address: p.signer, power: p.power })) },
      { factory: borProducerSetFactory, headers, db: deps.db },
    );
    this.verifier = new HeaderVerifier(params, { spans: producers, signers: this.signers });
    this.planner = new SystemCallPlanner(
      {
        sprint: cfg.sprint,
        chainId: cfg.chainId,
        systemAddress: cfg.systemAddress,
        validatorSetContract: cfg.validatorSetContract,
        stateReceiverContract: cfg.stateReceiverContract,
        overrideStateSyncRecords: this.rules.overrideStateSyncRecords,
      },
      { reader: executorContractReader(deps.executor), headers, spans: deps.spans, stateSyncs: deps.stateSyncs },
    );
    this.txpool = new TxPool(
      { chainId: cfg.chainId, blockGasLimit: BigInt(cfg.gasLimit), ...opts.txpool },
      {
        verifier: deps.verifier,
        accounts: {
          getAccounts: async (addresses) => {
            const root = deps.chain.head().header.stateRoot;
            const accs = await deps.executor.getAccounts(root, addresses);
            return accs.map((a) => ({ nonce: a?.nonce ?? 0n, balance: a?.balance ?? 0n }));
          },
          stateVersion: () => bytesToHex(deps.chain.head().header.stateRoot),
        },
        db: deps.db,
        metrics: deps.metrics ?? null,
        logger: deps.logger ?? null,
      },
    );
    this.producer = opts.signer
      ? new BlockProducer(
          { params, signerKey: opts.signer.key, signerAddress: opts.signer.address, targetGasLimit: BigInt(cfg.gasLimit), buildBudgetMs: opts.buildBudgetMs ?? Math.min(1000, cfg.period * 500) },
          {
            clock: this.clock,
            snapshots: this.snapshots,
            spans: producers,
            builder: deps.executor,
            txs: this.txpool,
            sink: { onSealed: (b) => this.onSealed(b) },
            systemCalls: this.planner,
            codeChanges: (number) => this.codeChangesAt(number),
            ancestorHashes: (_head, hash) => deps.chain.getAncestorHashes(hash, 256),
            incoming: this.incoming,
            logger: deps.logger ?? null,
            metrics: deps.metrics ?? null,
          },
        )
      : null;
    const reg = deps.metrics ?? null;
    this.m = reg
      ? {
          imported: counter(reg, 'bttc_blocks_imported_total', 'Blocks from the network by import result', ['result']),
          importSeconds: histogram(reg, 'bttc_block_import_seconds', 'Verify + execute + store time of an imported block', SECONDS_BUCKETS),
          importPhase: histogram(reg, 'bttc_block_import_phase_seconds', 'Time of each step of a block import that reached it', SECONDS_BUCKETS, ['phase']),
          reorgs: counter(reg, 'bttc_reorgs_total', 'Head changes that replaced canonical blocks'),
          senders: counter(reg, 'bttc_block_import_senders_total', 'Senders of imported transactions, taken from the txpool or recovered', ['source']),
        }
      : null;
  }

  /** Writes genesis (idempotent), reloads the txpool, and positions fork choice at the stored head. */
  static async open(opts: BttcLayerOptions, deps: BttcLayerDeps): Promise<BttcLayer> {
    const layer = new BttcLayer(opts, deps);
    const cfg = opts.bttc;
    const g = opts.genesis;
    let spec: GenesisSpec;
    if (isGethGenesis(g)) {
      const bad = gethGenesisMismatches(g.geth, cfg);
      if (bad.length) throw new Error(`Bttc layer: the genesis does not match the config: ${bad.join('; ')}`);
      spec = gethGenesisSpec(g.geth);
    } else {
      if (!opts.systemCode) throw new Error("Bttc layer: a devnet genesis needs the system contracts' code (systemCode)");
      const span0 = deps.spans.spanById(0)!;
      const alloc = [...systemContractsAlloc({ validatorSet: cfg.validatorSetContract, stateReceiver: cfg.stateReceiverContract }, opts.systemCode, span0), ...(g.alloc ?? [])];
      spec = { alloc, gasLimit: BigInt(cfg.genesisGasLimit), time: g.time, extra: buildExtra(new Uint8Array(32), null), difficulty: 1n };
    }
    const genesis = await deps.executor.initGenesis(spec);
    await deps.chain.init(genesis);
    const head = deps.chain.head();
    layer.fork = new ForkChoice({ hash: head.hash, parentHash: head.header.parentHash, number: head.number, difficulty: head.header.difficulty, td: head.td });
    await layer.txpool.open();
    return layer;
  }

  /** Bor's `changeContractCodeIfNeeded`: the genesis's blockAlloc code replacements at block `number`. */
  codeChangesAt(number: bigint) {
    return blockAllocCodeChanges(this.rules.blockAlloc, number);
  }

  /** Starts producing from the current head (a node with a signer). */
  start(): void {
    const head = this.deps.chain.head();
    this.producer?.onHead(head.header, head.hash);
  }

  head(): { hash: Uint8Array; header: BttcHeader } {
    const h = this.deps.chain.head();
    return { hash: h.hash, header: h.header };
  }

  /** Sends raw transactions into the pool (eth_sendRawTransaction, gossip). */
  addTransactions(raws: Uint8Array[]) {
    return this.txpool.addRaw(raws);
  }

  async importBlock(block: NetworkBlock): Promise<ImportResult> {
    const queuedAt = performance.now();
    const h = block.header;
    const hash = headerHash(h);
    // Recorded before anything awaits, so a producer asking right after sees the block.
    this.incoming.add(h.parentHash, hash, h.difficulty);
    this.importing++;
    return this.serialize(() => {
      const queuedMs = performance.now() - queuedAt;
      this.m?.importPhase.observe({ phase: 'queued' }, queuedMs / 1000);
      return this.importNow(block, queuedMs, hash);
    }).finally(() => {
      this.importing--;
      this.incoming.delete(h.parentHash, hash);
      // A producer that yielded to this block seals now if it did not become the head.
      this.producer?.wake();
    });
  }

  /**
   * Null when no block import is queued or running; otherwise a promise that settles when the imports
   * queued so far are through (never rejects). RPC intake waits on it so block import keeps priority.
   */
  importsSettled(): Promise<void> | null {
    return this.importing > 0 ? this.queue.then(() => undefined) : null;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async importNow(block: NetworkBlock, queuedMs = 0, knownHash?: Uint8Array): Promise<ImportResult> {
    const t0 = performance.now();
    let tPhase = t0;
    const phasesMs: Record<string, number> = { queued: Math.round(queuedMs) };
    let executorMs: Record<string, number> | undefined;
    // Per-step times show where a slow import under load goes (queue behind the executor, recovery, disk).
    const phase = (name: string) => {
      const now = performance.now();
      this.m?.importPhase.observe({ phase: name }, (now - tPhase) / 1000);
      phasesMs[name] = Math.round(now - tPhase);
      tPhase = now;
    };
    const h = block.header;
    const hash = knownHash ?? headerHash(h);
    const done = (r: ImportResult): ImportResult => {
      this.m?.imported.inc({ result: r.status === 'rejected' ? r.code : r.status });
      this.m?.importSeconds.observe((performance.now() - t0) / 1000);
      if (r.status === 'rejected') this.deps.logger?.warn({ number: String(h.number), hash: bytesToHex(hash), code: r.code, reason: r.reason }, 'block rejected');
      // Like Bor's "Imported new chain segment": one line per executed block, with where its time went.
      else if (r.status === 'head' || r.status === 'side')
        this.deps.logger?.info(
          { number: String(h.number), hash: bytesToHex(hash), txs: block.txs.length, status: r.status, ms: Math.round(performance.now() - t0), phasesMs, executorMs },
          'imported block',
        );
      return r;
    };
    if (await this.deps.chain.hasBlock(hash)) return done({ status: 'known', hash });
    const parent = await this.deps.chain.getHeader(h.parentHash);
    if (!parent) return done({ status: 'unknown-parent', reason: `parent ${bytesToHex(h.parentHash)} of block ${h.number} is not stored` });
    const snapshot = await this.snapshots.snapshotAfter(parent, h.parentHash);
    const v = this.verifier.verify(h, { parent, snapshot, now: Math.floor(this.clock.now() / 1000) });
    if (!v.ok) return done({ status: 'rejected', code: v.code, reason: v.reason });
    phase('header');

    let senders: Uint8Array[];
    try {
      senders = await this.recoverSenders(block.txs);
    } catch (err) {
      return done({ status: 'rejected', code: 'bad-transaction', reason: (err as Error).message });
    }
    phase('senders');
    let systemCalls;
    try {
      systemCalls = await this.planner.systemCallsFor(h.number, parent);
    } catch (err) {
      return done({ status: 'rejected', code: 'system-calls', reason: (err as Error).message });
    }
    phase('system-calls');
    let receipts;
    try {
      const res = await this.deps.executor.executeBlock({
        parent: { hash: h.parentHash, number: parent.number, stateRoot: parent.stateRoot },
        header: h,
        txs: block.txs,
        senders,
        author: v.signer,
        ancestorHashes: await this.deps.chain.getAncestorHashes(h.parentHash, 256),
        systemCalls,
        codeChanges: this.codeChangesAt(h.number),
      });
      receipts = res.receipts;
      executorMs = Object.fromEntries(Object.entries(res.timings).map(([k, v]) => [k.replace(/Ms$/, ''), Math.round(v)]));
    } catch (err) {
      return done({ status: 'rejected', code: 'execution', reason: (err as Error).message });
    }
    phase('execute');
    const r = await this.store({ header: h, hash, txs: block.txs, senders, receipts }, phase);
    return done(r);
  }

  /**
   * Senders of a block's transactions. Those already in our pool were recovered by our own verify
   * pool when they arrived (gossip or RPC), so only the rest are decoded and recovered, in one
   * verifier batch; the executor never recovers a sender itself. On a loaded network nearly every
   * transaction of a block has been gossiped before it, which halves the recoveries per transaction.
   */
  private async recoverSenders(txs: Uint8Array[]): Promise<Uint8Array[]> {
    if (txs.length === 0) return [];
    const senders: (Uint8Array | null)[] = txs.map((raw) => this.txpool.get(keccak256(raw))?.sender ?? null);
    const missing: number[] = [];
    const items = [];
    for (const [i, raw] of txs.entries()) {
      if (senders[i]) continue;
      try {
        const d = decodeTx(raw);
        items.push({ kind: 'secp256k1-recover' as const, digest: d.sigHash, signature: d.signature });
        missing.push(i);
      } catch (err) {
        throw new Error(`transaction ${i}: ${(err as Error).message}`);
      }
    }
    this.m?.senders.inc({ source: 'pool' }, txs.length - missing.length);
    this.m?.senders.inc({ source: 'recovered' }, missing.length);
    if (items.length) {
      const res = await this.deps.verifier.verifyBatch(items);
      res.forEach((r, k) => {
        const i = missing[k]!;
        if (!r.ok || r.kind !== 'secp256k1-recover') throw new Error(`transaction ${i}: bad signature (${r.ok ? 'unexpected result' : r.reason})`);
        senders[i] = r.address;
      });
    }
    return senders as Uint8Array[];
  }

  /** Stores a verified, executed block and lets fork choice decide the head. */
  private async store(
    b: { header: BttcHeader; hash: Uint8Array; txs: Uint8Array[]; senders: Uint8Array[]; receipts: import('../evm/interface.ts').Receipt[] },
    phase: (name: string) => void = () => {},
  ): Promise<ImportResult> {
    const h = b.header;
    const headBefore = this.deps.chain.head();
    await this.ensureInForkChoice(h.parentHash);
    const res = this.fork.add({ hash: b.hash, parentHash: h.parentHash, number: h.number, difficulty: h.difficulty });
    if (res.status === 'too-old') {
      await this.deps.chain.putBlock({ header: h, txs: b.txs, senders: b.senders, receipts: b.receipts });
      return { status: 'side', hash: b.hash };
    }
    const change = res.status === 'added' ? res.head : null;
    const extendsHead = equalBytes(h.parentHash, headBefore.hash);
    if (!change || !equalBytes(change.reorg.newHead.hash, b.hash)) {
      await this.deps.chain.putBlock({ header: h, txs: b.txs, senders: b.senders, receipts: b.receipts });
      return { status: 'side', hash: b.hash };
    }
    if (extendsHead) {
      await this.deps.chain.putBlock({ header: h, txs: b.txs, senders: b.senders, receipts: b.receipts }, { setHead: true });
      phase('store');
      await this.afterHeadChange(change.reorg, b.senders);
      phase('head');
      return { status: 'head', hash: b.hash };
    }
    await this.deps.chain.putBlock({ header: h, txs: b.txs, senders: b.senders, receipts: b.receipts });
    await this.deps.chain.setHead(b.hash);
    this.m?.reorgs.inc();
    await this.afterHeadChange(change.reorg, b.senders);
    return { status: 'head', hash: b.hash, reorg: { removed: change.reorg.removed.length, added: change.reorg.added.length } };
  }

  private async ensureInForkChoice(hash: Uint8Array): Promise<void> {
    const missing: BlockMeta[] = [];
    let cur = hash;
    while (!this.fork.get(cur)) {
      const h = await this.deps.chain.getHeader(cur);
      const td = await this.deps.chain.getTd(cur);
      if (!h || td === undefined) throw new Error(`fork choice: stored block ${bytesToHex(cur)} not found`);
      missing.push({ hash: cur, parentHash: h.parentHash, number: h.number, difficulty: h.difficulty, td });
      if (h.number === 0n || missing.length >= 1024) break;
      cur = h.parentHash;
    }
    for (const m of missing.reverse()) this.fork.insertKnown(m);
  }

  private async afterHeadChange(reorg: Reorg, newSenders: Uint8Array[]): Promise<void> {
    const touched = [...newSenders];
    // Transactions of blocks that left the canonical chain go back to the pool (senders kept).
    for (const m of reorg.removed) {
      const body = await this.deps.chain.getBody(m.hash);
      if (!body) continue;
      await this.txpool.addRecovered(body.txs.map((raw, i) => ({ raw, sender: body.senders[i]! })));
      touched.push(...body.senders);
    }
    for (const m of reorg.added.slice(0, -1)) {
      const body = await this.deps.chain.getBody(m.hash);
      if (body) touched.push(...body.senders);
    }
    await this.txpool.onNewHead(touched);
    const head = this.deps.chain.head();
    this.txpool.setBlockGasLimit(head.header.gasLimit);
    this.producer?.onHead(head.header, head.hash);
  }

  private onSealed(block: SealedBlock): Promise<void> {
    return this.serialize(async () => {
      const r = await this.store({ header: block.header, hash: block.hash, txs: block.txs, senders: block.senders, receipts: block.build.receipts });
      if (r.status === 'head' || r.status === 'side') this.deps.broadcast?.({ header: block.header, txs: block.txs });
    });
  }

  async close(): Promise<void> {
    this.producer?.stop();
    // A build in flight reads the executor and Delivery's store, which close after this layer.
    await this.producer?.drain();
    await this.queue.catch(() => undefined);
    await this.txpool.close();
  }
}
