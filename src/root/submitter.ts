/**
 * Submits approved work to one root chain: a checkpoint to its RootChain, or (on the staking chain)
 * a checkpoint-sync record to its StakeManager. Either way it checks whether the chain already has
 * it, estimates gas, sends, waits for the receipt, and on a timeout re-sends with a bumped fee (same
 * nonce on EVM chains, so the new transaction replaces the old). Stops as soon as the chain has it,
 * whoever submitted it. Every outcome is logged with the checkpoint's start/end (and for a sync
 * record its root chain and number) and tx hash.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { counter, gauge, histogram } from '../observability/metrics.ts';
import type { RootChainClient, RootReceipt, RootTxTarget } from './interface.ts';

export interface SubmitterOptions {
  /** How long to wait for a receipt before re-sending with a higher fee. */
  receiptTimeoutMs?: number;
  receiptPollMs?: number;
  /** Sends at most this many transactions per checkpoint (first + bumps). */
  maxAttempts?: number;
  /** Fee increase per retry, percent (geth needs ≥ 10 to accept a replacement). */
  feeBumpPercent?: number;
  /** Gas limit = estimate × (100 + margin) / 100. */
  gasMarginPercent?: number;
  /** Upper bound of the gas price (wei); the bump never goes above it. */
  maxGasPrice?: bigint;
}

export interface CheckpointSubmission {
  start: bigint;
  end: bigint;
  /** submitCheckpoint(bytes, uint256[3][]) calldata, from the protocol core. */
  calldata: Uint8Array;
}

/** A checkpoint-sync record for the staking chain's StakeManager (spec §4). */
export interface CheckpointSyncSubmission {
  /** The root chain whose checkpoint it records (2 Ethereum, 3 BSC) and its checkpoint number there. */
  rootChainId: number;
  number: bigint;
  start: bigint;
  end: bigint;
  /** submitCheckpointSync(bytes, uint256[3][]) calldata, from the protocol core. */
  calldata: Uint8Array;
}

/** One transaction to land: where it goes, what it carries, how to tell the chain already has it. */
interface Job {
  to: RootTxTarget;
  calldata: Uint8Array;
  /** Log fields naming it. */
  ctx: Record<string, string>;
  done(): Promise<boolean>;
}

/** A governance tally for the staking chain's Governor (issue 18). */
export interface TallySubmission {
  proposalId: string;
  /** submitTally(bytes, uint256[3][]) calldata (src/gov/tally-data.ts). */
  calldata: Uint8Array;
  /** True once the Governor holds a tally for the proposal (ours or anyone's). */
  anchored(): Promise<boolean>;
}

