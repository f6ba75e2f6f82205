/**
 * Submitting our approved checkpoints to the root chains, and our approved checkpoint-sync records
 * to the staking chain. It listens on committed Delivery blocks: applying a block never touches a
 * root chain, this listener does, after the block is durable. A checkpoint is submitted by its
 * proposer only, to the root chain it was approved for, through that chain's submitter
 * (src/root/submitter.ts in a node); the root chain's NewHeaderBlock comes back through the watcher
 * as the ack. A sync record is submitted by the validator it names as its submitter (the checkpoint
 * proposer when it was approved), to the staking chain's StakeManager through that chain's
 * submitter; StakingInfo's CheckpointSyncAck comes back as its ack.
 *
 * Restart: a checkpoint or sync record of ours approved before the node stopped and not yet acked
 * is submitted again when the listener attaches (the submitter answers `already-submitted` if the
 * chain has it).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, type Counter } from '../../../observability/metrics.ts';
import { checkpointSignBytes } from '../../../protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata, submitCheckpointSyncCalldata } from '../../../protocol/checkpoint/calldata.ts';
import { checkpointSyncSignBytes } from '../../../protocol/checkpoint/checkpoint-sync.ts';
import type { CheckpointSyncSubmission, CheckpointSubmission as SubmitRequest, SubmitOutcome, TallySubmission } from '../../../root/submitter.ts';
import { hexToBytes } from '../../../util/bytes.ts';
import type { Notices } from '../module.ts';
import { CHECKPOINT_APPROVED, CHECKPOINT_SYNC_APPROVED } from './notices.ts';
import type { BufferedCheckpoint, BufferedCheckpointSync } from './state.ts';

/** One configured root chain's checkpoint submitter; the staking chain's also takes sync records. */
export interface CheckpointSubmitterLike {
  submit(cp: SubmitRequest): Promise<SubmitOutcome>;
  submitSync?(rec: CheckpointSyncSubmission): Promise<SubmitOutcome>;
  /** The staking chain's also takes governance tallies (modules/gov/submission.ts). */
  submitTally?(rec: TallySubmission): Promise<SubmitOutcome>;
}

/** What the submission reads from Delivery: the DeliveryApp provides it. */
export interface ApprovedCheckpointSource {
  onCommitted(fn: (c: { notices: Notices }) => void): void;
  readonly queries: {
    readonly checkpoint: {
      readonly stakingChainId: number;
      buffers(): { rootChainId: number; buffer: BufferedCheckpoint }[];
      syncBuffers(): { rootChainId: number; buffer: BufferedCheckpointSync }[];
    };
  };
}

export interface CheckpointSubmissionDeps {
  /** Root chain id → submitter; checkpoints for a chain without one are not submitted by this node. */
  submitters: ReadonlyMap<number, CheckpointSubmitterLike>;
  /** Our signer address; null (a follower) submits nothing. */
  address: string | null;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export class CheckpointSubmission {
  private readonly submitters: ReadonlyMap<number, CheckpointSubmitterLike>;
  private readonly address: string | null;
  private readonly submissions = new Set<Promise<void>>();
  private readonly outcomes: Counter<string> | null;
  private readonly syncOutcomes: Counter<string> | null;
  private readonly logger: Logger | null;
  private stakingChainId: number | null = null;

  constructor(deps: CheckpointSubmissionDeps) {
    this.submitters = deps.submitters;
    this.address = deps.address;
    this.outcomes = deps.metrics ? counter(deps.metrics, 'bttc_delivery_checkpoint_submissions_total', 'Checkpoint submissions started by this node, by outcome', ['root_chain', 'outcome']) : null;
    this.syncOutcomes = deps.metrics
      ? counter(deps.metrics, 'bttc_delivery_checkpoint_sync_submissions_total', 'Checkpoint-sync records this node submitted to the staking chain, by synced root chain and outcome', [
          'root_chain',
          'outcome',
        ])
      : null;
    this.logger = deps.logger ? deps.logger.child({ module: 'checkpoint-submission' }) : null;
  }

  /** Submits what is pending from before (restart), then every checkpoint of ours each committed block approves. */
  attach(app: ApprovedCheckpointSource): void {
    const q = app.queries.checkpoint;
    this.stakingChainId = q.stakingChainId;
    for (const p of q.buffers()) this.submitIfOurs(p.rootChainId, p.buffer);
    for (const p of q.syncBuffers()) this.submitSyncIfOurs(p.rootChainId, p.buffer);
    app.onCommitted((c) => {
      for (const a of c.notices.of(CHECKPOINT_APPROVED)) this.submitIfOurs(a.rootChainId, a.buffer);
      for (const a of c.notices.of(CHECKPOINT_SYNC_APPROVED)) this.submitSyncIfOurs(a.rootChainId, a.buffer);
    });
  }

  /** Resolves once every submission started so far has finished (tests, shutdown). */
  async whenSettled(): Promise<void> {
    while (this.submissions.size > 0) await Promise.all([...this.submissions]);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.submissions.delete(tracked));
    this.submissions.add(tracked);
  }

