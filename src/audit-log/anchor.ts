/**
 * Anchors every sealed public batch on Bttc: one legacy transaction per batch from the node's signer
 * to AuditAnchor, `anchor(batch, digest)`. Transactions go through the node's own txpool (so the
 * signer's nonce is the pool's next one: whatever else the signer sends through the pool is counted)
 * and are gossiped like any sent transaction. Sends are serialised, so two anchors never pick the
 * same nonce. On every new head the pending anchors are looked up in the chain's tx index; an
 * anchor whose block left the canonical chain is pending again, and one neither mined nor pooled
 * after `resendAfterMs` is sent again with a fresh nonce.
 */
import type { Logger } from 'pino';
import type { Counter, Gauge, Registry } from 'prom-client';
import { counter, gauge } from '../observability/metrics.ts';
import { signLegacyTx } from '../evm/txSign.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import { ANCHOR_GAS_LIMIT, anchorCalldata } from './anchor-contract.ts';
import type { AuditBatch } from './batch.ts';
import type { AnchorState } from './interface.ts';
import type { AuditStore } from './store.ts';

export interface AnchorChain {
  getTxLocation(txHash: Uint8Array): Promise<{ blockHash: Uint8Array; blockNumber: bigint; index: number } | undefined>;
  getCanonicalHash(number: bigint): Promise<Uint8Array | undefined>;
  head(): { number: bigint };
}

export type SendOutcome = { ok: true } | { ok: false; code: string; reason: string };

export interface AnchorerOptions {
  contract: string;
  chainId: number;
  signer: { privateKey: Uint8Array; address: string };
  gasPrice: bigint;
  /** Resend an anchor neither mined nor in our pool after this long (ms, default 60 s). */
  resendAfterMs?: number;
}

export interface AnchorerDeps {
  store: AuditStore;
  chain: AnchorChain;
  /** The signer's next nonce: the pool's pending run, else its account nonce at the head. */
  nextNonce(address: Uint8Array): Promise<bigint>;
  /** Into the local pool and out to peers. */
  send(raw: Uint8Array): Promise<SendOutcome>;
  /** Is the transaction still in our pool? */
  inPool(hash: Uint8Array): boolean;
  clock?: { now(): number };
  metrics?: Registry | null;
  logger?: Logger | null;
}

/** Included anchors younger than this many blocks are re-checked against the canonical chain. */
const REORG_DEPTH = 64n;
/** Batches looked at on start (those sealed but never sent are sent then). */
const START_WINDOW = 4096;

export class AuditAnchorer {
  readonly opts: Required<AnchorerOptions>;
  readonly #deps: AnchorerDeps;
  readonly #clock: { now(): number };
  /** Batches waiting to be sent, in order. */
  readonly #queue: AuditBatch[] = [];
  /** Sent, not (or no longer) in a canonical block. */
  readonly #pending = new Map<number, AnchorState>();
  /** Included recently: re-checked for reorgs. */
  readonly #recent = new Map<number, AnchorState>();
  #latest: AnchorState | null = null;
  #sending: Promise<void> | null = null;
  #checking: Promise<void> | null = null;
  #closed = false;
  readonly #metrics: { sent: Counter<string>; included: Counter<string>; pending: Gauge<string> } | null;

  constructor(opts: AnchorerOptions, deps: AnchorerDeps) {
    this.opts = { resendAfterMs: 60_000, ...opts, contract: opts.contract.toLowerCase() };
    this.#deps = deps;
    this.#clock = deps.clock ?? { now: () => Date.now() };
    const reg = deps.metrics;
    this.#metrics = reg
      ? {
          sent: counter(reg, 'bttc_audit_anchor_txs_total', 'Audit-log anchor transactions sent to Bttc, by outcome', ['outcome']),
          included: counter(reg, 'bttc_audit_anchor_included_total', 'Audit-log anchors seen in a canonical Bttc block'),
          pending: gauge(reg, 'bttc_audit_anchor_pending', 'Audit-log batches sealed but not yet in a canonical Bttc block'),
        }
      : null;
  }

