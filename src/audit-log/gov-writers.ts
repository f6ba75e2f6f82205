/**
 * The governance writers (issues 17 + 18): committed Delivery blocks turned into the proposal's audit
 * story, without touching the gov module (it already announces what matters as block txs and
 * notices):
 *   GOV_PROPOSAL_MIRRORED     → proposal.created + snapshot.fixed (the ProposalCreated approved)
 *   tally side tx included    → tally.start (the voter powers every validator checks)
 *   GOV_TALLY_APPROVED        → ballot.accepted per counted ballot (voter order), ballot.refused per
 *                               refusal (stream order), tally.finish (manifest root, data, signatures)
 *   ballot refused `closed`   → ballot.refused (a ballot included after the tally closed voting)
 *   GOV_TALLY_ANCHORED        → tally.anchored
 * Everything comes from consensus data (block time, not the clock), so every node writes the same
 * public records. The Timelock's queue/execute are not mirrored into Delivery: no upgrade records yet.
 */
import type { CommittedBlock } from '../delivery/app/app.ts';
import { GOV_BALLOT_INCLUDED, GOV_PROPOSAL_MIRRORED, GOV_TALLY_ANCHORED, GOV_TALLY_APPROVED } from '../delivery/modules/gov/notices.ts';
import type { StoredTally } from '../delivery/modules/gov/store.ts';
import { GOV_TALLY_TX, type GovTallyTx } from '../delivery/modules/gov/txs.ts';
import { records } from './constructors.ts';
import type { AuditWriter } from './interface.ts';
import type { Payload } from './record.ts';
import { canonicalHash } from './writers.ts';

export interface GovDeliveryView {
  onCommitted(fn: (c: CommittedBlock) => void): void;
}

/** The approved tally's records, in the order a reader expects: counted, refused, finish. */
export function tallyRecords(at: { height: number; time?: number }, t: StoredTally): ReturnType<typeof records.tallyFinish>[] {
  const out = [...t.counted]
    .sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0))
    .map((b) => records.ballotAccepted(at, { proposalId: t.proposalId, index: b.index, voter: b.voter, support: b.support, power: b.power, nonce: b.nonce, ballotHash: b.ballotHash }));
  for (const f of t.refusals)
    out.push(
      records.ballotRefused(at, { proposalId: t.proposalId, index: Number(f.index), voter: typeof f.voter === 'string' ? f.voter : null, reasonCode: String(f.code), detail: String(f.detail) }),
    );
  out.push(
    records.tallyFinish(at, {
      proposalId: t.proposalId,
      manifestRoot: String(t.tally.manifestRoot),
      outcome: String(t.tally.outcome),
      ballotCount: t.counted.length,
      refusals: t.refusals.length,
      closeHeight: t.closeHeight,
      submitter: t.submitter,
      data: t.data,
      tally: t.tally as Payload,
      signatures: t.signatures.map((s) => ({ signer: s.signer, signature: s.signature })),
    }),
  );
  return out;
}

export function writeGovRecords(app: GovDeliveryView, log: AuditWriter): void {
  app.onCommitted((c) => {
    const at = { height: c.height, time: c.block.time };
    for (const p of c.notices.of(GOV_PROPOSAL_MIRRORED)) {
      const base = { proposalId: p.id, proposer: p.proposer, snapshot: p.snapshot, deadline: p.deadline };
      log.append(records.proposalCreated(at, { ...base, rootChainId: p.rootChainId, rootTxHash: p.rootTxHash, rootBlock: p.rootBlock }));
      const snapshotHash = canonicalHash({ proposalId: p.id, snapshot: p.snapshot, deadline: p.deadline });
      log.append(records.snapshotFixed(at, { proposalId: p.id, snapshotBlock: p.snapshot, deadline: p.deadline, snapshotHash }));
    }
    c.block.txs.forEach((tx, i) => {
      const outcome = c.outcomes.find((o) => o.height === c.height && o.index === i)?.outcome;
      if (tx.type === GOV_TALLY_TX && outcome === 'included') {
        const t = tx as GovTallyTx;
        const powers = t.powers.map((v) => ({ voter: v.voter, power: v.power.toString() }));
        log.append(
          records.tallyStart(at, {
            proposalId: t.proposalId,
            governor: t.governor,
            chainId: t.chainId.toString(),
            totalPower: t.totalPower.toString(),
            voters: powers.length,
            powersHash: canonicalHash({ totalPower: t.totalPower.toString(), powers }),
          }),
        );
      }
    });
    // A ballot included once its proposal's voting had closed: the tally that closed it never sees it.
    for (const b of c.notices.of(GOV_BALLOT_INCLUDED)) {
      if (b.ballot.refusal?.code !== 'closed') continue;
      const voter = (b.ballot.json as { voter?: unknown } | null)?.voter;
      const named = typeof voter === 'string' && /^0x[0-9a-fA-F]{40}$/.test(voter) ? voter.toLowerCase() : null;
      log.append(records.ballotRefused(at, { proposalId: b.proposalId, index: b.ballot.index, voter: named, reasonCode: 'closed', detail: b.ballot.refusal.detail }));
    }
    for (const t of c.notices.of(GOV_TALLY_APPROVED)) for (const r of tallyRecords(at, t)) log.append(r);
    for (const t of c.notices.of(GOV_TALLY_ANCHORED)) {
      const a = t.anchored;
      if (!a) continue;
      log.append(
        records.tallyAnchored(at, { proposalId: t.proposalId, manifestRoot: String(t.tally.manifestRoot), rootTxHash: a.txHash, rootBlock: a.blockNumber, outcome: a.outcome, signed: a.signed }),
      );
    }
  });
}
