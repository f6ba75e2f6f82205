/**
 * ChainStore over a KeyValueStore (classic-level). Every state change is one `batch()`: a block with
 * its body, receipts, total difficulty, and — when it becomes the head — its canonical number, tx
 * and log-address index entries and the head pointer. LevelDB applies a batch atomically (write-ahead
 * log), so after a kill the head pointer always names a block whose data and indexes are complete.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BatchOp, KeyValueStore } from '../db/interface.ts';
import { counter, gauge, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import { bloomContains, hashHeader } from '../evm/block.ts';
import { keccak256 } from '../evm/crypto.ts';
import type { HeaderFields, Receipt } from '../evm/interface.ts';
import { ChainStoreError, type BlockData, type ChainStoreApi, type HeadInfo, type LocatedLog, type LogFilter, type ReorgResult, type StoredTx, type TxLocation } from './interface.ts';
import { chainRecords, type ChainRecords, type StoredBody } from './records.ts';

export interface ChainStoreOptions {
  /** eth_getLogs: widest block range per query (default 10,000). */
  maxLogBlockRange?: number;
  /** eth_getLogs: most logs per query (default 10,000). */
  maxLogs?: number;
  /** Headers kept in memory (default 4096). */
  headerCache?: number;
}

export class ChainStore implements ChainStoreApi {
  private readonly db: KeyValueStore;
  private readonly r: ChainRecords;
  private readonly logger: Logger;
  private readonly opts: Required<ChainStoreOptions>;
  private headInfo: HeadInfo | null = null;
  private genesis: Uint8Array | null = null;
  private headers = new Map<string, HeaderFields>();
  private readonly headListeners = new Set<(hash: Uint8Array) => void>();
  private readonly m: {
    putSeconds: ReturnType<typeof histogram>;
    reorgs: ReturnType<typeof counter>;
    reorgDepth: ReturnType<typeof histogram>;
    head: ReturnType<typeof gauge>;
  } | null;

  constructor(opts: ChainStoreOptions, deps: { db: KeyValueStore; metrics?: Registry | null; logger?: Logger }) {
    this.db = deps.db;
    this.r = chainRecords(deps.db);
    this.logger = deps.logger ?? silentLogger();
    this.opts = { maxLogBlockRange: opts.maxLogBlockRange ?? 10_000, maxLogs: opts.maxLogs ?? 10_000, headerCache: opts.headerCache ?? 4096 };
    const reg = deps.metrics;
    this.m = reg
      ? {
          putSeconds: histogram(reg, 'bttc_chain_put_block_seconds', 'Time to store a block (one batch)', SECONDS_BUCKETS),
          reorgs: counter(reg, 'bttc_chain_reorgs_total', 'Canonical chain switches that removed blocks'),
          reorgDepth: histogram(reg, 'bttc_chain_reorg_depth_blocks', 'Blocks removed by a reorg', [1, 2, 4, 8, 16, 64, 256, 1024]),
          head: gauge(reg, 'bttc_chain_head_number', 'Number of the canonical head block'),
        }
      : null;
  }

  private cacheHeader(hash: Uint8Array, h: HeaderFields): void {
    const k = bytesToHex(hash);
    this.headers.delete(k);
    this.headers.set(k, h);
    if (this.headers.size > this.opts.headerCache) this.headers.delete(this.headers.keys().next().value!);
  }

