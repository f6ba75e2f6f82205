/**
 * The transaction pool: per sender a nonce-ordered list, across senders ordered by gas price (no
 * base fee on BTTC, so the gas price is the tip). Accepts a transaction only after every rule in
 * spec/issue 5 holds, replaces one of the same sender and nonce for a price at least `priceBump`%
 * higher, caps each sender and the whole pool, and when full evicts the cheapest transaction that
 * is last in its sender's list (never opening a nonce gap). Senders are recovered in one verifier
 * batch per intake call and kept with the transaction, so nothing downstream recovers again.
 */
import type { Logger } from '../../observability/logger.ts';
import { Gauge } from 'prom-client';
import { counter, gauge, histogram, SECONDS_BUCKETS, type Registry, type Counter, type Histogram } from '../../observability/metrics.ts';
import type { SignatureVerifier } from '../../pools/interface.ts';
import { isLowS, secp256k1Backend } from '../../crypto/secp256k1.ts';
import { executeItem } from '../../pools/execute.ts';
import { bytesToHex } from '../../util/bytes.ts';
import type { KeyValueStore } from '../../db/interface.ts';
import type { AccountInfo, AccountReader, AddResult, PoolTx, RejectCode, TxPoolApi } from './interface.ts';
import { decodeTx, intrinsicGas, TxDecodeError, txCost, type DecodedTx } from './tx.ts';
import { PoolStore } from './store.ts';

export interface TxPoolOptions {
  chainId: number;
  /** Block gas limit: a transaction above it could never be included. */
  blockGasLimit: bigint;
  minGasPrice?: bigint;
  /** A replacement must pay at least this many percent more. */
  priceBumpPercent?: number;
  maxPerSender?: number;
  maxTotal?: number;
  maxTxBytes?: number;
  /** Accept pre-EIP-155 transactions (no chain id): geth refuses them by default, so do we. */
  allowUnprotected?: boolean;
  /**
   * An intake call with at most this many senders to recover recovers them on the calling thread
   * with the native binding instead of the verify pool (0: always the pool). Posting a task to the
   * pool costs the main thread ≈ 0.08 ms a transaction in piscina's `postTask` alone, and the
   * worker the recovery plus its own messaging; a native recovery on the calling thread costs
   * ≈ 0.06 ms of CPU (docs/performance.md, "pass 2"). So inline is the cheaper path in CPU at any
   * size; the limit only bounds how long one intake call blocks the event loop (64 × 0.06 ms ≈ 4 ms)
   * before a big batch (a 500-transaction RPC batch) is worth handing to the other core.
   * Ignored when the secp256k1 binding fell back to JavaScript (≈ 1 ms a recovery).
   */
  inlineRecoverMax?: number;
}

/** Default TxPoolOptions.inlineRecoverMax. */
export const INLINE_RECOVER_MAX = 64;

interface SenderList {
  /** By nonce. */
  txs: Map<bigint, PoolTx>;
  nonce: bigint;
  balance: bigint;
  /** AccountReader.stateVersion when nonce and balance were read (null: unknown, read again). */
  version: string | null;
}

interface Metrics {
  added: Counter<string>;
  rejected: Counter<string>;
  removed: Counter<string>;
  size: Gauge<string>;
  addSeconds: Histogram<string>;
  rejectedKept: Counter<string>;
  accountReads: Counter<string>;
  recoveries: Counter<string>;
}

export class TxPool implements TxPoolApi {
  private readonly opts: Required<TxPoolOptions>;
  private readonly verifier: SignatureVerifier;
  private readonly accounts: AccountReader;
  private readonly store: PoolStore | null;
  private readonly logger: Logger | null;
  private readonly metrics: Metrics | null;
  private readonly all = new Map<string, PoolTx>();
  private readonly senders = new Map<string, SenderList>();
  private seq = 0;
  private readonly addedListeners = new Set<(txs: readonly PoolTx[]) => void>();

