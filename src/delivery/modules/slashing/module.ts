/**
 * The slashing module (issue 19, docs/slashing.md). Evidence enters as a SLASH_EVIDENCE_TX (from
 * this node's consensus evidence or the inbox fed by REST POST /slashing/evidence and `bttc-node
 * slash submit`); every validator checks it deterministically (src/slashing/checks.ts). Slashing on:
 * a candidate opens for `challengeWindow` heights; a SLASH_CHALLENGE_TX with holding
 * counter-evidence voids it; else end-block makes it final with its (escalated) penalty and queues
 * it for a signed batch to the SlashingManager. Slashing off: the evidence is recorded and visible,
 * nothing opens, nothing is cut. Each stage emits one notice, one pino line and a metric, each
 * naming the evidence id.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { keccak256 } from '../../../crypto/keccak.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import { counter, gauge } from '../../../observability/metrics.ts';
import { encodeEvidence, evidenceHash, type Evidence } from '../../../slashing/evidence.ts';
import { escalate } from '../../../slashing/penalty.ts';
import type { SealedHeader } from '../../../slashing/checks.ts';
import type { SlashingParams } from '../../../slashing/params.ts';
import type { CommittedState } from '../../app/state.ts';
import { deliverySet, stakingOf } from '../staking/state.ts';
import { makeSpan } from '../span/txs.ts';
import type { StoredSpanJson } from '../span/store.ts';
import { SPAN_COMMITTED } from '../span/notices.ts';
import { CHECKPOINT_APPROVED } from '../checkpoint/notices.ts';
import type { BlockContext, DeliveryModule, Notices, PlainTxSpec, SideTxSpec } from '../module.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import { proposerSigner } from '../staking/state.ts';
import { batchVerdict, expectedBatch, slashBatchTxCodec, tallyBatch, validateBatchTx, SLASH_BATCH_TX, type SlashBatchTx } from './batch.ts';
import { SLASH_BATCH_SIGNED, SLASH_FINAL, SLASH_RECORDED, SLASH_VOIDED } from './notices.ts';
import { SlashingQueries } from './queries.ts';
import { slashingRoutes, type EvidenceInbox } from './rest.ts';
import { emptySlashingState, SLASHING_STATE, slashingOf, type Candidate, type SpanProducers } from './state.ts';
import { SlashRecordStore, type SlashRecord } from './store.ts';
import {
  challengeHolds,
  decideEvidence,
  idOf,
  slashChallengeTxCodec,
  slashEvidenceTxCodec,
  validateEvidenceTx,
  SLASH_CHALLENGE_TX,
  SLASH_EVIDENCE_TX,
  type SlashChallengeTx,
  type SlashEvidenceTx,
  type SlashingTxDeps,
} from './txs.ts';

export interface SlashingModuleDeps {
  db: KeyValueStore;
  committed: CommittedState;
  params: SlashingParams;
  /** Bttc seal recovery for double-seal evidence (wired by the node; src/delivery never imports src/bttc). */
  recoverSeal?: ((rlp: Uint8Array) => SealedHeader) | null;
  verifier: SignatureVerifier;
  metrics?: Registry | null;
  logger?: Logger | null;
}

/** Submissions held for this node's proposals. */
export const MAX_PENDING = 1000;

export class InboxFullError extends Error {
  override name = 'InboxFullError';
}

/** Heights of commit signers kept: two downtime windows. */
function keepSigners(p: SlashingParams): number {
  return 2 * p.downtime.window;
}

