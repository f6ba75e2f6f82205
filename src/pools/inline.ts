/**
 * A SignatureVerifier that runs every item on the calling thread with the native bindings: for
 * tools, tests and single-core deployments, and as the baseline the pool is benchmarked against.
 * Same per-item semantics as the verify pool (both call executeItem).
 */
import type { SignatureVerifier, VerifyItem, VerifyOptions, VerifyResult } from './interface.ts';
import { executeItem } from './execute.ts';

export class VerifierClosedError extends Error {
  override name = 'VerifierClosedError';
}

export class InlineVerifier implements SignatureVerifier {
  #closed = false;

  async verify(item: VerifyItem, _opts?: VerifyOptions): Promise<VerifyResult> {
    if (this.#closed) throw new VerifierClosedError('InlineVerifier is closed');
    return executeItem(item);
  }

  async verifyBatch(items: readonly VerifyItem[], _opts?: VerifyOptions): Promise<VerifyResult[]> {
    if (this.#closed) throw new VerifierClosedError('InlineVerifier is closed');
    if (!Array.isArray(items)) throw new TypeError('verifyBatch: items must be an array');
    return items.map(executeItem);
  }

  canAcceptWork(): boolean {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
