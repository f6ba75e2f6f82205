/**
 * Header verification against its parent and the Bor rules (spec §8). A rejection carries a code
 * (for metrics and peer scoring) and a reason a person can read. Order follows Bor: cheap field
 * checks first, then the seal (one native recovery, cached), then the turn, difficulty and timing.
 */
import { bytesToHex, equalBytes } from '../../util/bytes.ts';
import { decodeProducers, encodeProducers, isSprintEnd, parseExtra } from './extra.ts';
import { EMPTY_UNCLE_HASH, checkHeaderShape, headerHash } from './header.ts';
import type { SpanProducerSource } from './interface.ts';
import { difficultyFor, earliestTime, gasLimitChangeOk, NotAProducerError, succession } from './rules.ts';
import { SealError, SignerCache } from './seal.ts';
import type { Snapshot } from './snapshot.ts';
import type { BorParams, BttcHeader } from './types.ts';

export type RejectCode =
  | 'malformed'
  | 'unknown-parent'
  | 'future'
  | 'too-early'
  | 'bad-extra'
  | 'bad-fields'
  | 'bad-gas'
  | 'bad-seal'
  | 'not-producer'
  | 'wrong-difficulty'
  | 'wrong-producer-list'
  | 'unknown-span';

export type VerifyResult = { ok: true; signer: Uint8Array; succession: number; hash: Uint8Array } | { ok: false; code: RejectCode; reason: string };

export class HeaderRejectedError extends Error {
  readonly code: RejectCode;
  constructor(code: RejectCode, reason: string) {
    super(reason);
    this.code = code;
  }
}

const ZERO32 = new Uint8Array(32);
const ZERO20 = new Uint8Array(20);
const ZERO8 = new Uint8Array(8);

export interface VerifyContext {
  parent: BttcHeader;
  /** The snapshot after the parent (see SnapshotManager.snapshotAfter). */
  snapshot: Snapshot;
  /** Unix seconds now. */
  now: number;
}

export class HeaderVerifier {
  private readonly params: BorParams;
  private readonly spans: SpanProducerSource;
  readonly signers: SignerCache;

  constructor(params: BorParams, deps: { spans: SpanProducerSource; signers?: SignerCache }) {
    this.params = params;
    this.spans = deps.spans;
    this.signers = deps.signers ?? new SignerCache();
  }

  verify(header: BttcHeader, ctx: VerifyContext): VerifyResult {
    try {
      return this.verifyOrThrow(header, ctx);
    } catch (err) {
      if (err instanceof HeaderRejectedError) return { ok: false, code: err.code, reason: err.message };
      throw err;
    }
  }

  /** Throws HeaderRejectedError with the first rule the header breaks. */
  verifyOrThrow(header: BttcHeader, ctx: VerifyContext): { ok: true; signer: Uint8Array; succession: number; hash: Uint8Array } {
    const { parent, snapshot, now } = ctx;
    const p = this.params;
    const n = header.number;
    const reject = (code: RejectCode, reason: string): never => {
      throw new HeaderRejectedError(code, `block ${n}: ${reason}`);
    };
    try {
      checkHeaderShape(header);
    } catch (err) {
      reject('malformed', (err as Error).message);
    }
    if (header.time > BigInt(now + p.maxFutureBlockTime)) reject('future', `timestamp ${header.time} is ${header.time - BigInt(now)} s in the future (at most ${p.maxFutureBlockTime} s)`);

    const parentHash = headerHash(parent);
    if (n !== parent.number + 1n || !equalBytes(header.parentHash, parentHash)) reject('unknown-parent', `parent ${bytesToHex(header.parentHash)} is not block ${n - 1n} ${bytesToHex(parentHash)}`);
    if (!equalBytes(snapshot.hash, parentHash)) throw new Error(`verify: snapshot is for ${bytesToHex(snapshot.hash)}, not the parent ${bytesToHex(parentHash)}`);

    let producerBytes: Uint8Array;
    try {
      producerBytes = parseExtra(header.extra, n, p.sprint).producerBytes;
    } catch (err) {
      return reject('bad-extra', (err as Error).message);
    }
    if (!equalBytes(header.mixDigest, ZERO32)) reject('bad-fields', 'mixDigest must be zero');
    if (!equalBytes(header.nonce, ZERO8)) reject('bad-fields', 'nonce must be zero');
    if (!equalBytes(header.coinbase, ZERO20)) reject('bad-fields', 'coinbase must be zero (the producer is the seal signer)');
    if (!equalBytes(header.uncleHash, EMPTY_UNCLE_HASH)) reject('bad-fields', 'uncles are not allowed');
    if (header.gasUsed > header.gasLimit) reject('bad-gas', `gasUsed ${header.gasUsed} exceeds gasLimit ${header.gasLimit}`);
    if (!gasLimitChangeOk(parent.gasLimit, header.gasLimit)) reject('bad-gas', `gasLimit ${header.gasLimit} moves too far from the parent's ${parent.gasLimit}`);
    if (header.time < parent.time + BigInt(p.period)) reject('too-early', `timestamp ${header.time} is less than ${p.period} s after the parent's ${parent.time}`);

    const hash = headerHash(header);
    let signer: Uint8Array;
    try {
      signer = this.signers.recover(header, hash);
    } catch (err) {
      if (err instanceof SealError) return reject('bad-seal', err.message);
      throw err;
    }
    let succ: number;
    let expectedDifficulty: bigint;
    try {
      succ = succession(snapshot.set, signer);
      expectedDifficulty = difficultyFor(snapshot.set, signer);
    } catch (err) {
      if (err instanceof NotAProducerError) return reject('not-producer', `signer ${bytesToHex(signer)} is not a producer of this sprint`);
      throw err;
    }
    if (header.difficulty !== expectedDifficulty) reject('wrong-difficulty', `difficulty ${header.difficulty}, expected ${expectedDifficulty} for signer ${bytesToHex(signer)} at succession ${succ}`);
    const earliest = earliestTime(parent.time, n, succ, p);
    if (header.time < earliest) reject('too-early', `timestamp ${header.time} is before ${earliest} (parent ${parent.time} + delay for succession ${succ})`);

    if (isSprintEnd(n, p.sprint)) {
      const expected = this.spans.producersFor(n + 1n);
      if (!expected) reject('unknown-span', `the span of block ${n + 1n} is not known, cannot check the producer list`);
      const expectedBytes = encodeProducers(expected!);
      if (!equalBytes(producerBytes, expectedBytes)) {
        const got = decodeProducers(producerBytes)
          .map((e) => `${bytesToHex(e.address)}:${e.power}`)
          .join(',');
        const want = decodeProducers(expectedBytes)
          .map((e) => `${bytesToHex(e.address)}:${e.power}`)
          .join(',');
        reject('wrong-producer-list', `producer list [${got}] differs from the span's [${want}]`);
      }
    }
    return { ok: true, signer, succession: succ, hash };
  }
}