  constructor(opts: TxPoolOptions, deps: { verifier: SignatureVerifier; accounts: AccountReader; db?: KeyValueStore | null; metrics?: Registry | null; logger?: Logger | null }) {
    this.opts = {
      minGasPrice: 1n,
      priceBumpPercent: 10,
      maxPerSender: 64,
      maxTotal: 8192,
      maxTxBytes: 128 * 1024,
      allowUnprotected: false,
      inlineRecoverMax: INLINE_RECOVER_MAX,
      ...opts,
    };
    this.verifier = deps.verifier;
    this.accounts = deps.accounts;
    this.store = deps.db ? new PoolStore(deps.db) : null;
    this.logger = deps.logger ?? null;
    const reg = deps.metrics ?? null;
    this.metrics = reg
      ? {
          added: counter(reg, 'bttc_txpool_added_total', 'Transactions accepted into the pool'),
          rejected: counter(reg, 'bttc_txpool_rejected_total', 'Transactions refused, by reason', ['reason']),
          removed: counter(reg, 'bttc_txpool_removed_total', 'Transactions leaving the pool, by cause', ['cause']),
          size: gauge(reg, 'bttc_txpool_transactions', 'Transactions in the pool'),
          addSeconds: histogram(reg, 'bttc_txpool_add_seconds', 'Time to validate and insert one intake batch', SECONDS_BUCKETS),
          rejectedKept: counter(reg, 'bttc_txpool_rejected_kept_total', 'Executor refusals kept queued (a later nonce whose predecessor missed the block)'),
          recoveries: counter(reg, 'bttc_txpool_sender_recoveries_total', 'Senders recovered on intake: inline on the calling thread (small batches) or in the verify pool', ['where']),
          accountReads: counter(reg, 'bttc_txpool_account_reads_total', 'Sender accounts needed on intake: read from the executor, or still current from an earlier read', ['source']),
        }
      : null;
    // Pending (executable now) against queued (waiting for an earlier nonce) tells a stalled producer
    // from a load generator that skips nonces; counted when scraped, not on every insert.
    if (reg && !reg.getSingleMetric('bttc_txpool_pending')) {
      let at = -1;
      let last = { pending: 0, queued: 0, senders: 0 };
      const read = () => {
        // One scrape collects the three gauges: count once.
        const now = Date.now();
        if (now - at > 100) last = this.stats();
        at = now;
        return last;
      };
      new Gauge({
        name: 'bttc_txpool_pending',
        help: 'Pool transactions executable at the head (nonces contiguous from the account nonce)',
        registers: [reg],
        collect() {
          this.set(read().pending);
        },
      });
      new Gauge({
        name: 'bttc_txpool_queued',
        help: 'Pool transactions waiting for an earlier nonce',
        registers: [reg],
        collect() {
          this.set(read().queued);
        },
      });
      new Gauge({
        name: 'bttc_txpool_senders',
        help: 'Senders with transactions in the pool',
        registers: [reg],
        collect() {
          this.set(read().senders);
        },
      });
    }
  }

  get size(): number {
    return this.all.size;
  }

  setBlockGasLimit(limit: bigint): void {
    this.opts.blockGasLimit = limit;
  }

  get(hash: Uint8Array): PoolTx | undefined {
    return this.all.get(bytesToHex(hash));
  }

  /**
   * Called once per intake call with the transactions it accepted (new, replacing, or re-injected
   * after a reorg), after they are on disk: pending-transaction filters and subscriptions. A
   * listener that throws is logged and does not affect the pool. Returns the unsubscribe function.
   */
  onAdded(listener: (txs: readonly PoolTx[]) => void): () => void {
    this.addedListeners.add(listener);
    return () => this.addedListeners.delete(listener);
  }

  /**
   * The nonce a sender should sign next: its account nonce plus its executable run in the pool
   * (eth_getTransactionCount "pending"); undefined when the pool holds nothing of the sender.
   */
  nextNonce(sender: Uint8Array): bigint | undefined {
    const list = this.senders.get(bytesToHex(sender));
    if (!list || list.txs.size === 0) return undefined;
    let n = list.nonce;
    while (list.txs.has(n)) n++;
    return n;
  }