export function slashingModule(deps: SlashingModuleDeps): DeliveryModule<SlashingQueries> {
  const store = new SlashRecordStore(deps.db);
  const txDeps: SlashingTxDeps = { params: deps.params, ...(deps.recoverSeal ? { recoverSeal: deps.recoverSeal } : {}) };
  const logger = deps.logger ? deps.logger.child({ module: 'delivery-slashing' }) : null;
  const stages = deps.metrics ? counter(deps.metrics, 'bttc_delivery_slashing_events_total', 'Slashing stages reached, by stage and offense', ['stage', 'offense']) : null;
  const open = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_slashing_open_candidates', 'Candidate slashes inside their challenge window') : null;
  const queued = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_slashing_final_queued', 'Final slashes waiting for a signed batch') : null;

  /** Txs waiting to be proposed (REST, CLI, this node's consensus evidence), by uniqueness key. */
  const pending = new Map<string, SlashEvidenceTx | SlashChallengeTx>();
  // Submissions wait for this node's next proposal; a flood is refused rather than held without bound.
  const full = (): void => {
    if (pending.size >= MAX_PENDING) throw new InboxFullError(`${pending.size} slashing submissions already wait for this node's next proposal; try later`);
  };
  const inbox: EvidenceInbox = {
    submitEvidence(e: Evidence) {
      const id = evidenceHash(e);
      full();
      pending.set(`e:${id}`, { type: SLASH_EVIDENCE_TX, evidence: encodeEvidence(e) });
      return id;
    },
    submitChallenge(id: string, counter: unknown) {
      full();
      pending.set(`c:${id}:${pending.size}`, { type: SLASH_CHALLENGE_TX, id, counter: new TextEncoder().encode(JSON.stringify(counter)) });
    },
    check(e: Evidence, ctx: BlockContext) {
      return validateEvidenceTx({ type: SLASH_EVIDENCE_TX, evidence: encodeEvidence(e) }, ctx, txDeps);
    },
  };

  // Applying may run on a block that is then not committed (a failed batch): the log line and the
  // metric describe what this node applied; the notice (in the committed block) is the record.
  const queries = new SlashingQueries({ committed: deps.committed, store, inbox });

  const stage = (name: string, r: SlashRecord, extra: Record<string, unknown> = {}): void => {
    stages?.inc({ stage: name, offense: r.offense });
    logger?.info({ event: `slash-${name}`, evidenceHash: r.id, offense: r.offense, validator: r.validator, validatorId: r.validatorId, height: r.height, ...extra }, `slash ${name}`);
  };

  const evidenceTx: PlainTxSpec<SlashEvidenceTx> = {
    kind: 'plain',
    codec: slashEvidenceTxCodec,
    key: (tx) => `slash-evidence:${evidenceHashOf(tx)}`,
    validate: (tx, ctx) => validateEvidenceTx(tx, ctx, txDeps),
    apply(tx, ctx, fx) {
      const d = decideEvidence(tx, ctx, txDeps);
      if (typeof d === 'string') return { outcome: 'rejected', reason: d };
      if (!d.decision.ok) return { outcome: 'rejected', reason: `${d.decision.code}: ${d.decision.reason}` };
      const s = slashingOf(ctx.state);
      const { id, validator, height, offense } = d.decision;
      s.slashingSeen.set(id, height);
      // From the records, not the consensus set: a jailed validator has left the set but evidence
      // about the heights it signed still names it.
      const validatorId = [...stakingOf(ctx.state).validators.values()].find((v) => v.signer === validator.toLowerCase())?.id ?? 0;
      const on = deps.params.enabled;
      const closesAt = on ? ctx.height + deps.params.challengeWindow : null;
      const record: SlashRecord = {
        id,
        offense,
        status: on ? 'candidate' : 'recorded',
        validator,
        validatorId,
        height,
        recordedAt: ctx.height,
        closesAt,
        voidedAt: null,
        voidReason: null,
        finalAt: null,
        penalty: null,
        evidence: d.evidence,
      };
      if (on) s.slashingOpen.push({ id, offense, validator, validatorId, height, openedAt: ctx.height, closesAt: closesAt!, evidence: d.evidence });
      fx.write(store.putOp(record));
      fx.notify(SLASH_RECORDED, record);
      stage(on ? 'candidate' : 'recorded', record, { closesAt });
      return { outcome: 'applied' };
    },
  };

  const challengeTx: PlainTxSpec<SlashChallengeTx> = {
    kind: 'plain',
    codec: slashChallengeTxCodec,
    key: (tx) => `slash-challenge:${idOf(tx)}`,
    validate(tx, ctx) {
      const c = slashingOf(ctx.state).slashingOpen.find((x) => x.id === idOf(tx));
      if (!c) return `no open candidate ${idOf(tx)} (unknown, voided, or its window closed)`;
      const h = challengeHolds(c.evidence, tx.counter, ctx, txDeps);
      return h.voids ? null : `challenge does not hold: ${h.reason}`;
    },
    apply(tx, ctx, fx) {
      const s = slashingOf(ctx.state);
      const i = s.slashingOpen.findIndex((x) => x.id === idOf(tx));
      const c = s.slashingOpen[i];
      if (!c) return { outcome: 'rejected', reason: `no open candidate ${idOf(tx)}` };
      const h = challengeHolds(c.evidence, tx.counter, ctx, txDeps);
      if (!h.voids) return { outcome: 'rejected', reason: h.reason };
      s.slashingOpen.splice(i, 1);
      const record = recordOf(c, { status: 'voided', voidedAt: ctx.height, voidReason: h.reason });
      fx.write(store.putOp(record));
      fx.notify(SLASH_VOIDED, record);
      stage('voided', record, { reason: h.reason });
      return { outcome: 'applied' };
    },
  };

  const batchTx: SideTxSpec<SlashBatchTx> = {
    kind: 'side',
    quorum: 'signatures',
    codec: slashBatchTxCodec,
    key: () => 'slash-batch',
    validate: (tx, ctx) => validateBatchTx(tx, ctx, deps.params.enabled),
    verdict: async (tx, v) => batchVerdict(tx, v.signerKey),
    async apply(tx, yes, ctx, fx) {
      const r = await tallyBatch(tx, yes, ctx, { verifier: deps.verifier });
      if (r.batch) {
        fx.notify(SLASH_BATCH_SIGNED, r.batch);
        stages?.inc({ stage: 'batch-signed', offense: 'any' }, r.batch.ids.length);
        logger?.info({ event: 'slash-batch-signed', nonce: r.batch.nonce, evidenceHashes: r.batch.ids, signatures: r.batch.sigs.length }, 'slash batch signed');
      }
      return { outcome: r.outcome, ...(r.reason ? { reason: r.reason } : {}) };
    },
  };

  return {
    name: 'slashing',
    txs: [evidenceTx, challengeTx, batchTx],
    state: SLASHING_STATE,
    buckets: [BUCKETS.slashingRecord],
    queries,
    initGenesis(g) {
      const s = emptySlashingState();
      s.slashingSets.push({ from: 0, signers: stakingOf(g.state).consensusSet.signers() });
      // Span 0 is written at genesis without a notice: the same rule the span module applies.
      const span0 = makeSpan(0, deliverySet(g.state), new Uint8Array(32), 0, g);
      s.slashingSpans.push(spanEntry(span0, 0));
      g.state.init(SLASHING_STATE, s);
    },
    proposeBeforeEvents(p) {
      const out: (SlashEvidenceTx | SlashChallengeTx)[] = [];
      for (const [k, tx] of pending) {
        const err = tx.type === SLASH_EVIDENCE_TX ? evidenceTx.validate(tx, p) : challengeTx.validate(tx, p);
        // A tx that no longer validates never will (seen, closed, stale): drop it with its reason.
        if (err) {
          pending.delete(k);
          logger?.info({ event: 'slash-submission-dropped', reason: err }, 'slashing submission dropped');
        } else out.push(tx);
      }
      return out;
    },
    async propose(p) {
      // The Delivery proposer batches the queued final slashes (one batch in flight at a time).
      if (!deps.params.enabled || p.pending('slash-batch') || proposerSigner(p.state) !== p.me) return [];
      const data = expectedBatch(slashingOf(p.state), p.me);
      return data ? [{ type: SLASH_BATCH_TX, data } satisfies SlashBatchTx] : [];
    },
    endBlock(ctx, fx) {
      const s = slashingOf(ctx.state);
      if (ctx.lastCommitSigners && ctx.height > 1) s.slashingSigners.set(ctx.height - 1, [...ctx.lastCommitSigners].sort());
      for (const h of s.slashingSigners.keys()) if (h < ctx.height - keepSigners(deps.params)) s.slashingSigners.delete(h);
      trackSet(s, ctx);
      trackHistory(s, fx, ctx.height, deps.params.unbondingHeights);
      for (const [id, h] of s.slashingSeen) if (h < ctx.height - deps.params.unbondingHeights) s.slashingSeen.delete(id);
      const closing = s.slashingOpen.filter((c) => c.closesAt <= ctx.height);
      if (closing.length === 0) return;
      s.slashingOpen = s.slashingOpen.filter((c) => c.closesAt > ctx.height);
      for (const c of closing) {
        const prior = s.slashingCounts.get(c.validator) ?? 0;
        s.slashingCounts.set(c.validator, prior + 1);
        const rule = escalate(deps.params.penalties[c.offense], prior);
        s.slashingFinal.push({ id: c.id, validatorId: c.validatorId, validator: c.validator, prior, finalAt: ctx.height, ...rule });
        const record = recordOf(c, { status: 'final', finalAt: ctx.height, penalty: { ...rule, prior } });
        fx.write(store.putOp(record));
        fx.notify(SLASH_FINAL, record);
        stage('final', record, { penalty: record.penalty });
      }
      // Pending pending-pool entries for candidates that just closed can no longer apply.
      for (const k of pending.keys()) if (k.startsWith('c:') && closing.some((c) => k.startsWith(`c:${c.id}`))) pending.delete(k);
    },
    committed(state) {
      const s = slashingOf(state);
      open?.set(s.slashingOpen.length);
      queued?.set(s.slashingFinal.length);
    },
    routes: () => slashingRoutes(queries, inbox, deps.committed),
  };
}

