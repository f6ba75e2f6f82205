/**
 * LIBRARY-ONLY: nothing in the node calls this module; consensus, the Delivery app, the submitter
 * and `bttc-node bench checkpoint` all use the secp256k1 form (signature-set.ts, calldata.ts).
 *
 * What it is: a compressed form of a checkpoint signature set (issue 3, roadmap "snapshot
 * compression to reduce signature costs"). Each validator would also hold a BLS key (48-byte min-pk)
 * and sign the same vote hash; the set travels as one 96-byte aggregate signature plus a bitmap of
 * which validators (by index in signer order) signed, and is checked with one fastAggregateVerify
 * instead of n recoveries. It is kept for a future aggregate-signature root contract, where calldata
 * and on-chain verification would no longer grow by 96 bytes and one ecrecover per validator.
 *
 * Why the node does not use it: BTTC's RootChain.submitCheckpoint takes a list of secp256k1
 * [R, S, V] triples sorted by signer and ecrecovers each against the StakeManager's signers, so
 * an aggregate has nowhere to go on today's root chains; validators register no BLS keys; and
 * checkpoint signatures already ride in Delivery precommits, whose own secp256k1 signatures every
 * receiver verifies anyway. Do not wire it into consensus without a root contract that accepts it.
 */
import type { SignatureVerifier, BlsFastAggregateItem } from '../../pools/interface.ts';
import { blsAggregateSignatures, BLS_SIGNATURE_SIZE } from '../../crypto/bls.ts';
import { approvalThreshold } from './interface.ts';

export interface BlsAggregateSignature {
  /** Bit i (LSB-first in byte i >> 3) set when validator i signed. */
  bitmap: Uint8Array;
  /** 96-byte compressed G2 aggregate. */
  signature: Uint8Array;
}

export function bitmapSize(validatorCount: number): number {
  return Math.ceil(validatorCount / 8);
}

export function bitmapIndices(bitmap: Uint8Array, validatorCount: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < validatorCount; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) out.push(i);
  return out;
}

/** bitmap ‖ signature: ⌈n/8⌉ + 96 bytes instead of n × 65. */
export function encodeBlsAggregate(agg: BlsAggregateSignature): Uint8Array {
  const out = new Uint8Array(agg.bitmap.length + BLS_SIGNATURE_SIZE);
  out.set(agg.bitmap);
  out.set(agg.signature, agg.bitmap.length);
  return out;
}

export function decodeBlsAggregate(bytes: Uint8Array, validatorCount: number): BlsAggregateSignature {
  const m = bitmapSize(validatorCount);
  if (bytes.length !== m + BLS_SIGNATURE_SIZE) throw new RangeError(`BLS aggregate for ${validatorCount} validators must be ${m + BLS_SIGNATURE_SIZE} bytes, got ${bytes.length}`);
  const bitmap = bytes.slice(0, m);
  // Bits past n would make two encodings of one set: reject them.
  for (let i = validatorCount; i < m * 8; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) throw new RangeError(`BLS aggregate: bitmap bit ${i} is set but there are ${validatorCount} validators`);
  return { bitmap, signature: bytes.slice(m) };
}

export interface BlsVerifyOutcome {
  ok: boolean;
  count: number;
  approved: boolean;
  reason?: string;
}

/** One fastAggregateVerify of the signers named by the bitmap; `publicKeys[i]` is validator i's key. */
export async function verifyBlsAggregate(agg: BlsAggregateSignature, message: Uint8Array, publicKeys: readonly Uint8Array[], verifier: SignatureVerifier): Promise<BlsVerifyOutcome> {
  if (agg.bitmap.length !== bitmapSize(publicKeys.length)) return { ok: false, count: 0, approved: false, reason: `bitmap must be ${bitmapSize(publicKeys.length)} bytes` };
  const idx = bitmapIndices(agg.bitmap, publicKeys.length);
  if (idx.length === 0) return { ok: false, count: 0, approved: false, reason: 'no signers in bitmap' };
  const item: BlsFastAggregateItem = { kind: 'bls-fast-aggregate', message, publicKeys: idx.map((i) => publicKeys[i]!), signature: agg.signature };
  const r = await verifier.verify(item, { priority: true });
  if (!r.ok) return { ok: false, count: idx.length, approved: false, reason: r.reason };
  return { ok: true, count: idx.length, approved: idx.length >= approvalThreshold(publicKeys.length) };
}

/**
 * Builds the aggregate optimistically: aggregate everything, verify once; only if that fails verify
 * each vote to find and drop the bad ones (the costly path runs only under attack or bugs).
 */
export class BlsSignatureAggregator {
  readonly message: Uint8Array;
  readonly #publicKeys: readonly Uint8Array[];
  readonly #verifier: SignatureVerifier;
  readonly #votes = new Map<number, Uint8Array>();

  constructor(opts: { message: Uint8Array; publicKeys: readonly Uint8Array[] }, deps: { verifier: SignatureVerifier }) {
    this.message = opts.message;
    this.#publicKeys = opts.publicKeys;
    this.#verifier = deps.verifier;
  }

  /** Returns false for an out-of-range index, a wrong-size signature or a second vote by one index. */
  add(index: number, signature: Uint8Array): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.#publicKeys.length) return false;
    if (signature.length !== BLS_SIGNATURE_SIZE || this.#votes.has(index)) return false;
    this.#votes.set(index, signature);
    return true;
  }

  async build(): Promise<{ aggregate: BlsAggregateSignature | null; count: number; approved: boolean; dropped: { index: number; reason: string }[] }> {
    const dropped: { index: number; reason: string }[] = [];
    let indices = [...this.#votes.keys()].sort((a, b) => a - b);
    const make = (ids: number[]): BlsAggregateSignature | null => {
      if (ids.length === 0) return null;
      const bitmap = new Uint8Array(bitmapSize(this.#publicKeys.length));
      for (const i of ids) bitmap[i >> 3]! |= 1 << (i & 7);
      try {
        return { bitmap, signature: blsAggregateSignatures(ids.map((i) => this.#votes.get(i)!)) };
      } catch {
        return null;
      }
    };
    let agg = make(indices);
    const first = agg ? await verifyBlsAggregate(agg, this.message, this.#publicKeys, this.#verifier) : null;
    if (!first?.ok && indices.length > 0) {
      const results = await this.#verifier.verifyBatch(indices.map((i) => ({ kind: 'bls-fast-aggregate', message: this.message, publicKeys: [this.#publicKeys[i]!], signature: this.#votes.get(i)! })));
      const keep: number[] = [];
      results.forEach((r, k) => (r.ok ? keep.push(indices[k]!) : dropped.push({ index: indices[k]!, reason: r.reason })));
      indices = keep;
      agg = make(indices);
    }
    return { aggregate: agg, count: indices.length, approved: indices.length >= approvalThreshold(this.#publicKeys.length), dropped };
  }
}