export type SubmitOutcome =
  | { outcome: 'submitted'; txHash: string; attempts: number; gasUsed: bigint; blockNumber: number }
  | { outcome: 'already-submitted'; txHash?: string; attempts: number }
  | { outcome: 'failed'; reason: string; txHash?: string; attempts: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CheckpointSubmitter {
  private readonly opts: Required<Omit<SubmitterOptions, 'maxGasPrice'>> & { maxGasPrice: bigint | null };
  private readonly client: RootChainClient;
  private readonly logger: Logger;
  private readonly m: {
    outcomes: ReturnType<typeof counter>;
    txs: ReturnType<typeof counter>;
    seconds: ReturnType<typeof histogram>;
    lastEnd: ReturnType<typeof gauge>;
    syncOutcomes: ReturnType<typeof counter>;
    syncTxs: ReturnType<typeof counter>;
    lastSynced: ReturnType<typeof gauge>;
  } | null;

  constructor(opts: SubmitterOptions, deps: { client: RootChainClient; logger?: Logger; metrics?: Registry | null }) {
    this.opts = {
      receiptTimeoutMs: opts.receiptTimeoutMs ?? 60_000,
      receiptPollMs: opts.receiptPollMs ?? 1000,
      maxAttempts: opts.maxAttempts ?? 5,
      feeBumpPercent: opts.feeBumpPercent ?? 15,
      gasMarginPercent: opts.gasMarginPercent ?? 20,
      maxGasPrice: opts.maxGasPrice ?? null,
    };
    this.client = deps.client;
    this.logger = (deps.logger ?? silentLogger()).child({ module: 'checkpoint-submitter', rootChainId: deps.client.rootChainId });
    const reg = deps.metrics;
    this.m = reg
      ? {
          outcomes: counter(reg, 'bttc_checkpoint_submit_outcomes_total', 'Checkpoint submissions by outcome', ['root_chain', 'outcome']),
          txs: counter(reg, 'bttc_checkpoint_submit_transactions_total', 'Checkpoint transactions sent (including fee bumps)', ['root_chain']),
          seconds: histogram(reg, 'bttc_checkpoint_submit_seconds', 'Time from submit() to its outcome', [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600], ['root_chain']),
          lastEnd: gauge(reg, 'bttc_checkpoint_submitted_end_block', 'End block of the last checkpoint this node submitted', ['root_chain']),
          syncOutcomes: counter(reg, 'bttc_checkpoint_sync_submit_outcomes_total', 'Checkpoint-sync record submissions to the staking chain by outcome', ['root_chain', 'synced_chain', 'outcome']),
          syncTxs: counter(reg, 'bttc_checkpoint_sync_submit_transactions_total', 'Checkpoint-sync transactions sent (including fee bumps)', ['root_chain']),
          lastSynced: gauge(reg, 'bttc_checkpoint_sync_submitted_number', 'Checkpoint number of the last sync record this node submitted, per synced root chain', ['root_chain', 'synced_chain']),
        }
      : null;
  }

  /** True when the root chain's last checkpoint already covers `end`. */
  async alreadySubmitted(end: bigint): Promise<boolean> {
    if ((await this.client.currentHeaderBlock()) === 0n) return false;
    return (await this.client.lastChildBlock()) >= end;
  }

  /** True when the staking chain's StakeManager has synced `number` (or a later one) of `rootChainId`. */
  async alreadySynced(rootChainId: number, number: bigint): Promise<boolean> {
    return (await this.client.syncedCheckpoint(rootChainId)) >= number;
  }

  async submit(cp: CheckpointSubmission): Promise<SubmitOutcome> {
    const t0 = performance.now();
    const ctx = { start: cp.start.toString(), end: cp.end.toString() };
    const out = await this.run({ to: 'rootChain', calldata: cp.calldata, ctx, done: () => this.alreadySubmitted(cp.end) }, () => this.m?.txs.inc({ root_chain: String(this.client.rootChainId) }));
    const label = { root_chain: String(this.client.rootChainId) };
    this.m?.outcomes.inc({ ...label, outcome: out.outcome });
    this.m?.seconds.observe(label, (performance.now() - t0) / 1000);
    if (out.outcome === 'submitted') this.m?.lastEnd.set(label, Number(cp.end));
    this.report(out, ctx, 'checkpoint submitted', 'checkpoint already on the root chain; not submitting', 'checkpoint submission failed');
    return out;
  }

  /**
   * Submits a checkpoint-sync record to this (the staking) chain's StakeManager. "Already submitted"
   * when the StakeManager has synced that number: records are numbered per root chain and taken once.
   */
  async submitSync(rec: CheckpointSyncSubmission): Promise<SubmitOutcome> {
    const ctx = { syncedChain: String(rec.rootChainId), number: rec.number.toString(), start: rec.start.toString(), end: rec.end.toString() };
    const out = await this.run({ to: 'stakeManager', calldata: rec.calldata, ctx, done: () => this.alreadySynced(rec.rootChainId, rec.number) }, () =>
      this.m?.syncTxs.inc({ root_chain: String(this.client.rootChainId) }),
    );
    const label = { root_chain: String(this.client.rootChainId), synced_chain: String(rec.rootChainId) };
    this.m?.syncOutcomes.inc({ ...label, outcome: out.outcome });
    if (out.outcome === 'submitted') this.m?.lastSynced.set(label, Number(rec.number));
    this.report(out, ctx, 'checkpoint sync submitted', 'checkpoint sync already on the staking chain; not submitting', 'checkpoint sync submission failed');
    return out;
  }

  /** Submits a tally to this (the staking) chain's Governor; "already submitted" once it holds one for the proposal. */
  async submitTally(rec: TallySubmission): Promise<SubmitOutcome> {
    const ctx = { proposalId: rec.proposalId };
    const out = await this.run({ to: 'governor', calldata: rec.calldata, ctx, done: () => rec.anchored() }, () => undefined);
    this.report(out, ctx, 'governance tally submitted', 'governance tally already on the Governor; not submitting', 'governance tally submission failed');
    return out;
  }

  private report(out: SubmitOutcome, fields: Record<string, string>, submitted: string, already: string, failed: string): void {
    const ctx = { ...fields, txHash: out.txHash, attempts: out.attempts };
    if (out.outcome === 'submitted') this.logger.info({ ...ctx, gasUsed: out.gasUsed.toString(), blockNumber: out.blockNumber }, submitted);
    else if (out.outcome === 'already-submitted') this.logger.info(ctx, already);
    else this.logger.warn({ ...ctx, reason: out.reason }, failed);
  }

  private async run(job: Job, sentOne: () => void): Promise<SubmitOutcome> {
    if (await job.done()) return { outcome: 'already-submitted', attempts: 0 };
    let gas: bigint;
    try {
      gas = await this.client.estimateCheckpointGas(job.calldata, job.to);
    } catch (err) {
      // A revert at estimation is usually someone else's transaction landing first.
      if (await job.done()) return { outcome: 'already-submitted', attempts: 0 };
      return { outcome: 'failed', reason: `gas estimation: ${errMessage(err)}`, attempts: 0 };
    }
    const gasLimit = (gas * BigInt(100 + this.opts.gasMarginPercent)) / 100n;
    let gasPrice = await this.client.gasPrice();
    let nonce: number | undefined;
    const sent: string[] = [];
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      try {
        const tx = await this.client.sendCheckpoint(job.calldata, { gasLimit, gasPrice, nonce, ...(job.to === 'rootChain' ? {} : { to: job.to }) });
        nonce = tx.nonce;
        sent.push(tx.txHash);
        sentOne();
        this.logger.info({ ...job.ctx, to: job.to, txHash: tx.txHash, attempt, gasLimit: gasLimit.toString(), gasPrice: gasPrice.toString() }, 'checkpoint transaction sent');
      } catch (err) {
        // "nonce too low" / "already known": an earlier attempt (or another tx) used the nonce.
        this.logger.warn({ ...job.ctx, to: job.to, attempt, err: errMessage(err) }, 'checkpoint send failed');
      }
      const receipt = await this.waitAny(sent);
      if (receipt) {
        if (receipt.status === 'success') return { outcome: 'submitted', txHash: receipt.txHash, attempts: attempt, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
        if (await job.done()) return { outcome: 'already-submitted', txHash: receipt.txHash, attempts: attempt };
        return { outcome: 'failed', reason: 'transaction reverted', txHash: receipt.txHash, attempts: attempt };
      }
      if (await job.done()) return { outcome: 'already-submitted', txHash: sent.at(-1), attempts: attempt };
      const bumped = (gasPrice * BigInt(100 + this.opts.feeBumpPercent)) / 100n;
      gasPrice = bumped > gasPrice ? bumped : gasPrice + 1n;
      if (this.opts.maxGasPrice !== null && gasPrice > this.opts.maxGasPrice) gasPrice = this.opts.maxGasPrice;
    }
    return { outcome: 'failed', reason: `no receipt after ${this.opts.maxAttempts} attempts`, txHash: sent.at(-1), attempts: this.opts.maxAttempts };
  }

  /** Polls every hash sent so far (a replaced tx may still be the one mined) until the timeout. */
  private async waitAny(hashes: string[]): Promise<RootReceipt | null> {
    if (hashes.length === 0) return null;
    const deadline = Date.now() + this.opts.receiptTimeoutMs;
    for (;;) {
      for (const h of hashes) {
        try {
          const r = await this.client.getReceipt(h);
          if (r) return r;
        } catch (err) {
          this.logger.debug({ txHash: h, err: errMessage(err) }, 'receipt poll failed');
        }
      }
      if (Date.now() >= deadline) return null;
      await sleep(Math.min(this.opts.receiptPollMs, Math.max(0, deadline - Date.now())));
    }
  }
}

function errMessage(err: unknown): string {
  const e = err as { shortMessage?: string; reason?: string; message?: string };
  return e.reason ?? e.shortMessage ?? e.message ?? String(err);
}
