/**
 * Collects Yes votes on one checkpoint (or checkpoint-sync) digest: verifies every vote through a
 * SignatureVerifier (the verify pool or the inline verifier) in one batch per `add`, drops invalid,
 * non-validator and duplicate votes with a reason, decides approval at ⌊n·2/3⌋ + 1, and exports the
 * root-chain form (sorted strictly by signer, [R, S, V], V = 27/28) and calldata.
 *
 * Determinism: the kept signature for a signer never depends on arrival order — if one signer sends
 * two valid signatures (ECDSA allows many), the byte-wise smaller is kept — so any permutation of the
 * same votes exports the same calldata.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SignatureVerifier, Secp256k1RecoverItem } from '../../pools/interface.ts';
import { counter, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';
import { bytesToHex, compareBytes, exactCopy, hexToBytes } from '../../util/bytes.ts';
import { approvalThreshold, type CheckpointVote, type VoteOutcome } from './interface.ts';
import { submitCheckpointCalldata, submitCheckpointSyncCalldata, toRootChainTriple, type RsvTriple, type SignerSignature } from './calldata.ts';

export interface SignatureSetJson {
  voteHash: string;
  validators: string[];
  signatures: { signer: string; signature: string }[];
}

export interface SignatureSetOptions {
  /** keccak256(0x01 ‖ signBytes). */
  voteHash: Uint8Array;
  /** Signers of the current validators (any case); n for the threshold is their count. */
  validators: readonly string[];
}

export interface SignatureSetDeps {
  verifier: SignatureVerifier;
  metrics?: Registry | null;
  logger?: Logger | null;
}

export class SignatureSet {
  readonly voteHash: Uint8Array;
  readonly threshold: number;
  readonly #validators: Set<string>;
  readonly #verifier: SignatureVerifier;
  readonly #logger: Logger | null;
  readonly #accepted = new Map<string, Uint8Array>();
  readonly #rejected: VoteOutcome[] = [];
  readonly #m: { votes: ReturnType<typeof counter>; seconds: ReturnType<typeof histogram> } | null;

