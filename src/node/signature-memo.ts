/**
 * Gossip validation checks a signature before a message is relayed, and the module that consumes
 * the message then checks it again: the consensus engine verifies every vote it is handed, the
 * txpool recovers every sender. This wrapper remembers recent successful secp256k1 results, keyed
 * by every input byte, so the second check of the same item is a map lookup instead of a second
 * trip through the verify pool. Only successes are kept (an honest node repeats those; junk is
 * checked once and dropped), in a bounded first-in-first-out memory.
 */
import type { Registry } from 'prom-client';
import { counter } from '../observability/metrics.ts';
import type { SignatureVerifier, VerifyItem, VerifyOptions, VerifyResult } from '../pools/interface.ts';

/** About 3 MB of keys: enough for the few seconds between a gossip check and the consumer's. */
const DEFAULT_ENTRIES = 16_384;

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** The memo key of an item, or null for kinds not remembered (BLS aggregates are rare and large). */
function keyOf(item: VerifyItem): string | null {
  if (item.kind === 'secp256k1-verify') return `v${item.digest.length}:${latin1(item.digest)}${item.signature.length}:${latin1(item.signature)}${latin1(item.publicKey)}`;
  if (item.kind === 'secp256k1-recover') return `r${item.digest.length}:${latin1(item.digest)}${latin1(item.signature)}`;
  return null;
}

export class SignatureMemo implements SignatureVerifier {
  readonly #inner: SignatureVerifier;
  readonly #max: number;
  readonly #memo = new Map<string, VerifyResult>();
  readonly #hits: ReturnType<typeof counter> | null;

  constructor(inner: SignatureVerifier, opts: { maxEntries?: number; metrics?: Registry | null } = {}) {
    this.#inner = inner;
    this.#max = opts.maxEntries ?? DEFAULT_ENTRIES;
    this.#hits = opts.metrics
      ? counter(opts.metrics, 'bttc_verify_memo_hits_total', 'Signature checks answered from the memo of recent results (checked once at gossip validation, again by the consumer)')
      : null;
  }

  async verify(item: VerifyItem, opts?: VerifyOptions): Promise<VerifyResult> {
    return (await this.verifyBatch([item], opts))[0]!;
  }

  async verifyBatch(items: readonly VerifyItem[], opts?: VerifyOptions): Promise<VerifyResult[]> {
    const out: (VerifyResult | undefined)[] = new Array(items.length);
    const keys: (string | null)[] = new Array(items.length);
    const missing: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const k = keyOf(items[i]!);
      keys[i] = k;
      const hit = k === null ? undefined : this.#memo.get(k);
      if (hit) out[i] = hit;
      else missing.push(i);
    }
    if (missing.length < items.length) this.#hits?.inc(items.length - missing.length);
    if (missing.length > 0) {
      const res = await this.#inner.verifyBatch(
        missing.map((i) => items[i]!),
        opts,
      );
      missing.forEach((i, j) => {
        const r = res[j]!;
        out[i] = r;
        const k = keys[i];
        if (r.ok && k != null) this.#remember(k, r);
      });
    }
    return out as VerifyResult[];
  }

  canAcceptWork(): boolean {
    return this.#inner.canAcceptWork();
  }

  close(): Promise<void> {
    this.#memo.clear();
    return this.#inner.close();
  }

  #remember(key: string, r: VerifyResult): void {
    if (this.#memo.has(key)) return;
    if (this.#memo.size >= this.#max) {
      const oldest = this.#memo.keys().next();
      if (!oldest.done) this.#memo.delete(oldest.value);
    }
    this.#memo.set(key, r);
  }
}
