/**
 * What callers see of the signature-verification pool. Items are verified or recovered in worker
 * threads in packed batches; the result array matches the input order, and a malformed item fails
 * only itself (with a reason), never the batch.
 */

/** secp256k1: is `signature` (r ‖ s, 64 bytes, low-s) by `publicKey` (33/65 bytes) over `digest`? */
export interface Secp256k1VerifyItem {
  kind: 'secp256k1-verify';
  digest: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

/** secp256k1: who signed `digest`? `signature` is r ‖ s ‖ v (65 bytes, v ∈ {0,1}; 27/28 accepted). */
export interface Secp256k1RecoverItem {
  kind: 'secp256k1-recover';
  digest: Uint8Array;
  signature: Uint8Array;
}

/** BLS: one aggregate signature by all `publicKeys` (48-byte compressed) over one message. */
export interface BlsFastAggregateItem {
  kind: 'bls-fast-aggregate';
  message: Uint8Array;
  publicKeys: Uint8Array[];
  signature: Uint8Array;
}

export type VerifyItem = Secp256k1VerifyItem | Secp256k1RecoverItem | BlsFastAggregateItem;

export type VerifyResult =
  | { ok: true; kind: 'secp256k1-verify' | 'bls-fast-aggregate' }
  /** `address` is the 20-byte Ethereum address; `publicKey` the 65-byte uncompressed key. */
  | { ok: true; kind: 'secp256k1-recover'; address: Uint8Array; publicKey: Uint8Array }
  /** `reason` says why: 'invalid signature', 'malformed: digest must be 32 bytes', … */
  | { ok: false; kind: VerifyItem['kind']; reason: string };

export interface VerifyOptions {
  /** Latency-critical work (a block seal, a consensus vote) goes to the front of the queue. */
  priority?: boolean;
}

export interface SignatureVerifier {
  verify(item: VerifyItem, opts?: VerifyOptions): Promise<VerifyResult>;
  verifyBatch(items: readonly VerifyItem[], opts?: VerifyOptions): Promise<VerifyResult[]>;
  /** False when the queue is full: intake (gossip, RPC) should slow down or drop. */
  canAcceptWork(): boolean;
  close(): Promise<void>;
}
