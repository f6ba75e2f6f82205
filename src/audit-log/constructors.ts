/**
 * Typed constructors, one per record type, so every writer fills the schema the same way (subject
 * and correlation id formats, severity, which hash is the evidence). The checkpoint, span, state-sync,
 * alert, node and config constructors have writers (writers.ts), the governance ones gov-writers.ts,
 * the slashing ones slash-writers.ts; the upgrade ones are here for the module that will write them.
 */
import type { Payload, RecordInput, Severity } from './record.ts';

interface Common {
  height: number;
  time?: number;
}

function rec(type: RecordInput['type'], severity: Severity, c: Common, fields: Omit<RecordInput, 'type' | 'severity' | 'height' | 'time'>): RecordInput {
  const out: RecordInput = { type, severity, height: c.height, ...fields };
  if (c.time !== undefined) out.time = c.time;
  return out;
}

/** "checkpoint:<root chain id>:<start>-<end>": one checkpoint's story, from proposal to ack. */
export function checkpointCorrelation(rootChainId: number, start: number, end: number): string {
  return `checkpoint:${rootChainId}:${start}-${end}`;
}

export interface CheckpointFields {
  rootChainId: number;
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
  accountRootHash?: string | null;
  epoch?: number | null;
}

function checkpointPayload(cp: CheckpointFields, extra: Payload = {}): Payload {
  const p: Record<string, Payload[string]> = { rootChainId: cp.rootChainId, proposer: cp.proposer, start: cp.start, end: cp.end, rootHash: cp.rootHash };
  if (cp.accountRootHash) p.accountRootHash = cp.accountRootHash;
  if (cp.epoch !== undefined && cp.epoch !== null) p.epoch = cp.epoch;
  return { ...p, ...extra };
}