  async init(genesis: HeaderFields): Promise<HeadInfo> {
    const gHash = hashHeader(genesis);
    const stored = await this.r.meta.get('genesis');
    if (stored) {
      if (!equalBytes(stored, gHash)) throw new ChainStoreError(`chain store holds genesis ${bytesToHex(stored)}, not ${bytesToHex(gHash)}: wrong data directory or changed genesis`);
      this.genesis = stored;
      const headHash = await this.r.meta.get('head');
      if (!headHash) throw new ChainStoreError('chain store has a genesis but no head pointer (corrupt store)');
      const header = await this.getHeader(headHash);
      const td = await this.getTd(headHash);
      if (!header || td === undefined) throw new ChainStoreError(`head ${bytesToHex(headHash)} has no header or total difficulty (corrupt store)`);
      this.headInfo = { hash: headHash, number: header.number, header, td };
      this.m?.head.set(Number(header.number));
      this.logger.info({ head: Number(header.number), hash: bytesToHex(headHash) }, 'chain store opened');
      return this.headInfo;
    }
    if (genesis.number !== 0n) throw new ChainStoreError(`genesis must be block 0, got ${genesis.number}`);
    const r = this.r;
    const ops: BatchOp[] = [
      r.header.putOp(gHash, genesis),
      r.body.putOp(gHash, { txs: [], senders: [] }),
      r.receipts.putOp(gHash, []),
      r.td.putOp(gHash, genesis.difficulty),
      r.canonical.putOp(0n, gHash),
      r.meta.putOp('genesis', gHash),
      r.meta.putOp('head', gHash),
    ];
    await this.db.batch(ops);
    this.genesis = gHash;
    this.headInfo = { hash: gHash, number: 0n, header: genesis, td: genesis.difficulty };
    this.cacheHeader(gHash, genesis);
    return this.headInfo;
  }

  head(): HeadInfo {
    if (!this.headInfo) throw new ChainStoreError('chain store not initialised (call init first)');
    return this.headInfo;
  }

  genesisHash(): Uint8Array {
    if (!this.genesis) throw new ChainStoreError('chain store not initialised (call init first)');
    return this.genesis;
  }

  /**
   * Index entries that exist while a block is canonical: number → hash, tx hash → location, address → number.
   * On the put path of every block (one entry per transaction): putOp/delOp are only the key and value
   * encodings into a batch operation, no more work than building the bytes by hand.
   */
  private canonicalOps(hash: Uint8Array, header: HeaderFields, txs: Uint8Array[], receipts: { logs: { address: Uint8Array }[] }[], add: boolean): BatchOp[] {
    const { canonical, txIndex, addressLog } = this.r;
    const ops: BatchOp[] = [];
    const blockNumber = header.number;
    if (add) ops.push(canonical.putOp(blockNumber, hash));
    txs.forEach((raw, index) => {
      const txHash = keccak256(raw);
      ops.push(add ? txIndex.putOp(txHash, { blockHash: hash, blockNumber, index }) : txIndex.delOp(txHash));
    });
    const seen = new Set<string>();
    for (const r of receipts)
      for (const l of r.logs) {
        const a = bytesToHex(l.address);
        if (seen.has(a)) continue;
        seen.add(a);
        ops.push(add ? addressLog.putOp([l.address, blockNumber], true) : addressLog.delOp([l.address, blockNumber]));
      }
    return ops;
  }

  async putBlock(block: BlockData, opts: { setHead?: boolean } = {}): Promise<{ hash: Uint8Array; td: bigint }> {
    const start = performance.now();
    const head = this.head();
    const h = block.header;
    if (block.txs.length !== block.senders.length) throw new ChainStoreError(`block ${h.number}: ${block.txs.length} txs but ${block.senders.length} senders`);
    if (block.txs.length !== block.receipts.length) throw new ChainStoreError(`block ${h.number}: ${block.txs.length} txs but ${block.receipts.length} receipts`);
    const hash = hashHeader(h);
    const parentTd = await this.getTd(h.parentHash);
    if (parentTd === undefined) throw new ChainStoreError(`block ${h.number} ${bytesToHex(hash)}: parent ${bytesToHex(h.parentHash)} is not stored`);
    const parent = (await this.getHeader(h.parentHash))!;
    if (parent.number + 1n !== h.number) throw new ChainStoreError(`block ${h.number}: parent is block ${parent.number}`);
    const td = parentTd + h.difficulty;
    block.senders.forEach((s, i) => {
      if (s.length !== 20) throw new ChainStoreError(`block ${h.number} tx ${i}: sender must be 20 bytes`);
    });
    const r = this.r;
    const ops: BatchOp[] = [r.header.putOp(hash, h), r.body.putOp(hash, { txs: block.txs, senders: block.senders }), r.receipts.putOp(hash, block.receipts), r.td.putOp(hash, td)];
    if (opts.setHead) {
      if (!equalBytes(h.parentHash, head.hash)) throw new ChainStoreError(`block ${h.number} does not extend the head ${bytesToHex(head.hash)}: store it and call setHead (reorg)`);
      ops.push(...this.canonicalOps(hash, h, block.txs, block.receipts, true));
      ops.push(r.meta.putOp('head', hash));
    }
    await this.db.batch(ops);
    this.cacheHeader(hash, h);
    if (opts.setHead) {
      this.headInfo = { hash, number: h.number, header: h, td };
      this.m?.head.set(Number(h.number));
    }
    this.m?.putSeconds.observe((performance.now() - start) / 1000);
    if (opts.setHead) this.notifyHead(hash);
    return { hash, td };
  }

