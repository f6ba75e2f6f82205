/** What the audit log's parts show each other and the node (see docs/audit-log.md). */
import type { AuditBatch } from './batch.ts';
import type { AuditRecord, AuditStream, RecordInput } from './record.ts';

/** One public batch's anchor transaction on Bttc, as the node tracks it. */
export interface AnchorState {
  batch: number;
  digest: string;
  txHash: string;
  nonce: string;
  sentAt: number;
  /** Set once a canonical Bttc block holds the transaction. */
  block: { number: number; hash: string; txIndex: number } | null;
}

/** An anchored batch: its Bttc transaction and block, and the acked checkpoint covering the block if any. */
export interface AnchoredView {
  batch: number;
  digest: string;
  txHash: string;
  block: number;
  blockHash: string;
  checkpoint: { rootChainId: number; number: number; headerBlockId: string; start: number; end: number; rootHash: string; rootTxHash: string } | null;
}

/** Where the log stands: `GET /audit-log/status`. */
export interface AuditStatus {
  signer: string;
  anchorContract: string | null;
  latestSeq: number | null;
  latestBatch: { batch: number; lastSeq: number; digest: string; time: number } | null;
  latestAnchored: AnchoredView | null;
  /** The newest anchor an acked checkpoint covers (anchors after it wait for the next checkpoint). */
  latestCovered: AnchoredView | null;
  pendingAnchors: number;
  private: { latestSeq: number | null; firstSeq: number; retentionMs: number };
}

/** The append side writers see. */
export interface AuditWriter {
  /** Appends to a stream (public by default); returns the record's seq. Throws on a malformed record. */
  append(input: RecordInput, stream?: AuditStream): number;
}

/** What the hash pool offers the log (HashPool.auditBatch). */
export interface AuditBatchSealer {
  auditBatch(packed: Uint8Array): Promise<Uint8Array>;
}

export type { AuditBatch, AuditRecord };
