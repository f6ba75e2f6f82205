/**
 * The slashing writers (issues 17 + 19): the slashing module's notices in a committed Delivery block
 * turned into the slash's audit story, without touching the module:
 *   SLASH_RECORDED → slash.evidence (evidenceHash = the evidence id; the evidence in canonical form)
 *                    and, when a candidate opened, slash.candidate (challenge window closesAt)
 *   SLASH_VOIDED   → slash.final, outcome `voided`, with the challenge's reason
 *   SLASH_FINAL    → slash.final, outcome `slashed`, with the (escalated) penalty bps and jail epochs
 *   SLASH_BATCH_SIGNED → slash.batch-signed (nonce, proposer, the batch's evidence ids, its data and
 *                    [R, S, V] signatures as updateSlashedAmounts takes them; evidenceHash
 *                    = the digest the SlashingManager checks), correlationId `slash-batch:<nonce>`
 * Everything above comes from consensus data (block height and time), so every validator writes the
 * same public records. `recordSlashSender` wraps the proposer's sender: slash.batch-submitted with
 * the outcome and the root transaction's hash (only the proposer writes it, as checkpoint.submitted).
 * The root chain's Slashed events are not mirrored back into Delivery, so there is no "applied" record.
 */
import type { CommittedBlock } from '../delivery/app/app.ts';
import { SLASH_BATCH_SIGNED, SLASH_FINAL, SLASH_RECORDED, SLASH_VOIDED } from '../delivery/modules/slashing/notices.ts';
import type { SlashBatchSender } from '../delivery/modules/slashing/submission.ts';
import { decodeSlashBatch, slashBatchVoteHash } from '../slashing/batch.ts';
import { hexToBytes } from '../util/bytes.ts';
import type { SlashRecord } from '../delivery/modules/slashing/store.ts';
import { records } from './constructors.ts';
import type { AuditWriter } from './interface.ts';
import type { Payload } from './record.ts';

export interface SlashDeliveryView {
  onCommitted(fn: (c: CommittedBlock) => void): void;
}

/** The evidence record's payload: what a reviewer needs to re-check it (the evidence itself, all strings). */
function evidenceDetail(r: SlashRecord): Payload {
  return { validator: r.validator, offenseHeight: r.height, recordedAt: r.recordedAt, status: r.status, evidence: { ...r.evidence } as Payload };
}

export function writeSlashRecords(app: SlashDeliveryView, log: AuditWriter): void {
  app.onCommitted((c) => {
    const at = { height: c.height, time: c.block.time };
    for (const r of c.notices.of(SLASH_RECORDED)) {
      log.append(records.slashEvidence(at, { validatorId: r.validatorId, offense: r.offense, evidenceHash: r.id, detail: evidenceDetail(r) }));
      if (r.status === 'candidate' && r.closesAt !== null)
        // the fraction is only known at finalization (escalation counts the offenses final by then)
        log.append(records.slashCandidate(at, { slashId: r.id, validatorId: r.validatorId, offense: r.offense, evidenceHash: r.id, challengeUntil: r.closesAt, fraction: 'at-final' }));
    }
    for (const r of c.notices.of(SLASH_VOIDED))
      log.append(
        records.slashFinal(at, { slashId: r.id, validatorId: r.validatorId, evidenceHash: r.id, outcome: 'voided', amount: '0', detail: { voidedAt: r.voidedAt, reason: r.voidReason ?? '' } }),
      );
    for (const r of c.notices.of(SLASH_FINAL)) {
      const p = r.penalty;
      const detail: Payload = { finalAt: r.finalAt, selfBps: p?.selfBps ?? 0, delegatorBps: p?.delegatorBps ?? 0, jailEpochs: p?.jailEpochs ?? 0, prior: p?.prior ?? 0 };
      // amount: the stake cut is computed on the root chain (SlashingManager) from these bps
      log.append(records.slashFinal(at, { slashId: r.id, validatorId: r.validatorId, evidenceHash: r.id, outcome: 'slashed', amount: 'by-bps', detail }));
    }
    for (const b of c.notices.of(SLASH_BATCH_SIGNED)) {
      const data = hexToBytes(b.data);
      log.append(
        records.slashBatchSigned(at, {
          nonce: b.nonce,
          digest: slashBatchVoteHash(data),
          proposer: decodeSlashBatch(data).proposer,
          evidenceHashes: [...b.ids],
          signatureCount: b.sigs.length,
          data: b.data,
          signatures: b.sigs.map((x) => [...x]),
        }),
      );
    }
  });
}

/** The proposer's sender, recording each outcome (a failure's text also to the private stream). */
export function recordSlashSender(sender: SlashBatchSender, log: AuditWriter, height: () => number): SlashBatchSender {
  return {
    async send(batch) {
      const res = await sender.send(batch);
      const txHash = res.outcome === 'submitted' ? res.txHash : null;
      log.append(records.slashBatchSubmitted({ height: height() }, { nonce: batch.nonce, evidenceHashes: [...batch.ids], outcome: res.outcome, txHash }));
      if (res.outcome === 'failed')
        log.append(records.localError({ height: height() }, { component: 'slash-batch-submitter', message: res.reason, correlationId: `slash-batch:${batch.nonce}` }), 'private');
      return res;
    },
  };
}
