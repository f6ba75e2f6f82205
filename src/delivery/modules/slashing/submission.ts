/**
 * Submits signed slash batches to the staking chain's SlashingManager. It listens on committed
 * Delivery blocks (applying a block never touches a root chain): the validator named as the batch's
 * proposer sends it through an injected sender; the others only log. The sender answers
 * `already-submitted` when the SlashingManager's nonce has passed the batch (a replay is refused on
 * chain anyway), so a retry after a restart is harmless.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter } from '../../../observability/metrics.ts';
import { decodeSlashBatch } from '../../../slashing/batch.ts';
import { hexToBytes } from '../../../util/bytes.ts';
import type { Notices } from '../module.ts';
import { SLASH_BATCH_SIGNED } from './notices.ts';
import type { SignedBatch } from './state.ts';

export type SlashSendOutcome = { outcome: 'submitted'; txHash: string; gasUsed: bigint } | { outcome: 'already-submitted' } | { outcome: 'failed'; reason: string };

export interface SlashBatchSender {
  send(batch: SignedBatch): Promise<SlashSendOutcome>;
}

export class SlashBatchSubmission {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes;
  private readonly opts: { address: string | null };
  private readonly deps: { sender: SlashBatchSender; metrics?: Registry | null; logger?: Logger | null };

  constructor(opts: { address: string | null }, deps: { sender: SlashBatchSender; metrics?: Registry | null; logger?: Logger | null }) {
    this.opts = opts;
    this.deps = deps;
    this.outcomes = deps.metrics ? counter(deps.metrics, 'bttc_slash_batch_submit_outcomes_total', 'Slash batch submissions to the SlashingManager by outcome', ['outcome']) : null;
  }

  attach(app: { onCommitted(fn: (c: { notices: Notices }) => void): void }): void {
    app.onCommitted((c) => {
      for (const b of c.notices.of(SLASH_BATCH_SIGNED)) this.submit(b);
    });
  }

  submit(batch: SignedBatch): void {
    const proposer = decodeSlashBatch(hexToBytes(batch.data)).proposer;
    if (this.opts.address === null || proposer !== this.opts.address) return;
    const p = this.deps.sender
      .send(batch)
      .then((out) => {
        this.outcomes?.inc({ outcome: out.outcome });
        const ctx = { event: 'slash-batch-submit', nonce: batch.nonce, evidenceHashes: batch.ids, outcome: out.outcome };
        if (out.outcome === 'failed') this.deps.logger?.warn({ ...ctx, reason: out.reason }, 'slash batch submission failed');
        else this.deps.logger?.info({ ...ctx, ...(out.outcome === 'submitted' ? { txHash: out.txHash, gasUsed: out.gasUsed.toString() } : {}) }, 'slash batch submitted');
      })
      .catch((err: unknown) => this.deps.logger?.warn({ nonce: batch.nonce, err: (err as Error).message }, 'slash batch submission failed'))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async whenSettled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