  constructor(opts: SignatureSetOptions, deps: SignatureSetDeps) {
    if (!(opts.voteHash instanceof Uint8Array) || opts.voteHash.length !== 32) throw new TypeError('SignatureSet: voteHash must be 32 bytes');
    this.voteHash = exactCopy(opts.voteHash);
    this.#validators = new Set(opts.validators.map((v) => v.toLowerCase()));
    if (this.#validators.size !== opts.validators.length) throw new TypeError('SignatureSet: validator list has a repeated signer');
    this.threshold = approvalThreshold(this.#validators.size);
    this.#verifier = deps.verifier;
    this.#logger = deps.logger ?? null;
    this.#m = deps.metrics
      ? {
          votes: counter(deps.metrics, 'bttc_checkpoint_votes_total', 'Checkpoint votes by outcome', ['outcome']),
          seconds: histogram(deps.metrics, 'bttc_checkpoint_vote_verify_seconds', 'Time to verify one batch of checkpoint votes', SECONDS_BUCKETS),
        }
      : null;
  }

  get validatorCount(): number {
    return this.#validators.size;
  }

  get count(): number {
    return this.#accepted.size;
  }

  get approved(): boolean {
    return this.#accepted.size >= this.threshold;
  }

  /** Verifies and adds votes; one outcome per vote, in input order. */
  async add(votes: readonly CheckpointVote[]): Promise<VoteOutcome[]> {
    const outcomes: (VoteOutcome | null)[] = new Array(votes.length).fill(null);
    const items: Secp256k1RecoverItem[] = [];
    const itemOf: number[] = [];
    votes.forEach((vote, i) => {
      const claimed = typeof vote?.signer === 'string' ? vote.signer.toLowerCase() : undefined;
      const sig = vote?.signature;
      if (!(sig instanceof Uint8Array) || sig.length !== 65) {
        outcomes[i] = { ok: false, ...(claimed ? { signer: claimed } : {}), reason: 'malformed', detail: 'signature must be 65 bytes (r ‖ s ‖ v)' };
        return;
      }
      // Cheap rejections first: a claimed non-validator costs no verification.
      if (claimed !== undefined && !this.#validators.has(claimed)) {
        outcomes[i] = { ok: false, signer: claimed, reason: 'not a current validator' };
        return;
      }
      items.push({ kind: 'secp256k1-recover', digest: this.voteHash, signature: exactCopy(sig) });
      itemOf.push(i);
    });
    const t0 = performance.now();
    const results = items.length ? await this.#verifier.verifyBatch(items, { priority: true }) : [];
    this.#m?.seconds.observe((performance.now() - t0) / 1000);
    results.forEach((r, k) => {
      const i = itemOf[k]!;
      const claimed = votes[i]!.signer?.toLowerCase();
      const sig = items[k]!.signature;
      if (!r.ok) {
        const malformed = r.reason.startsWith('malformed');
        outcomes[i] = { ok: false, ...(claimed ? { signer: claimed } : {}), reason: malformed ? 'malformed' : 'invalid signature', detail: r.reason };
        return;
      }
      if (r.kind !== 'secp256k1-recover') throw new Error(`verifier returned a ${r.kind} result for a recover item`);
      const recovered = bytesToHex(r.address);
      if (claimed !== undefined && claimed !== recovered) {
        outcomes[i] = { ok: false, signer: claimed, reason: 'signer mismatch', detail: `signature recovers to ${recovered}` };
        return;
      }
      if (!this.#validators.has(recovered)) {
        outcomes[i] = { ok: false, signer: recovered, reason: 'not a current validator' };
        return;
      }
      // Normalise v to 0/1 so equal signatures compare equal whatever v form they came in.
      const norm = exactCopy(sig);
      if (norm[64]! >= 27) norm[64] = norm[64]! - 27;
      const held = this.#accepted.get(recovered);
      if (held) {
        if (compareBytes(norm, held) < 0) this.#accepted.set(recovered, norm);
        outcomes[i] = { ok: false, signer: recovered, reason: 'duplicate' };
        return;
      }
      this.#accepted.set(recovered, norm);
      outcomes[i] = { ok: true, signer: recovered };
    });
    const done = outcomes as VoteOutcome[];
    for (const o of done) {
      this.#m?.votes.inc({ outcome: o.ok ? 'accepted' : o.reason });
      if (!o.ok) {
        this.#rejected.push(o);
        this.#logger?.debug({ signer: o.signer, reason: o.reason, detail: o.detail }, 'checkpoint vote rejected');
      }
    }
    return done;
  }

  /** Accepted signers, ascending. */
  signers(): string[] {
    return [...this.#accepted.keys()].sort();
  }

  rejected(): VoteOutcome[] {
    return [...this.#rejected];
  }

  /** Accepted signatures sorted strictly ascending by signer (v as 0/1). */
  sortedSignatures(): SignerSignature[] {
    return this.signers().map((signer) => ({ signer, signature: exactCopy(this.#accepted.get(signer)!) }));
  }

  /** The `uint256[3][] sigs` argument: [R, S, V] with V = 27/28, sorted by signer. */
  rootChainSignatures(): RsvTriple[] {
    return this.sortedSignatures().map((s) => toRootChainTriple(s.signature));
  }

  /** RootChain.submitCheckpoint calldata for `signBytes` (the 224-byte checkpoint data). */
  submitCheckpointCalldata(signBytes: Uint8Array): Uint8Array {
    return submitCheckpointCalldata(signBytes, this.sortedSignatures());
  }

  /** Persistable form: the accepted votes only (rejected ones are not worth keeping). */
  toJSON(): SignatureSetJson {
    return {
      voteHash: bytesToHex(this.voteHash),
      validators: [...this.#validators].sort(),
      signatures: this.sortedSignatures().map((s) => ({ signer: s.signer, signature: bytesToHex(s.signature) })),
    };
  }

  /** Rebuilds a persisted set; the stored votes are verified again, so a tampered store cannot add votes. */
  static async fromJSON(json: SignatureSetJson, deps: SignatureSetDeps): Promise<SignatureSet> {
    if (!json || typeof json.voteHash !== 'string' || !Array.isArray(json.validators) || !Array.isArray(json.signatures))
      throw new TypeError('signature set: expected {voteHash, validators, signatures}');
    const set = new SignatureSet({ voteHash: hexToBytes(json.voteHash), validators: json.validators }, deps);
    await set.add(json.signatures.map((s) => ({ signer: s.signer, signature: hexToBytes(s.signature) })));
    return set;
  }

  /** StakeManager.submitCheckpointSync calldata for the 5-word sync data. */
  submitCheckpointSyncCalldata(signBytes: Uint8Array): Uint8Array {
    return submitCheckpointSyncCalldata(signBytes, this.sortedSignatures());
  }
}