/** Canonical bytes hash to the id (a non-canonical encoding is refused by validate anyway). */
function evidenceHashOf(tx: SlashEvidenceTx): string {
  return bytesToHex(keccak256(tx.evidence));
}

function recordOf(c: Candidate, over: Partial<SlashRecord>): SlashRecord {
  return {
    id: c.id,
    offense: c.offense,
    status: 'candidate',
    validator: c.validator,
    validatorId: c.validatorId,
    height: c.height,
    recordedAt: c.openedAt,
    closesAt: c.closesAt,
    voidedAt: null,
    voidReason: null,
    finalAt: null,
    penalty: null,
    evidence: c.evidence,
    ...over,
  };
}

/** Appends the set that decides the next heights when it changed (entries change only with the set). */
function trackSet(s: ReturnType<typeof slashingOf>, ctx: BlockContext): void {
  const signers = stakingOf(ctx.state).consensusSet.signers().sort();
  const last = s.slashingSets[s.slashingSets.length - 1];
  if (!last || last.signers.join() !== signers.join()) s.slashingSets.push({ from: ctx.height + 1, signers });
}

/**
 * Keeps what offenses outside Delivery heights are judged against: each committed span's producers
 * (span module's notice, span 0 at genesis) and each approved checkpoint's range with its height.
 * A span is dropped once the span two after it (the one Bttc enters when it is over) was committed
 * more than the unbonding period ago; a checkpoint range once its approval is that old.
 */
export function trackHistory(s: ReturnType<typeof slashingOf>, fx: Notices, height: number, unbondingHeights: number): void {
  for (const sp of fx.of(SPAN_COMMITTED)) s.slashingSpans.push(spanEntry(sp, height));
  for (const a of fx.of(CHECKPOINT_APPROVED)) {
    const c = a.buffer.checkpoint;
    s.slashingCheckpoints.push({ start: c.start, end: c.end, borChainId: c.borChainId, height });
  }
  const horizon = height - unbondingHeights;
  while (s.slashingSpans.length > 2 && s.slashingSpans[2]!.height < horizon) s.slashingSpans.shift();
  s.slashingCheckpoints = s.slashingCheckpoints.filter((c) => c.height >= horizon);
}

function spanEntry(sp: StoredSpanJson, height: number): SpanProducers {
  return { id: sp.id, startBlock: sp.startBlock, endBlock: sp.endBlock, producers: sp.selectedProducers.map((p) => p.signer.toLowerCase()).sort(), height };
}