  /** Every sender's transactions by nonce, split as `stats` counts them (txpool_content, txpool_inspect). */
  content(): { sender: Uint8Array; pending: PoolTx[]; queued: PoolTx[] }[] {
    const out: { sender: Uint8Array; pending: PoolTx[]; queued: PoolTx[] }[] = [];
    for (const list of this.senders.values()) {
      const txs = [...list.txs.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
      if (txs.length === 0) continue;
      let n = list.nonce;
      let split = 0;
      while (split < txs.length && txs[split]!.nonce === n) {
        split++;
        n++;
      }
      out.push({ sender: txs[0]!.sender, pending: txs.slice(0, split), queued: txs.slice(split) });
    }
    return out;
  }

  /** Reloads persisted transactions: drops those the chain has included, keeps the rest (no re-recovery). */
  async open(): Promise<{ loaded: number; dropped: number }> {
    if (!this.store) return { loaded: 0, dropped: 0 };
    const stored: PoolTx[] = [];
    const broken: Uint8Array[] = [];
    for await (const s of this.store.load()) {
      try {
        const d = decodeTx(s.raw);
        stored.push({ ...d, sender: s.sender, senderHex: bytesToHex(s.sender), hashHex: bytesToHex(d.hash), seq: s.seq });
      } catch {
        broken.push(s.hash);
      }
    }
    stored.sort((a, b) => a.seq - b.seq);
    this.seq = stored.length ? stored[stored.length - 1]!.seq + 1 : 0;
    await this.refreshAccounts(uniqueSenders(stored.map((t) => t.sender)));
    let dropped = broken.length;
    for (const h of broken) this.store.del(h);
    for (const tx of stored) {
      const list = this.senderList(tx.senderHex);
      if (tx.nonce < list.nonce || list.txs.has(tx.nonce) || list.txs.size >= this.opts.maxPerSender || this.all.size >= this.opts.maxTotal) {
        dropped++;
        this.store.del(tx.hash);
        continue;
      }
      list.txs.set(tx.nonce, tx);
      this.all.set(tx.hashHex, tx);
    }
    this.pruneEmpty();
    await this.store.settle();
    this.metrics?.size.set(this.all.size);
    this.logger?.info({ loaded: this.all.size, dropped }, 'txpool reloaded');
    return { loaded: this.all.size, dropped };
  }

  async addRaw(raws: readonly Uint8Array[]): Promise<AddResult[]> {
    const t0 = performance.now();
    const results: (AddResult | null)[] = new Array(raws.length).fill(null);
    const decoded: (DecodedTx | null)[] = raws.map((raw, i) => {
      const r = this.precheck(raw);
      if ('code' in r) {
        results[i] = r;
        return null;
      }
      return r;
    });
    const toRecover = decoded.map((d, i) => (d ? i : -1)).filter((i) => i >= 0);
    const items = toRecover.map((i) => ({ kind: 'secp256k1-recover' as const, digest: decoded[i]!.sigHash, signature: decoded[i]!.signature }));
    const inline = items.length > 0 && items.length <= this.opts.inlineRecoverMax && secp256k1Backend === 'native';
    this.metrics?.recoveries.inc({ where: inline ? 'inline' : 'verify-pool' }, items.length);
    const recovered = items.length === 0 ? [] : inline ? items.map(executeItem) : await this.verifier.verifyBatch(items);
    const candidates: PoolTx[] = [];
    toRecover.forEach((i, k) => {
      const res = recovered[k]!;
      const d = decoded[i]!;
      if (!res.ok || res.kind !== 'secp256k1-recover') {
        results[i] = { ok: false, hash: d.hash, code: 'bad-signature', reason: `signature does not recover: ${res.ok ? 'unexpected result' : res.reason}` };
        return;
      }
      candidates.push({ ...d, sender: res.address, senderHex: bytesToHex(res.address), hashHex: bytesToHex(d.hash), seq: i });
    });
    await this.insertRecovered(candidates, results);
    this.metrics?.addSeconds.observe((performance.now() - t0) / 1000);
    return results.map((r) => r!);
  }

  /**
   * Transactions whose sender is already known (re-injected from blocks a reorg removed). They are
   * checked like new ones except for the signature and the per-sender limits: they are the lowest
   * nonces of their senders (the new head's state is before them), so refusing one for a full list
   * would strand every later transaction of the sender behind a gap no one fills.
   */
  async addRecovered(txs: readonly { raw: Uint8Array; sender: Uint8Array }[]): Promise<AddResult[]> {
    const results: (AddResult | null)[] = new Array(txs.length).fill(null);
    const candidates: PoolTx[] = [];
    txs.forEach((t, i) => {
      const r = this.precheck(t.raw);
      if ('code' in r) results[i] = r;
      else candidates.push({ ...r, sender: t.sender, senderHex: bytesToHex(t.sender), hashHex: bytesToHex(r.hash), seq: i });
    });
    await this.insertRecovered(candidates, results, true);
    return results.map((r) => r!);
  }

  /**
   * Transactions a caller already decoded and whose senders it recovered (gossip validation): the
   * same checks as addRaw without decoding or recovering a second time. `sender` must be what the
   * signature recovers to: this door trusts it.
   */
  async addChecked(txs: readonly { tx: DecodedTx; sender: Uint8Array }[]): Promise<AddResult[]> {
    const t0 = performance.now();
    const results: (AddResult | null)[] = new Array(txs.length).fill(null);
    const candidates: PoolTx[] = [];
    txs.forEach((t, i) => {
      const r = this.checkDecoded(t.tx);
      if (r) results[i] = r;
      else candidates.push({ ...t.tx, sender: t.sender, senderHex: bytesToHex(t.sender), hashHex: bytesToHex(t.tx.hash), seq: i });
    });
    await this.insertRecovered(candidates, results);
    this.metrics?.addSeconds.observe((performance.now() - t0) / 1000);
    return results.map((r) => r!);
  }

  private reject(code: RejectCode, reason: string, hash?: Uint8Array): AddResult & { ok: false } {
    this.metrics?.rejected.inc({ reason: code });
    return hash ? { ok: false as const, code, reason, hash } : { ok: false as const, code, reason };
  }

  /** Stateless checks, in the order that rejects cheap garbage first. */
  private precheck(raw: Uint8Array): DecodedTx | (AddResult & { ok: false }) {
    const fail = (code: RejectCode, reason: string) => this.reject(code, reason);
    if (!(raw instanceof Uint8Array)) return fail('malformed', 'transaction must be bytes');
    if (raw.length > this.opts.maxTxBytes) return fail('oversized', `transaction is ${raw.length} bytes, more than ${this.opts.maxTxBytes}`);
    let d: DecodedTx;
    try {
      d = decodeTx(raw);
    } catch (err) {
      if (err instanceof TxDecodeError) return fail(/type/.test(err.message) ? 'unsupported-type' : 'malformed', err.message);
      throw err;
    }
    return this.checkDecoded(d) ?? d;
  }

  /** The checks after decoding: null when the transaction passes. */
  private checkDecoded(d: DecodedTx): (AddResult & { ok: false }) | null {
    const fail = (code: RejectCode, reason: string, hash?: Uint8Array) => this.reject(code, reason, hash);
    if (d.raw.length > this.opts.maxTxBytes) return fail('oversized', `transaction is ${d.raw.length} bytes, more than ${this.opts.maxTxBytes}`, d.hash);
    if (d.chainId === undefined) {
      if (!this.opts.allowUnprotected) return fail('wrong-chain-id', `unprotected transaction (no EIP-155 chain id); this chain is ${this.opts.chainId}`, d.hash);
    } else if (d.chainId !== BigInt(this.opts.chainId)) return fail('wrong-chain-id', `chain id ${d.chainId}, this chain is ${this.opts.chainId}`, d.hash);
    if (d.gasLimit > this.opts.blockGasLimit) return fail('gas-limit-exceeds-block', `gas limit ${d.gasLimit} exceeds the block gas limit ${this.opts.blockGasLimit}`, d.hash);
    const intrinsic = intrinsicGas(d);
    if (d.gasLimit < intrinsic) return fail('intrinsic-gas-too-low', `gas limit ${d.gasLimit} is below the intrinsic gas ${intrinsic}`, d.hash);
    if (d.gasPrice < this.opts.minGasPrice) return fail('underpriced', `gas price ${d.gasPrice} is below the minimum ${this.opts.minGasPrice}`, d.hash);
    if (!isLowS(d.signature.subarray(0, 64))) return fail('bad-signature', 'signature s is above n/2 (EIP-2)', d.hash);
    if (this.all.has(bytesToHex(d.hash))) return fail('already-known', 'transaction is already in the pool', d.hash);
    return null;
  }

  private async insertRecovered(candidates: PoolTx[], results: (AddResult | null)[], reinjected = false): Promise<void> {
    if (candidates.length === 0) return;
    // Senders read at the current head state need no second read: on a busy node this keeps the
    // executor free for blocks (one read per sender per block instead of one per intake batch).
    await this.refreshAccounts(uniqueSenders(candidates.map((c) => c.sender)), true);
    const writes: Promise<void>[] = [];
    const accepted: PoolTx[] = [];
    for (const c of candidates) {
      const idx = c.seq;
      c.seq = this.seq++;
      const r = this.insertOne(c, reinjected);
      if (!r.ok) this.metrics?.rejected.inc({ reason: r.code });
      results[idx] = r;
      if (r.ok) accepted.push(c);
      if (r.ok && this.store) writes.push(this.store.put({ hash: c.hash, sender: c.sender, seq: c.seq, raw: c.raw }));
    }
    // Accepted means on disk: wait for the batch holding these puts.
    await Promise.all(writes);
    this.metrics?.size.set(this.all.size);
    if (accepted.length) this.emitAdded(accepted);
  }

  private emitAdded(txs: readonly PoolTx[]): void {
    for (const l of this.addedListeners) {
      try {
        l(txs);
      } catch (err) {
        this.logger?.warn({ err: (err as Error)?.stack ?? String(err) }, 'txpool onAdded listener failed');
      }
    }
  }

  /** State checks and insertion; synchronous so no other intake interleaves with one sender's list. */
  private insertOne(tx: PoolTx, reinjected = false): AddResult {
    const reject = (code: RejectCode, reason: string): AddResult => ({ ok: false, hash: tx.hash, code, reason });
    if (this.all.has(tx.hashHex)) return reject('already-known', 'transaction is already in the pool');
    const list = this.senderList(tx.senderHex);
    if (tx.nonce < list.nonce) return reject('nonce-too-low', `nonce ${tx.nonce} is below the account nonce ${list.nonce}`);
    const cost = txCost(tx);
    if (list.balance < cost) return reject('insufficient-funds', `balance ${list.balance} is below gas × price + value = ${cost}`);
    const existing = list.txs.get(tx.nonce);
    if (existing) {
      const minPrice = existing.gasPrice + (existing.gasPrice * BigInt(this.opts.priceBumpPercent)) / 100n;
      if (tx.gasPrice < minPrice || tx.gasPrice === existing.gasPrice)
        return reject(
          'replacement-underpriced',
          `replacing nonce ${tx.nonce} needs a gas price of at least ${minPrice > existing.gasPrice ? minPrice : existing.gasPrice + 1n} (+${this.opts.priceBumpPercent}%), got ${tx.gasPrice}`,
        );
      this.drop(existing, 'replaced');
      this.put(list, tx);
      return { ok: true, hash: tx.hash, sender: tx.sender, replaced: existing.hash };
    }
    // A re-injected transaction may go over the sender limits (see addRecovered), and when the pool
    // is full it evicts another sender's tail on equal price: a sender's next nonce is worth more.
    if (!reinjected) {
      if (tx.nonce >= list.nonce + BigInt(this.opts.maxPerSender))
        return reject('sender-limit', `nonce ${tx.nonce} is ${tx.nonce - list.nonce} ahead of the account nonce ${list.nonce}; at most ${this.opts.maxPerSender} may wait per sender`);
      if (list.txs.size >= this.opts.maxPerSender) return reject('sender-limit', `sender ${tx.senderHex} already has ${list.txs.size} transactions waiting (limit ${this.opts.maxPerSender})`);
    }
    if (this.all.size >= this.opts.maxTotal) {
      const victim = this.cheapestTail(tx.senderHex);
      if (!victim || victim.gasPrice > tx.gasPrice || (victim.gasPrice === tx.gasPrice && !reinjected))
        return reject('pool-full', `pool is full (${this.all.size}) and gas price ${tx.gasPrice} does not beat the cheapest evictable ${victim?.gasPrice ?? 'n/a'}`);
      this.drop(victim, 'evicted');
    }
    this.put(list, tx);
    return { ok: true, hash: tx.hash, sender: tx.sender };
  }

  private put(list: SenderList, tx: PoolTx): void {
    list.txs.set(tx.nonce, tx);
    this.all.set(tx.hashHex, tx);
    this.metrics?.added.inc();
  }

  /**
   * The cheapest transaction that is last in its sender's list (latest on ties), from another sender
   * than the incoming one (evicting its own tail would open a gap before the newcomer).
   */
  private cheapestTail(excludeSender: string): PoolTx | undefined {
    let best: PoolTx | undefined;
    for (const [key, list] of this.senders) {
      if (key === excludeSender) continue;
      let tail: PoolTx | undefined;
      for (const t of list.txs.values()) if (!tail || t.nonce > tail.nonce) tail = t;
      if (tail && (!best || tail.gasPrice < best.gasPrice || (tail.gasPrice === best.gasPrice && tail.seq > best.seq))) best = tail;
    }
    return best;
  }

  private drop(tx: PoolTx, cause: string): void {
    if (!this.all.delete(tx.hashHex)) return;
    const list = this.senders.get(tx.senderHex);
    if (list && list.txs.get(tx.nonce) === tx) list.txs.delete(tx.nonce);
    this.metrics?.removed.inc({ cause });
    if (this.store) this.store.del(tx.hash);
  }

  private senderList(senderHex: string): SenderList {
    let list = this.senders.get(senderHex);
    if (!list) {
      list = { txs: new Map(), nonce: 0n, balance: 0n, version: null };
      this.senders.set(senderHex, list);
    }
    return list;
  }

  /**
   * Drops the lists of senders with no transaction left, except those whose account was read at the
   * current head state (at most `maxTotal` of them): a sender whose transactions a block just
   * included is refreshed by onNewHead in that block's one batched read, and its next transaction
   * then needs no read of its own. Without this every busy sender cost an executor round trip per
   * block on the intake path (one per intake batch that brought a sender back), each waiting behind
   * the block being built. A kept list holds exactly what a read at this state would return; one not
   * touched by the next head goes stale and is dropped then.
   */
  private pruneEmpty(): void {
    const version = this.accounts.stateVersion?.() ?? null;
    let kept = 0;
    for (const [k, l] of this.senders) {
      if (l.txs.size > 0) continue;
      if (version !== null && l.version === version && kept < this.opts.maxTotal) kept++;
      else this.senders.delete(k);
    }
  }

  private async refreshAccounts(all: Uint8Array[], onlyStale = false): Promise<void> {
    const version = this.accounts.stateVersion?.() ?? null;
    const senders = onlyStale && version !== null ? all.filter((s) => this.senders.get(bytesToHex(s))?.version !== version) : all;
    if (onlyStale) {
      this.metrics?.accountReads.inc({ source: 'current' }, all.length - senders.length);
      this.metrics?.accountReads.inc({ source: 'executor' }, senders.length);
    }
    if (senders.length === 0) return;
    const infos: AccountInfo[] = await this.accounts.getAccounts(senders);
    senders.forEach((s, i) => {
      const list = this.senderList(bytesToHex(s));
      const info = infos[i]!;
      list.nonce = info.nonce;
      list.balance = info.balance;
      list.version = version;
      for (const [nonce, tx] of list.txs) if (nonce < info.nonce) this.drop(tx, 'included');
    });
  }

  async onNewHead(touchedSenders: readonly Uint8Array[]): Promise<void> {
    const known = uniqueSenders(touchedSenders).filter((s) => this.senders.has(bytesToHex(s)));
    await this.refreshAccounts(known);
    this.pruneEmpty();
    this.metrics?.size.set(this.all.size);
  }

  /**
   * Transactions the executor refused while building on the current head. Re-reads their senders'
   * accounts first (what the head included leaves as included), then drops only a refused
   * transaction that was next in line: its nonce is the account nonce, so it ran against the right
   * state and still failed (funds, code at the sender...). One with a higher nonce was refused
   * because an earlier transaction of its sender did not make the block (gas left, time budget) or
   * was itself refused: it stays queued, as geth keeps future nonces, instead of leaving a gap that
   * would strand every later transaction of the sender in this producer's pool.
   */
  async dropRejected(hashes: readonly Uint8Array[]): Promise<{ dropped: number; kept: number }> {
    const txs = hashes.map((h) => this.all.get(bytesToHex(h))).filter((t): t is PoolTx => t !== undefined);
    await this.refreshAccounts(uniqueSenders(txs.map((t) => t.sender)));
    let dropped = 0;
    let kept = 0;
    for (const tx of txs) {
      if (!this.all.has(tx.hashHex)) continue;
      if (tx.nonce === this.senders.get(tx.senderHex)?.nonce) {
        this.drop(tx, 'rejected-by-executor');
        dropped++;
      } else kept++;
    }
    this.metrics?.rejectedKept.inc(kept);
    this.pruneEmpty();
    this.metrics?.size.set(this.all.size);
    return { dropped, kept };
  }

  async remove(hashes: readonly Uint8Array[], cause: string): Promise<void> {
    for (const h of hashes) {
      const tx = this.all.get(bytesToHex(h));
      if (tx) this.drop(tx, cause);
    }
    this.pruneEmpty();
    this.metrics?.size.set(this.all.size);
  }

  /** Counts of executable (nonce-contiguous from the account) and waiting transactions. */
  stats(): { pending: number; queued: number; senders: number } {
    let pending = 0;
    for (const list of this.senders.values()) {
      let n = list.nonce;
      while (list.txs.has(n)) {
        pending++;
        n++;
      }
    }
    let senders = 0;
    for (const list of this.senders.values()) if (list.txs.size > 0) senders++;
    return { pending, queued: this.all.size - pending, senders };
  }

  /**
   * Executable transactions in the order a block should try them: repeatedly the highest gas price
   * among each sender's next nonce (earlier arrival on ties). Transactions with a gas limit above
   * `maxGas` are skipped together with the rest of their sender's list.
   */
  *pending(maxGas: bigint = this.opts.blockGasLimit): Generator<PoolTx> {
    const heap = new TxHeap();
    const cursor = new Map<string, bigint>();
    for (const [k, list] of this.senders) {
      const first = list.txs.get(list.nonce);
      if (first) {
        cursor.set(k, list.nonce);
        heap.push(first);
      }
    }
    for (;;) {
      const tx = heap.pop();
      if (!tx) return;
      if (tx.gasLimit > maxGas) continue;
      yield tx;
      const list = this.senders.get(tx.senderHex);
      const nextNonce = cursor.get(tx.senderHex)! + 1n;
      cursor.set(tx.senderHex, nextNonce);
      const next = list?.txs.get(nextNonce);
      if (next) heap.push(next);
    }
  }

  async close(): Promise<void> {
    await this.store?.settle();
  }
}

function uniqueSenders(list: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const s of list) seen.set(bytesToHex(s), s);
  return [...seen.values()];
}

/** Max-heap by gas price, then earliest arrival. */
class TxHeap {
  private readonly items: PoolTx[] = [];

  private better(a: PoolTx, b: PoolTx): boolean {
    return a.gasPrice > b.gasPrice || (a.gasPrice === b.gasPrice && a.seq < b.seq);
  }

  push(tx: PoolTx): void {
    const a = this.items;
    a.push(tx);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): PoolTx | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.better(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.better(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