  /** `rootChainId` is the chain whose checkpoint the record syncs; it goes to the staking chain. */
  private submitSyncIfOurs(rootChainId: number, buffer: BufferedCheckpointSync): void {
    if (this.address === null || buffer.submitter !== this.address || this.stakingChainId === null) return;
    const s = buffer.sync;
    const submitter = this.submitters.get(this.stakingChainId);
    if (!submitter?.submitSync) {
      this.logger?.warn({ rootChainId, number: s.checkpointNumber, stakingChainId: this.stakingChainId }, 'no submitter for the staking chain: checkpoint sync record not submitted');
      return;
    }
    const calldata = submitCheckpointSyncCalldata(
      checkpointSyncSignBytes(s),
      buffer.signatures.map((x) => ({ signer: x.signer, signature: hexToBytes(x.signature) })),
    );
    const ctx = { rootChainId, number: s.checkpointNumber, start: s.start, end: s.end, stakingChainId: this.stakingChainId };
    this.track(
      submitter
        .submitSync({ rootChainId, number: BigInt(s.checkpointNumber), start: BigInt(s.start), end: BigInt(s.end), calldata })
        .then((r) => {
          this.syncOutcomes?.inc({ root_chain: String(rootChainId), outcome: r.outcome });
          this.logger?.info({ ...ctx, outcome: r.outcome }, 'checkpoint sync submission finished');
        })
        .catch((err: unknown) => {
          this.syncOutcomes?.inc({ root_chain: String(rootChainId), outcome: 'error' });
          this.logger?.error({ ...ctx, err: (err as Error).message }, 'checkpoint sync submission threw');
        }),
    );
  }

  private submitIfOurs(rootChainId: number, buffer: BufferedCheckpoint): void {
    if (this.address === null || buffer.checkpoint.proposer !== this.address) return;
    const submitter = this.submitters.get(rootChainId);
    if (!submitter) return;
    const cp = buffer.checkpoint;
    const calldata = submitCheckpointCalldata(
      checkpointSignBytes(cp),
      buffer.signatures.map((x) => ({ signer: x.signer, signature: hexToBytes(x.signature) })),
    );
    const p = submitter
      .submit({ start: BigInt(cp.start), end: BigInt(cp.end), calldata })
      .then((r) => {
        this.outcomes?.inc({ root_chain: String(rootChainId), outcome: r.outcome });
        this.logger?.info({ rootChainId, start: cp.start, end: cp.end, outcome: r.outcome }, 'checkpoint submission finished');
      })
      .catch((err: unknown) => {
        this.outcomes?.inc({ root_chain: String(rootChainId), outcome: 'error' });
        this.logger?.error({ rootChainId, start: cp.start, end: cp.end, err: (err as Error).message }, 'checkpoint submission threw');
      })
      .finally(() => this.submissions.delete(p));
    this.submissions.add(p);
  }
}