  onHeadChange(listener: (hash: Uint8Array) => void): () => void {
    this.headListeners.add(listener);
    return () => this.headListeners.delete(listener);
  }

  /** After the head's batch is written: a listener's failure is logged and never undoes the write. */
  private notifyHead(hash: Uint8Array): void {
    for (const listener of this.headListeners) {
      try {
        listener(hash);
      } catch (err) {
        this.logger.error({ err, head: bytesToHex(hash) }, 'head-change listener failed');
      }
    }
  }

  async setHead(hash: Uint8Array): Promise<ReorgResult> {
    const head = this.head();
    const target = await this.getHeader(hash);
    const td = await this.getTd(hash);
    if (!target || td === undefined) throw new ChainStoreError(`setHead: block ${bytesToHex(hash)} is not stored`);
    // Walk the new branch back to where it meets the canonical chain.
    const added: { hash: Uint8Array; header: HeaderFields }[] = [];
    let cur = hash;
    let curH = target;
    for (;;) {
      const canon = await this.getCanonicalHash(curH.number);
      if (canon && equalBytes(canon, cur) && curH.number <= head.number) break;
      added.push({ hash: cur, header: curH });
      if (curH.number === 0n) throw new ChainStoreError(`setHead: block ${bytesToHex(hash)} does not descend from this genesis`);
      const p = await this.getHeader(curH.parentHash);
      if (!p) throw new ChainStoreError(`setHead: ancestor ${bytesToHex(curH.parentHash)} of ${bytesToHex(hash)} is not stored`);
      cur = curH.parentHash;
      curH = p;
    }
    added.reverse();
    const common = { hash: cur, number: curH.number };
    const removed: Uint8Array[] = [];
    const ops: BatchOp[] = [];
    for (let n = head.number; n > common.number; n--) {
      const h = (await this.getCanonicalHash(n))!;
      removed.push(h);
      const header = (await this.getHeader(h))!;
      const body = (await this.getBody(h))!;
      const receipts = (await this.getReceipts(h))!;
      ops.push(...this.canonicalOps(h, header, body.txs, receipts, false));
      if (n > target.number) ops.push(this.r.canonical.delOp(n));
    }
    removed.reverse();
    for (const a of added) {
      const body = (await this.getBody(a.hash))!;
      const receipts = (await this.getReceipts(a.hash))!;
      ops.push(...this.canonicalOps(a.hash, a.header, body.txs, receipts, true));
    }
    ops.push(this.r.meta.putOp('head', hash));
    // Deletes of the old branch come first: a tx in both branches ends up indexed at its new place.
    await this.db.batch(ops);
    this.headInfo = { hash, number: target.number, header: target, td };
    this.m?.head.set(Number(target.number));
    if (removed.length > 0) {
      this.m?.reorgs.inc();
      this.m?.reorgDepth.observe(removed.length);
      this.logger.info({ depth: removed.length, common: Number(common.number), head: Number(target.number) }, 'chain reorg');
    }
    this.notifyHead(hash);
    return { common, removed, added: added.map((a) => a.hash) };
  }

  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return this.headers.has(bytesToHex(hash)) || (await this.r.header.has(hash));
  }

  async getHeader(hash: Uint8Array): Promise<HeaderFields | undefined> {
    const c = this.headers.get(bytesToHex(hash));
    if (c) return c;
    const h = await this.r.header.get(hash);
    if (!h) return undefined;
    this.cacheHeader(hash, h);
    return h;
  }

  getCanonicalHash(number: bigint): Promise<Uint8Array | undefined> {
    if (number < 0n) return Promise.resolve(undefined);
    return this.r.canonical.get(number);
  }

  async getHeaderByNumber(number: bigint): Promise<HeaderFields | undefined> {
    const h = await this.getCanonicalHash(number);
    return h ? this.getHeader(h) : undefined;
  }

  getBody(hash: Uint8Array): Promise<StoredBody | undefined> {
    return this.r.body.get(hash);
  }

  getReceipts(hash: Uint8Array): Promise<Receipt[] | undefined> {
    return this.r.receipts.get(hash);
  }

  getTd(hash: Uint8Array): Promise<bigint | undefined> {
    return this.r.td.get(hash);
  }

  getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    return this.r.txIndex.get(txHash);
  }

  async getTransaction(txHash: Uint8Array): Promise<StoredTx | undefined> {
    const loc = await this.getTxLocation(txHash);
    if (!loc) return undefined;
    const body = await this.getBody(loc.blockHash);
    if (!body?.txs[loc.index]) return undefined;
    return { ...loc, hash: txHash, raw: body.txs[loc.index]!, sender: body.senders[loc.index]! };
  }

  async getBlockLogs(hash: Uint8Array): Promise<LocatedLog[]> {
    const header = await this.getHeader(hash);
    const body = await this.getBody(hash);
    const receipts = await this.getReceipts(hash);
    if (!header || !body || !receipts) return [];
    const out: LocatedLog[] = [];
    let logIndex = 0;
    receipts.forEach((r, txIndex) => {
      if (r.logs.length === 0) return;
      const txHash = keccak256(body.txs[txIndex]!);
      for (const l of r.logs) out.push({ ...l, blockHash: hash, blockNumber: header.number, txHash, txIndex, logIndex: logIndex++, removed: false });
    });
    return out;
  }

  async getLogs(f: LogFilter): Promise<LocatedLog[]> {
    const head = this.head();
    const to = f.toBlock > head.number ? head.number : f.toBlock;
    if (f.fromBlock > to) return [];
    if (to - f.fromBlock + 1n > BigInt(this.opts.maxLogBlockRange)) throw new ChainStoreError(`block range ${f.fromBlock}-${to} is wider than ${this.opts.maxLogBlockRange} blocks`);
    const addrs = f.addresses ?? [];
    const topics = f.topics ?? [];
    let candidates: bigint[];
    if (addrs.length > 0) {
      const nums = new Set<bigint>();
      for (const a of addrs) for await (const [[, n]] of this.r.addressLog.entries({ gte: [a, f.fromBlock], lt: [a, to + 1n] })) nums.add(n);
      candidates = [...nums].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    } else {
      candidates = [];
      for (let n = f.fromBlock; n <= to; n++) candidates.push(n);
    }
    const out: LocatedLog[] = [];
    const addrSet = new Set(addrs.map((a) => bytesToHex(a)));
    for (const n of candidates) {
      const hash = await this.getCanonicalHash(n);
      if (!hash) continue;
      const header = (await this.getHeader(hash))!;
      // The header bloom rules out most blocks without reading their receipts.
      if (addrs.length > 0 && !addrs.some((a) => bloomContains(header.bloom, a))) continue;
      if (!topics.every((t) => t === null || t.length === 0 || t.some((x) => bloomContains(header.bloom, x)))) continue;
      for (const l of await this.getBlockLogs(hash)) {
        if (addrSet.size > 0 && !addrSet.has(bytesToHex(l.address))) continue;
        if (!topics.every((t, i) => t === null || t.length === 0 || (l.topics[i] !== undefined && t.some((x) => equalBytes(x, l.topics[i]!))))) continue;
        out.push(l);
        if (out.length > this.opts.maxLogs) throw new ChainStoreError(`query returned more than ${this.opts.maxLogs} logs; narrow the block range or filter`);
      }
    }
    return out;
  }

  async getAncestorHashes(hash: Uint8Array, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let cur: Uint8Array | undefined = hash;
    while (cur && out.length < count) {
      const h = await this.getHeader(cur);
      if (!h) break;
      out.push(cur);
      if (h.number === 0n) break;
      cur = h.parentHash;
    }
    return out;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
