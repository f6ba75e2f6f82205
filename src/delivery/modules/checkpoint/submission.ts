/**
 * Submitting our approved checkpoints to the root chains. It listens on committed Delivery blocks:
 * applying a block never touches a root chain, this listener does, after the block is durable. A
 * checkpoint is submitted by its proposer only, to the root chain it was approved for, through that
 * chain's submitter (src/root/submitter.ts in a node); the root chain's NewHeaderBlock comes back
 * through the watcher as the ack.
 *
 * Restart: a checkpoint of ours approved before the node stopped and not yet acked is submitted
 * again when the listener attaches (the submitter answers `already-submitted` if the chain has it).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, type Counter } from '../../../observability/metrics.ts';
import { checkpointSignBytes } from '../../../protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata } from '../../../protocol/checkpoint/calldata.ts';
import type { CheckpointSubmission as SubmitRequest, SubmitOutcome } from '../../../root/submitter.ts';
import { hexToBytes } from '../../../util/bytes.ts';
import type { Notices } from '../module.ts';
import { CHECKPOINT_APPROVED } from './notices.ts';
import type { BufferedCheckpoint } from './state.ts';

/** One configured root chain's checkpoint submitter. */
export interface CheckpointSubmitterLike {
  submit(cp: SubmitRequest): Promise<SubmitOutcome>;
}

/** What the submission reads from Delivery: the DeliveryApp provides it. */
export interface ApprovedCheckpointSource {
  onCommitted(fn: (c: { notices: Notices }) => void): void;
  readonly queries: { readonly checkpoint: { buffers(): { rootChainId: number; buffer: BufferedCheckpoint }[] } };
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
  private readonly logger: Logger | null;

  constructor(deps: CheckpointSubmissionDeps) {
    this.submitters = deps.submitters;
    this.address = deps.address;
    this.outcomes = deps.metrics ? counter(deps.metrics, 'bttc_delivery_checkpoint_submissions_total', 'Checkpoint submissions started by this node, by outcome', ['root_chain', 'outcome']) : null;
    this.logger = deps.logger ? deps.logger.child({ module: 'checkpoint-submission' }) : null;
  }

  /** Submits what is pending from before (restart), then every checkpoint of ours each committed block approves. */
  attach(app: ApprovedCheckpointSource): void {
    for (const p of app.queries.checkpoint.buffers()) this.submitIfOurs(p.rootChainId, p.buffer);
    app.onCommitted((c) => {
      for (const a of c.notices.of(CHECKPOINT_APPROVED)) this.submitIfOurs(a.rootChainId, a.buffer);
    });
  }

  /** Resolves once every submission started so far has finished (tests, shutdown). */
  async whenSettled(): Promise<void> {
    while (this.submissions.size > 0) await Promise.all([...this.submissions]);
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
