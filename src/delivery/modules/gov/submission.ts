/**
 * Submitting approved tallies to the staking chain's Governor (`submitTally(data, sigs)`), as
 * checkpoint/submission.ts submits checkpoints: it listens on committed Delivery blocks (applying a
 * block never touches a root chain). The tally's submitter (the Delivery proposer when it was
 * approved) sends it; the Governor's TallyAnchored comes back through the watcher. On attach (a
 * restart) every approved tally of ours not yet anchored in Delivery is submitted again (the
 * submitter answers `already-submitted` when the Governor holds it).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { submitTallyCalldata, decodeTallyRecord } from '../../../gov/tally-data.ts';
import { counter, type Counter } from '../../../observability/metrics.ts';
import type { SubmitOutcome, TallySubmission } from '../../../root/submitter.ts';
import { hexToBytes } from '../../../util/bytes.ts';
import type { Notices } from '../module.ts';
import { GOV_TALLY_APPROVED } from './notices.ts';
import type { StoredTally } from './store.ts';

export interface TallySubmitterLike {
  submitTally(rec: TallySubmission): Promise<SubmitOutcome>;
}

export interface ApprovedTallySource {
  onCommitted(fn: (c: { notices: Notices }) => void): void;
  readonly queries: { readonly gov: { tallies(): Promise<StoredTally[]> } };
}

export class GovTallySubmission {
  private readonly submitter: TallySubmitterLike | null;
  private readonly anchored: (proposalId: string) => Promise<boolean>;
  private readonly address: string | null;
  private readonly outcomes: Counter<string> | null;
  private readonly logger: Logger | null;
  private readonly inFlight = new Set<Promise<void>>();

  /** `submitter`: the staking chain's (null: this node submits nothing); `anchored`: Governor.state past Tallying. */
  constructor(deps: { submitter: TallySubmitterLike | null; anchored: (proposalId: string) => Promise<boolean>; address: string | null; metrics?: Registry | null; logger?: Logger | null }) {
    this.submitter = deps.submitter;
    this.anchored = deps.anchored;
    this.address = deps.address;
    this.outcomes = deps.metrics ? counter(deps.metrics, 'bttc_delivery_gov_tally_submissions_total', 'Governance tallies this node submitted to the Governor, by outcome', ['outcome']) : null;
    this.logger = deps.logger ? deps.logger.child({ module: 'gov-submission' }) : null;
  }

  attach(app: ApprovedTallySource): void {
    app.onCommitted((c) => {
      for (const t of c.notices.of(GOV_TALLY_APPROVED)) this.submitIfOurs(t);
    });
    this.track(
      app.queries.gov.tallies().then(
        (all) => {
          for (const t of all) if (!t.anchored) this.submitIfOurs(t);
        },
        (err: unknown) => this.logger?.error({ err: (err as Error).message }, 'could not read approved tallies'),
      ),
    );
  }

  async whenSettled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private submitIfOurs(t: StoredTally): void {
    if (this.address === null || t.submitter !== this.address || !this.submitter) return;
    const record = decodeTallyRecord(hexToBytes(t.data));
    const calldata = submitTallyCalldata(
      record,
      t.signatures.map((s) => ({ signer: s.signer, signature: hexToBytes(s.signature) })),
    );
    const proposalId = t.proposalId;
    this.track(
      this.submitter
        .submitTally({ proposalId, calldata, anchored: () => this.anchored(proposalId) })
        .then((r) => {
          this.outcomes?.inc({ outcome: r.outcome });
          this.logger?.info({ proposalId, outcome: r.outcome, txHash: r.txHash }, 'tally submission finished');
        })
        .catch((err: unknown) => {
          this.outcomes?.inc({ outcome: 'error' });
          this.logger?.error({ proposalId, err: (err as Error).message }, 'tally submission threw');
        }),
    );
  }
}
