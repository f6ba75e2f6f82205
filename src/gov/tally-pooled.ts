/**
 * The ballot judge with its signature recovery in the verify pool: same verdicts as judgeBallots
 * (src/gov/tally.ts), for large ballot sets (`audit tally` of an election with 100,000 voters).
 *
 * The stream is cut into chunks. For each chunk the calling thread parses the ballots and computes
 * their EIP-712 digests, then hands the recoveries to the pool and goes on with the next chunk;
 * chunks are judged in stream order as their recoveries come back. So the rules (which depend on
 * order: nonces, replacements) run on this thread while the workers recover later chunks, and only
 * the last chunk's judging is left after the last recovery.
 */
import type { SignatureVerifier, VerifyItem } from '../pools/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { BallotJudge, ballotDigests, type BallotEntry, type JudgeDeps, type Judged, type ProposalInfo } from './tally.ts';

/**
 * Verify pool settings for a tally (`audit tally`, bench/tally.ts): one task per chunk of 1024
 * recoveries. Nothing latency-critical shares the pool, so tasks can be 8× the node's 128; fewer
 * tasks is less messaging and result handling on this thread.
 */
export const TALLY_POOL_OPTIONS = { maxBatchSize: 1024 } as const;

export interface PooledJudgeOptions {
  /** Ballots per chunk (default 1024: ~0.1 s of recoveries, small enough that workers start early). */
  chunkSize?: number;
}

export async function judgeBallotsPooled(
  entries: readonly BallotEntry[],
  proposals: ReadonlyMap<string, ProposalInfo>,
  deps: Pick<JudgeDeps, 'power' | 'domainSeparator'>,
  verifier: SignatureVerifier,
  opts: PooledJudgeOptions = {},
): Promise<Judged> {
  const chunkSize = opts.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`judgeBallotsPooled: chunkSize must be an integer >= 1, got ${chunkSize}`);
  const judge = new BallotJudge(proposals, deps);
  let judged: Promise<void> = Promise.resolve();
  for (let start = 0; start < entries.length; start += chunkSize) {
    // A full pool queue: let the judged chunks catch up before queueing more.
    if (!verifier.canAcceptWork()) await judged;
    const slice = entries.slice(start, start + chunkSize);
    const prepared = ballotDigests(slice, deps.domainSeparator);
    const at: number[] = [];
    const items: VerifyItem[] = [];
    prepared.forEach((p, k) => {
      if (!p) return;
      at.push(k);
      items.push({ kind: 'secp256k1-recover', digest: p.digest, signature: p.signed.signature });
    });
    const recovered = verifier.verifyBatch(items);
    // Awaited in order below; if an earlier chunk fails, this one's rejection must not go unhandled.
    recovered.catch(() => undefined);
    const from = start;
    judged = judged.then(async () => {
      const results = await recovered;
      const signers = new Array<string | null>(slice.length).fill(null);
      results.forEach((r, k) => {
        signers[at[k]!] = r.ok && r.kind === 'secp256k1-recover' ? bytesToHex(r.address) : null;
      });
      // An entry that did not parse (prepared null) is parsed again by the judge so its refusal names the field.
      slice.forEach((e, k) => (prepared[k] ? judge.judge(e, from + k, prepared[k], signers[k]) : judge.judge(e, from + k)));
    });
    // Yield: the pool hands queued tasks to idle workers, and finished chunks get judged, from this
    // thread's event loop; one synchronous pass over every chunk would leave both waiting.
    await new Promise((r) => setImmediate(r));
  }
  await judged;
  return judge.result();
}