export const records = {
  checkpointProposed: (c: Common, cp: CheckpointFields, proposerId?: number): RecordInput =>
    rec('checkpoint.proposed', 'info', c, {
      ...(proposerId !== undefined ? { validatorId: proposerId } : {}),
      subject: `checkpoint:${cp.rootChainId}:${cp.start}-${cp.end}`,
      evidenceHash: cp.rootHash,
      correlationId: checkpointCorrelation(cp.rootChainId, cp.start, cp.end),
      payload: checkpointPayload(cp),
    }),
  /** Approved: the Yes signatures (the signature set the root chain will check); evidenceHash = keccak of the set. */
  checkpointSigned: (c: Common, cp: CheckpointFields, signatures: { signer: string; signature: string }[], setHash: string): RecordInput =>
    rec('checkpoint.signed', 'info', c, {
      subject: `checkpoint:${cp.rootChainId}:${cp.start}-${cp.end}`,
      evidenceHash: setHash,
      correlationId: checkpointCorrelation(cp.rootChainId, cp.start, cp.end),
      payload: checkpointPayload(cp, { signatureCount: signatures.length, signatures: signatures.map((s) => ({ signer: s.signer, signature: s.signature })) }),
    }),
  checkpointSubmitted: (c: Common, cp: { rootChainId: number; start: number; end: number }, outcome: string, txHash: string | null): RecordInput =>
    rec('checkpoint.submitted', outcome === 'failed' ? 'warning' : 'info', c, {
      subject: `checkpoint:${cp.rootChainId}:${cp.start}-${cp.end}`,
      correlationId: checkpointCorrelation(cp.rootChainId, cp.start, cp.end),
      payload: { rootChainId: cp.rootChainId, start: cp.start, end: cp.end, outcome, txHash },
    }),
  checkpointAcked: (c: Common, a: CheckpointFields & { number: number; headerBlockId: string; txHash: string; signatureCount: number }): RecordInput =>
    rec('checkpoint.acked', 'notice', c, {
      subject: `checkpoint:${a.rootChainId}:${a.start}-${a.end}`,
      evidenceHash: a.rootHash,
      correlationId: checkpointCorrelation(a.rootChainId, a.start, a.end),
      payload: checkpointPayload(a, { number: a.number, headerBlockId: a.headerBlockId, rootTxHash: a.txHash, signatureCount: a.signatureCount }),
    }),
  checkpointNoAck: (c: Common, rootChainId: number, outcome: string): RecordInput =>
    rec('checkpoint.no-ack', 'warning', c, { subject: `checkpoint-track:${rootChainId}`, correlationId: `no-ack:${rootChainId}:${c.height}`, payload: { rootChainId, outcome } }),
  spanCommitted: (c: Common, s: { id: number; startBlock: number; endBlock: number; producers: string[]; seed?: string | null }): RecordInput =>
    rec('span.committed', 'info', c, {
      subject: `span:${s.id}`,
      ...(s.seed ? { evidenceHash: s.seed } : {}),
      correlationId: `span:${s.id}`,
      payload: { id: s.id, startBlock: s.startBlock, endBlock: s.endBlock, producers: s.producers },
    }),
  stateSync: (c: Common, e: { id: number; contract: string; txHash: string; logIndex: number; rootChainId: number; dataHash: string }): RecordInput =>
    rec('state-sync.recorded', 'info', c, {
      subject: `state-sync:${e.id}`,
      evidenceHash: e.dataHash,
      correlationId: `state-sync:${e.id}`,
      payload: { id: e.id, contract: e.contract, rootTxHash: e.txHash, logIndex: e.logIndex, rootChainId: e.rootChainId },
    }),
  validatorAlert: (c: Common, a: { validatorId: number; signer: string; alert: string; detail: Payload }): RecordInput =>
    rec('validator.alert', 'warning', c, {
      validatorId: a.validatorId,
      subject: `validator:${a.validatorId}`,
      correlationId: `alert:${a.alert}:${a.validatorId}:${c.height}`,
      payload: { signer: a.signer, alert: a.alert, ...a.detail },
    }),
  nodeStart: (c: Common, n: { version: string; role: string; signer: string | null; configHash: string; head: number } & Payload): RecordInput =>
    rec('node.start', 'notice', c, { subject: `node:${n.signer ?? 'follower'}`, correlationId: `node-run:${c.time ?? 0}`, payload: n }),
  nodeStop: (c: Common, n: { signer: string | null; startedAt: number; reason: string }): RecordInput =>
    rec('node.stop', 'notice', c, { subject: `node:${n.signer ?? 'follower'}`, correlationId: `node-run:${n.startedAt}`, payload: n }),
  configChange: (c: Common, ch: { previousHash: string | null; hash: string; changed: string[] }): RecordInput =>
    rec('config.change', 'notice', c, { subject: 'config', evidenceHash: ch.hash, correlationId: `config:${ch.hash}`, payload: ch }),
  /** Private stream: a local failure (an RPC error, a refused submission). */
  localError: (c: Common, e: { component: string; message: string; correlationId: string }): RecordInput =>
    rec('local.error', 'warning', c, { subject: `component:${e.component}`, correlationId: e.correlationId, payload: { component: e.component, message: e.message } }),

  // ---- slashing (slash-writers.ts), governance (gov-writers.ts), upgrades (no writer yet) ----------------------------------
  slashEvidence: (c: Common, s: { validatorId: number; offense: string; evidenceHash: string; detail: Payload }): RecordInput =>
    rec('slash.evidence', 'warning', c, {
      validatorId: s.validatorId,
      subject: `validator:${s.validatorId}`,
      evidenceHash: s.evidenceHash,
      correlationId: `slash:${s.evidenceHash}`,
      payload: { offense: s.offense, ...s.detail },
    }),
  slashCandidate: (c: Common, s: { slashId: string; validatorId: number; offense: string; evidenceHash: string; challengeUntil: number; fraction: string }): RecordInput =>
    rec('slash.candidate', 'critical', c, {
      validatorId: s.validatorId,
      subject: `slash:${s.slashId}`,
      evidenceHash: s.evidenceHash,
      correlationId: `slash:${s.evidenceHash}`,
      payload: { slashId: s.slashId, offense: s.offense, challengeUntil: s.challengeUntil, fraction: s.fraction },
    }),
  /** The decision on a candidate: `slashed` (penalty in `detail`) or `voided` by a challenge (reason in `detail`). */
  slashFinal: (c: Common, s: { slashId: string; validatorId: number; evidenceHash: string; outcome: 'slashed' | 'dismissed' | 'voided'; amount: string; detail?: Payload }): RecordInput =>
    rec('slash.final', 'critical', c, {
      validatorId: s.validatorId,
      subject: `slash:${s.slashId}`,
      evidenceHash: s.evidenceHash,
      correlationId: `slash:${s.evidenceHash}`,
      payload: { ...s.detail, slashId: s.slashId, outcome: s.outcome, amount: s.amount },
    }),
  /** A slash batch approved by 2/3+1 signatures; evidenceHash = keccak256(0x01 ‖ data), the digest the SlashingManager checks. */
  slashBatchSigned: (
    c: Common,
    b: { nonce: number; digest: string; proposer: string; evidenceHashes: string[]; signatureCount: number; data: string; signatures: [string, string, string][] },
  ): RecordInput =>
    rec('slash.batch-signed', 'notice', c, {
      subject: `slash-batch:${b.nonce}`,
      evidenceHash: b.digest,
      correlationId: `slash-batch:${b.nonce}`,
      // data and signatures: exactly what updateSlashedAmounts takes, so the slash package can re-check them
      payload: { nonce: b.nonce, proposer: b.proposer, evidenceHashes: b.evidenceHashes, signatureCount: b.signatureCount, data: b.data, signatures: b.signatures },
    }),
  /** The batch's proposer sent it to the SlashingManager: outcome and the root transaction's hash (null unless submitted). */
  slashBatchSubmitted: (c: Common, b: { nonce: number; evidenceHashes: string[]; outcome: string; txHash: string | null }): RecordInput =>
    rec('slash.batch-submitted', b.outcome === 'failed' ? 'warning' : 'notice', c, {
      subject: `slash-batch:${b.nonce}`,
      ...(b.txHash ? { evidenceHash: b.txHash } : {}),
      correlationId: `slash-batch:${b.nonce}`,
      payload: { nonce: b.nonce, evidenceHashes: b.evidenceHashes, outcome: b.outcome, rootTxHash: b.txHash },
    }),
  /** A Governor proposal mirrored into Delivery (gov-writers.ts); evidenceHash = the root-chain ProposalCreated tx. */
  proposalCreated: (c: Common, p: { proposalId: string; proposer: string; snapshot: number; deadline: number; rootChainId: number; rootTxHash: string; rootBlock: number }): RecordInput =>
    rec('proposal.created', 'notice', c, { subject: `proposal:${p.proposalId}`, evidenceHash: p.rootTxHash, correlationId: `proposal:${p.proposalId}`, payload: p }),
  /** The power snapshot fixed with the proposal (root-chain block); evidenceHash = keccak of the canonical {proposalId, snapshot, deadline}. */
  snapshotFixed: (c: Common, s: { proposalId: string; snapshotBlock: number; deadline: number; snapshotHash: string }): RecordInput =>
    rec('snapshot.fixed', 'notice', c, { subject: `proposal:${s.proposalId}`, evidenceHash: s.snapshotHash, correlationId: `proposal:${s.proposalId}`, payload: s }),
  /** A ballot counted by the approved tally: its manifest leaf (voter, support, power, EIP-712 ballot hash). */
  ballotAccepted: (c: Common, b: { proposalId: string; index: number; voter: string; support: number; power: string; nonce: string; ballotHash: string }): RecordInput =>
    rec('ballot.accepted', 'info', c, { subject: `proposal:${b.proposalId}`, evidenceHash: b.ballotHash, correlationId: `proposal:${b.proposalId}`, payload: b }),
  /** A ballot refused (at inclusion or by the tally) with its reason code; voter null when it names none. */
  ballotRefused: (c: Common, b: { proposalId: string; index: number; voter: string | null; reasonCode: string; detail: string }): RecordInput =>
    rec('ballot.refused', 'notice', c, { subject: `proposal:${b.proposalId}`, correlationId: `proposal:${b.proposalId}`, payload: b }),
  /** The tally side tx included: the powers every validator checks; evidenceHash = keccak of the canonical {totalPower, powers}. */
  tallyStart: (c: Common, t: { proposalId: string; governor: string; chainId: string; totalPower: string; voters: number; powersHash: string }): RecordInput =>
    rec('tally.start', 'notice', c, { subject: `proposal:${t.proposalId}`, evidenceHash: t.powersHash, correlationId: `proposal:${t.proposalId}`, payload: t }),
  /** The tally approved by 2/3+1 signatures; evidenceHash = the ballot manifest root. */
  tallyFinish: (
    c: Common,
    t: {
      proposalId: string;
      manifestRoot: string;
      outcome: string;
      ballotCount: number;
      refusals: number;
      closeHeight: number;
      submitter: string;
      data: string;
      tally: Payload;
      signatures: { signer: string; signature: string }[];
    },
  ): RecordInput => rec('tally.finish', 'notice', c, { subject: `proposal:${t.proposalId}`, evidenceHash: t.manifestRoot, correlationId: `proposal:${t.proposalId}`, payload: t }),
  /** The Governor's TallyAnchored mirrored back; evidenceHash = the manifest root it anchored. */
  tallyAnchored: (c: Common, t: { proposalId: string; manifestRoot: string; rootTxHash: string; rootBlock: number; outcome: number; signed: string }): RecordInput =>
    rec('tally.anchored', 'notice', c, { subject: `proposal:${t.proposalId}`, evidenceHash: t.manifestRoot, correlationId: `proposal:${t.proposalId}`, payload: t }),
  upgradeQueued: (c: Common, u: { upgradeId: string; target: string; implementation: string; eta: number; rationaleHash: string }): RecordInput =>
    rec('upgrade.queued', 'critical', c, { subject: `upgrade:${u.upgradeId}`, evidenceHash: u.rationaleHash, correlationId: `upgrade:${u.upgradeId}`, payload: u }),
  upgradeExecuted: (c: Common, u: { upgradeId: string; target: string; implementation: string; txHash: string }): RecordInput =>
    rec('upgrade.executed', 'critical', c, { subject: `upgrade:${u.upgradeId}`, correlationId: `upgrade:${u.upgradeId}`, payload: u }),
};