  /** Loads what was sent before a restart and queues sealed batches never sent. */
  async start(): Promise<void> {
    // Only the newest batches matter after a restart: older ones were anchored (or given up on) long ago.
    const head = await this.#deps.store.head('public');
    const from = Math.max(0, (head?.nextBatch ?? 0) - START_WINDOW);
    const tip = this.#deps.chain.head().number;
    const sent = new Set<number>();
    for (const a of await this.#deps.store.listAnchors(from, START_WINDOW)) {
      sent.add(a.batch);
      if (!a.block) this.#pending.set(a.batch, a);
      else if (tip - BigInt(a.block.number) <= REORG_DEPTH) this.#noteIncluded(a);
      else if (!this.#latest || a.batch > this.#latest.batch) this.#latest = a;
    }
    for (const b of await this.#deps.store.listBatches('public', from, START_WINDOW)) if (!sent.has(b.batch)) this.#queue.push(b);
    this.#gauge();
    this.#kick();
  }

  /** A newly sealed batch (AuditLog.onSealed). */
  enqueue(b: AuditBatch): void {
    if (this.#closed) return;
    this.#queue.push(b);
    this.#gauge();
    this.#kick();
  }

  latest(): AnchorState | null {
    return this.#latest;
  }

  pendingCount(): number {
    return this.#pending.size + this.#queue.length;
  }

  #gauge(): void {
    this.#metrics?.pending.set(this.pendingCount());
  }

  #noteIncluded(a: AnchorState): void {
    if (!this.#latest || a.batch > this.#latest.batch) this.#latest = a;
    this.#recent.set(a.batch, a);
  }

  #kick(): void {
    this.#sending ??= this.#sendQueued()
      .catch((err: unknown) => this.#deps.logger?.error({ err: (err as Error).message }, 'audit anchor: sending failed'))
      .finally(() => {
        this.#sending = null;
      });
  }

  async #sendQueued(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const b = this.#queue[0]!;
      const a = await this.#send(b.batch, b.digest);
      if (!a) return; // refused: retried on the next head
      this.#queue.shift();
    }
  }

  async #send(batch: number, digest: string): Promise<AnchorState | null> {
    const { signer, chainId, contract, gasPrice } = this.opts;
    const nonce = await this.#deps.nextNonce(hexToBytes(signer.address));
    const raw = signLegacyTx({ nonce, gasPrice, gasLimit: ANCHOR_GAS_LIMIT, to: hexToBytes(contract), data: hexToBytes(anchorCalldata(batch, digest)) }, chainId, signer.privateKey);
    const res = await this.#deps.send(raw);
    if (!res.ok && res.code !== 'already-known') {
      this.#metrics?.sent.inc({ outcome: res.code });
      this.#deps.logger?.warn({ batch, nonce: nonce.toString(), code: res.code, reason: res.reason }, 'audit anchor: the pool refused the anchor transaction');
      return null;
    }
    this.#metrics?.sent.inc({ outcome: 'sent' });
    const a: AnchorState = { batch, digest, txHash: bytesToHex(keccak256(raw)), nonce: nonce.toString(), sentAt: this.#clock.now(), block: null };
    await this.#deps.store.anchors.put(batch, a);
    this.#pending.set(batch, a);
    this.#recent.delete(batch);
    this.#gauge();
    return a;
  }

  /** After a new head: inclusion, reorgs, resends. Overlapping calls share one run. */
  onHead(): Promise<void> {
    this.#checking ??= this.#check()
      .catch((err: unknown) => this.#deps.logger?.error({ err: (err as Error).message }, 'audit anchor: checking inclusion failed'))
      .finally(() => {
        this.#checking = null;
      });
    return this.#checking;
  }

  async #check(): Promise<void> {
    const { chain, store } = this.#deps;
    const head = chain.head().number;
    for (const a of [...this.#recent.values()]) {
      if (!a.block) continue;
      const canon = await chain.getCanonicalHash(BigInt(a.block.number));
      if (canon && bytesToHex(canon) === a.block.hash) {
        if (head - BigInt(a.block.number) > REORG_DEPTH) this.#recent.delete(a.batch);
        continue;
      }
      // its block left the canonical chain: pending again (the tx is likely back in the pool)
      const again: AnchorState = { ...a, block: null };
      await store.anchors.put(a.batch, again);
      this.#recent.delete(a.batch);
      this.#pending.set(a.batch, again);
      if (this.#latest?.batch === a.batch) this.#latest = [...this.#recent.values()].reduce<AnchorState | null>((m, x) => (!m || x.batch > m.batch ? x : m), null);
    }
    for (const a of [...this.#pending.values()]) {
      const loc = await chain.getTxLocation(hexToBytes(a.txHash));
      const canon = loc ? await chain.getCanonicalHash(loc.blockNumber) : undefined;
      if (loc && canon && bytesToHex(canon) === bytesToHex(loc.blockHash)) {
        const done: AnchorState = { ...a, block: { number: Number(loc.blockNumber), hash: bytesToHex(loc.blockHash), txIndex: loc.index } };
        await store.anchors.put(a.batch, done);
        this.#pending.delete(a.batch);
        this.#noteIncluded(done);
        this.#metrics?.included.inc();
      } else if (this.#clock.now() - a.sentAt > this.opts.resendAfterMs && !this.#deps.inPool(hexToBytes(a.txHash))) {
        this.#deps.logger?.warn({ batch: a.batch, tx: a.txHash }, 'audit anchor: not mined and no longer pooled; sending it again');
        this.#pending.delete(a.batch);
        const re = await this.#send(a.batch, a.digest);
        if (!re) this.#pending.set(a.batch, { ...a, sentAt: this.#clock.now() });
      }
    }
    this.#gauge();
    if (this.#queue.length) this.#kick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#sending;
    await this.#checking;
  }
}
