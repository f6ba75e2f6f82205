/**
 * The append-only, hash-chained event log. `append` is synchronous and cheap: it checks the record,
 * gives it the next seq of its stream and encodes its body (record.ts). Sealing takes the pending
 * records of a stream in order, has the hash pool chain-hash them, digest and sign the batch
 * (batch.ts), and writes records, batch and stream head in one LevelDB batch. Seals run one at a
 * time (each batch links to the one before it): every `batchIntervalMs`, when `batchMaxRecords` are
 * pending, on `flush()` and on `close()`. Records appended but not yet sealed when the process dies
 * are lost; they were never signed, so nothing verifiable is lost with them.
 *
 * The private stream (peer addresses, local errors) has its own chain and batches, is never
 * anchored or exported, and keeps its sealed batches for `privateRetentionMs`; each public batch
 * commits to the private stream's head hash, so pruning is visible but private content is not.
 */
import type { Logger } from 'pino';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchOp } from '../db/interface.ts';
import { counter, gauge, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import { packSealTask, unpackSealResult, type AuditBatch } from './batch.ts';
import type { AuditBatchSealer, AuditWriter } from './interface.ts';
import { checkRecordInput, encodeRecordBody, recordBody, STREAM_ID, ZERO_HASH, type AuditStream, type RecordBody, type RecordInput } from './record.ts';
import type { AuditStore, StreamHead } from './store.ts';

export interface AuditLogOptions {
  /** Bttc chain id: part of every batch digest, so a digest cannot be replayed on another network. */
  chainId: number;
  signer: { privateKey: Uint8Array; address: string };
  /** A stream seals as soon as this many records are pending (default 1024). */
  batchMaxRecords?: number;
  /** Pending records are sealed at least this often, ms (default 5000; 0: only on flush/close/full). */
  batchIntervalMs?: number;
  /** Sealed private batches older than this are deleted, ms. */
  privateRetentionMs: number;
}

export interface AuditLogDeps {
  store: AuditStore;
  sealer: AuditBatchSealer;
  clock?: { now(): number };
  metrics?: Registry | null;
  logger?: Logger | null;
}

interface Pending {
  body: RecordBody;
  bytes: Uint8Array;
}

interface StreamState {
  head: StreamHead;
  /** Seq the next append gets (head.nextSeq + pending). */
  nextSeq: number;
  pending: Pending[];
}

/** Prune at most this many private batches per seal, so one seal never turns into a long delete. */
const PRUNE_BATCHES_PER_SEAL = 16;

function freshHead(): StreamHead {
  return { nextSeq: 0, nextBatch: 0, lastHash: ZERO_HASH, lastDigest: ZERO_HASH, firstSeq: 0, firstBatch: 0 };
}

export class AuditLog implements AuditWriter {
  readonly opts: Required<AuditLogOptions>;
  readonly store: AuditStore;
  readonly #sealer: AuditBatchSealer;
  readonly #clock: { now(): number };
  readonly #logger: Logger | null;
  readonly #streams: Record<AuditStream, StreamState>;
  readonly #listeners: ((b: AuditBatch) => void)[] = [];
  readonly #metrics: { records: Counter<string>; batches: Counter<string>; seal: Histogram<string>; sealCpu: Counter<string>; pending: Gauge<string>; pruned: Counter<string> } | null;
  /** Appended records not yet added to the records counter, by `stream\0type`. */
  readonly #unreported = new Map<string, number>();
  #sealing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #broken: Error | null = null;

  private constructor(opts: AuditLogOptions, deps: AuditLogDeps, heads: Record<AuditStream, StreamHead>) {
    this.opts = { batchMaxRecords: 1024, batchIntervalMs: 5000, ...opts };
    if (!Number.isInteger(this.opts.batchMaxRecords) || this.opts.batchMaxRecords < 1) throw new RangeError(`audit log: batchMaxRecords must be an integer >= 1, got ${this.opts.batchMaxRecords}`);
    this.store = deps.store;
    this.#sealer = deps.sealer;
    this.#clock = deps.clock ?? { now: () => Date.now() };
    this.#logger = deps.logger ?? null;
    this.#streams = {
      public: { head: heads.public, nextSeq: heads.public.nextSeq, pending: [] },
      private: { head: heads.private, nextSeq: heads.private.nextSeq, pending: [] },
    };
    const reg = deps.metrics;
    this.#metrics = reg
      ? {
          records: counter(reg, 'bttc_audit_log_records_total', 'Audit-log records appended, by stream and type', ['stream', 'type']),
          batches: counter(reg, 'bttc_audit_log_batches_total', 'Audit-log batches sealed (hash-chained and signed in the hash pool), by stream', ['stream']),
          seal: histogram(reg, 'bttc_audit_log_seal_seconds', 'Time to seal one audit-log batch: hash pool plus the LevelDB write', SECONDS_BUCKETS),
          sealCpu: counter(
            reg,
            'bttc_audit_log_seal_main_cpu_seconds_total',
            'Main-thread CPU spent sealing audit-log batches (packing, building the writes); the worker\'s is bttc_hash_pool_worker_cpu_seconds_total{op="audit-batch"}',
          ),
          pending: gauge(reg, 'bttc_audit_log_pending_records', 'Audit-log records appended but not sealed yet, by stream', ['stream']),
          pruned: counter(reg, 'bttc_audit_log_private_pruned_records_total', 'Private audit-log records deleted by the retention rule'),
        }
      : null;
    if (this.opts.batchIntervalMs > 0) {
      this.#timer = setInterval(() => void this.flush().catch((err: unknown) => this.#logger?.error({ err: (err as Error).message }, 'audit log: sealing failed')), this.opts.batchIntervalMs);
      this.#timer.unref();
    }
  }

  static async open(opts: AuditLogOptions, deps: AuditLogDeps): Promise<AuditLog> {
    const [pub, priv] = await Promise.all([deps.store.head('public'), deps.store.head('private')]);
    return new AuditLog(opts, deps, { public: pub ?? freshHead(), private: priv ?? freshHead() });
  }

  get signer(): string {
    return this.opts.signer.address;
  }

  head(stream: AuditStream): Readonly<StreamHead> {
    return this.#streams[stream].head;
  }

  pendingCount(stream: AuditStream): number {
    return this.#streams[stream].pending.length;
  }

  append(input: RecordInput, stream: AuditStream = 'public'): number {
    if (this.#closed) throw new Error('audit log is closed');
    checkRecordInput(input);
    const s = this.#streams[stream];
    const body = recordBody({ ...input, seq: s.nextSeq, time: input.time ?? this.#clock.now() });
    const bytes = encodeRecordBody(body);
    s.nextSeq++;
    s.pending.push({ body, bytes });
    // counted here, reported to prom-client when the batch seals (≤ batchIntervalMs later): a
    // labelled inc per record was a tenth of append's cost
    const k = `${stream}\0${input.type}`;
    this.#unreported.set(k, (this.#unreported.get(k) ?? 0) + 1);
    if (s.pending.length === this.opts.batchMaxRecords) void this.flush().catch((err: unknown) => this.#logger?.error({ err: (err as Error).message }, 'audit log: sealing failed'));
    return body.seq;
  }

  /** Called with every sealed public batch (the anchorer sends it to Bttc). */
  onSealed(fn: (b: AuditBatch) => void): void {
    this.#listeners.push(fn);
  }

  /** Seals everything pending (private first, so the public batch commits to its head). */
  flush(): Promise<void> {
    const run = this.#sealing.then(async () => {
      await this.#sealAll('private');
      await this.#sealAll('public');
    });
    this.#sealing = run.catch(() => undefined);
    return run;
  }

  /**
   * Seals batch after batch; the hash pool works on batch k+1 while batch k is written to LevelDB
   * (writes stay in order). A failed write leaves the log broken: nothing more is sealed on top of
   * a batch that is not on disk.
   */
  async #sealAll(stream: AuditStream): Promise<void> {
    const s = this.#streams[stream];
    let write: Promise<void> = Promise.resolve();
    try {
      while (s.pending.length > 0) {
        if (this.#broken) throw this.#broken;
        const sealed = await this.#seal(stream, s);
        write = write.then(() => this.#write(stream, sealed));
        write.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      }
    } finally {
      await write;
    }
  }

  #reportAppends(): void {
    if (!this.#metrics) return;
    for (const [k, n] of this.#unreported) {
      const [stream, type] = k.split('\0') as [string, string];
      this.#metrics.records.inc({ stream, type }, n);
    }
    this.#unreported.clear();
    for (const stream of ['public', 'private'] as const) this.#metrics.pending.set({ stream }, this.#streams[stream].pending.length);
  }

  async #seal(stream: AuditStream, s: StreamState): Promise<{ ops: BatchOp[]; batch: AuditBatch; t0: number }> {
    const t0 = performance.now();
    this.#reportAppends();
    const take = s.pending.slice(0, this.opts.batchMaxRecords);
    const head = s.head;
    const header = {
      chainId: this.opts.chainId,
      stream,
      batch: head.nextBatch,
      firstSeq: take[0]!.body.seq,
      lastSeq: take[take.length - 1]!.body.seq,
      prevDigest: head.lastDigest,
    };
    const privateHead = stream === 'public' ? this.#streams.private.head.lastHash : ZERO_HASH;
    const prevHash = hexToBytes(head.lastHash);
    let cpu = process.threadCpuUsage();
    const packed = packSealTask({ prevHash, secretKey: this.opts.signer.privateKey, privateHead: hexToBytes(privateHead), header, bodies: take.map((p) => p.bytes) });
    const task = this.#sealer.auditBatch(packed);
    let used = process.threadCpuUsage(cpu);
    const prepMicros = used.user + used.system;
    const res = unpackSealResult(await task, take.length);
    cpu = process.threadCpuUsage();
    const now = this.#clock.now();
    const sid = STREAM_ID[stream];
    const ops = this.store.recordPutOps(
      stream,
      header.firstSeq,
      prevHash,
      res.hashes,
      take.map((p) => p.bytes),
    );
    const batch: AuditBatch = {
      ...header,
      lastHash: bytesToHex(res.hashes.subarray(res.hashes.length - 32)),
      privateHead,
      prevHash: head.lastHash,
      time: now,
      signer: this.opts.signer.address,
      digest: bytesToHex(res.digest),
      signature: bytesToHex(res.signature),
    };
    ops.push(this.store.batches.putOp([sid, batch.batch], batch));
    const next: StreamHead = { ...head, nextSeq: batch.lastSeq + 1, nextBatch: batch.batch + 1, lastHash: batch.lastHash, lastDigest: batch.digest };
    // synchronous parts only: an await lets other work run on this thread
    used = process.threadCpuUsage(cpu);
    this.#metrics?.sealCpu.inc((used.user + used.system + prepMicros) / 1e6);
    if (stream === 'private') await this.#pruneOps(next, now, ops);
    ops.push(this.store.headOp(stream, next));
    // the next batch links to this one from now on, whether or not its write has finished
    s.head = next;
    s.pending.splice(0, take.length);
    return { ops, batch, t0 };
  }

  async #write(stream: AuditStream, sealed: { ops: BatchOp[]; batch: AuditBatch; t0: number }): Promise<void> {
    try {
      await this.store.db.batch(sealed.ops);
    } catch (err) {
      this.#broken ??= new Error(`audit log: writing ${stream} batch ${sealed.batch.batch} failed, nothing more is sealed: ${(err as Error).message}`);
      throw this.#broken;
    }
    this.#metrics?.pending.set({ stream }, this.#streams[stream].pending.length);
    this.#metrics?.batches.inc({ stream });
    this.#metrics?.seal.observe((performance.now() - sealed.t0) / 1000);
    if (stream === 'public') for (const l of this.#listeners) l(sealed.batch);
  }

  /** Deletes private batches sealed before the retention cutoff (never the newest one). */
  async #pruneOps(next: StreamHead, now: number, ops: BatchOp[]): Promise<void> {
    const cutoff = now - this.opts.privateRetentionMs;
    let pruned = 0;
    for (const b of await this.store.listBatches('private', next.firstBatch, PRUNE_BATCHES_PER_SEAL)) {
      if (b.time >= cutoff || b.batch >= next.nextBatch - 1) break;
      for (let seq = b.firstSeq; seq <= b.lastSeq; seq++) ops.push(this.store.records.delOp([STREAM_ID.private, seq]));
      ops.push(this.store.batches.delOp([STREAM_ID.private, b.batch]));
      next.firstBatch = b.batch + 1;
      next.firstSeq = b.lastSeq + 1;
      pruned += b.lastSeq - b.firstSeq + 1;
    }
    if (pruned) this.#metrics?.pruned.inc(pruned);
  }

  /** Seals what is pending and stops the timer; appends after this throw. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#closed) return this.#sealing;
    await this.flush();
    this.#closed = true;
  }
}
