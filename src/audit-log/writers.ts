/**
 * The writers: listeners that turn what the node already announces into audit records, without
 * touching the modules that announce it.
 * - Committed Delivery blocks (`app.onCommitted`): checkpoint proposed (a checkpoint tx in the
 *   block), signed (approved with its Yes signature set), acked, no-ack; span committed; state sync;
 *   validator alerts (a current validator whose signature is missing from an approved checkpoint's
 *   set). These are derived
 *   from consensus data, so every node writes the same public records for them.
 * - Checkpoint submissions: the root-chain submitters are wrapped, so each outcome is recorded
 *   (and a failure's message goes to the private stream).
 * - Node start and stop, and a config change since the last start.
 */
import { keccak256 } from '../crypto/keccak.ts';
import type { CommittedBlock } from '../delivery/app/app.ts';
import { CHECKPOINT_NOACK_TX, CHECKPOINT_TX, type CheckpointNoAckTx, type CheckpointTx } from '../delivery/modules/checkpoint/txs.ts';
import type { CheckpointSubmitterLike } from '../delivery/modules/checkpoint/submission.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import { records } from './constructors.ts';
import type { AuditWriter } from './interface.ts';
import { canonicalJson } from './record.ts';

const enc = new TextEncoder();

/** keccak256 of a value's canonical JSON, as 0x hex: the evidence hash of a set or a config. */
export function canonicalHash(v: unknown): string {
  return bytesToHex(keccak256(enc.encode(canonicalJson(v))));
}

/** What the block listener needs of Delivery (DeliveryApp provides it). */
export interface DeliveryView {
  onCommitted(fn: (c: CommittedBlock) => void): void;
  readonly queries: {
    readonly staking: {
      validatorBySigner(signer: string): { id: number } | null;
      deliverySet(): { validators: { id: number; signer: string }[] };
    };
  };
}

export function writeDeliveryRecords(app: DeliveryView, log: AuditWriter): void {
  const idOf = (signer: string): number | undefined => app.queries.staking.validatorBySigner(signer)?.id;
  app.onCommitted((c) => {
    const at = { height: c.height, time: c.block.time };
    c.block.txs.forEach((tx, i) => {
      if (tx.type === CHECKPOINT_TX) {
        const t = tx as CheckpointTx;
        log.append(records.checkpointProposed(at, { rootChainId: t.rootChainId, ...t.checkpoint }, idOf(t.checkpoint.proposer)));
      } else if (tx.type === CHECKPOINT_NOACK_TX) {
        const outcome = c.outcomes.find((o) => o.height === c.height && o.index === i)?.outcome ?? 'included';
        log.append(records.checkpointNoAck(at, (tx as CheckpointNoAckTx).rootChainId, outcome));
      }
    });
    for (const a of c.approvedCheckpoints) {
      const sigs = a.buffer.signatures;
      log.append(records.checkpointSigned(at, { rootChainId: a.rootChainId, ...a.buffer.checkpoint }, sigs, canonicalHash(sigs)));
    }
    for (const a of c.acked) log.append(records.checkpointAcked(at, a));
    for (const s of c.spans) log.append(records.spanCommitted(at, { id: s.id, startBlock: s.startBlock, endBlock: s.endBlock, producers: s.selectedProducers.map((p) => p.signer) }));
    for (const e of c.eventRecords) {
      log.append(records.stateSync(at, { id: e.id, contract: e.contract, txHash: e.txHash, logIndex: e.logIndex, rootChainId: e.rootChainId, dataHash: bytesToHex(keccak256(hexToBytes(e.data))) }));
    }
    // A current validator whose Yes signature is missing from an approved checkpoint's set.
    for (const a of c.approvedCheckpoints) {
      const signed = new Set(a.buffer.signatures.map((x) => x.signer));
      const cp = a.buffer.checkpoint;
      for (const v of app.queries.staking.deliverySet().validators) {
        if (signed.has(v.signer)) continue;
        const detail = { rootChainId: a.rootChainId, start: cp.start, end: cp.end, rootHash: cp.rootHash };
        log.append(records.validatorAlert(at, { validatorId: v.id, signer: v.signer, alert: 'checkpoint-signature-missing', detail }));
      }
    }
  });
}

/** The submitters, each wrapped to record its outcomes (failure text to the private stream). */
export function recordSubmissions<S extends CheckpointSubmitterLike>(submitters: ReadonlyMap<number, S>, log: AuditWriter, height: () => number): Map<number, CheckpointSubmitterLike> {
  const out = new Map<number, CheckpointSubmitterLike>();
  for (const [rootChainId, s] of submitters) {
    const wrapped: CheckpointSubmitterLike = {
      submit: async (cp) => {
        const res = await s.submit(cp);
        const c = { rootChainId, start: Number(cp.start), end: Number(cp.end) };
        const txHash = 'txHash' in res && res.txHash ? res.txHash : null;
        log.append(records.checkpointSubmitted({ height: height() }, c, res.outcome, txHash));
        if (res.outcome === 'failed')
          log.append(
            records.localError({ height: height() }, { component: `root-submitter:${rootChainId}`, message: res.reason, correlationId: `checkpoint:${rootChainId}:${c.start}-${c.end}` }),
            'private',
          );
        return res;
      },
    };
    if (s.submitSync) wrapped.submitSync = s.submitSync.bind(s);
    out.set(rootChainId, wrapped);
  }
  return out;
}
