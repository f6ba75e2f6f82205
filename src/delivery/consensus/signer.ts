/**
 * The validator's signing key behind a double-sign guard. Every signature is written to the WAL and
 * fsynced before it is returned (so before it can be sent); the guard is rebuilt from the WAL on
 * restart. It refuses to sign a different message for a height/round/step it already signed, and to
 * go back to an earlier height/round/step (CometBFT's FilePV rule); asked to sign the same thing
 * again it hands back the stored message, byte for byte.
 */
import { signRsv, publicKeyCreate } from '../../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../crypto/address.ts';
import { bytesToHex, equalBytes } from '../../util/bytes.ts';
import { decodeMessages, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from './codec.ts';
import type { Wal, WalRecord } from './interface.ts';
import { MsgType, type Proposal, type Vote, type VoteType } from './types.ts';

export class DoubleSignError extends Error {
  override name = 'DoubleSignError';
}

type Signed = { kind: 'proposal'; proposal: Proposal; bytes: Uint8Array } | { kind: 'vote'; vote: Vote; bytes: Uint8Array };

function hrsKey(h: number, r: number, step: number): string {
  return `${h}/${r}/${step}`;
}

function hrsCompare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export class VoteSigner {
  readonly address: Uint8Array;
  readonly addressHex: string;
  readonly publicKey: Uint8Array;
  private readonly chainId: string;
  private readonly secretKey: Uint8Array;
  private readonly wal: Wal;
  private readonly signed = new Map<string, Signed>();
  private last: [number, number, number] = [-1, -1, -1];

  constructor(opts: { chainId: string; secretKey: Uint8Array }, deps: { wal: Wal }) {
    this.chainId = opts.chainId;
    this.secretKey = opts.secretKey;
    this.wal = deps.wal;
    this.publicKey = publicKeyCreate(opts.secretKey, false);
    this.address = addressFromPublicKey(this.publicKey);
    this.addressHex = bytesToHex(this.address);
  }

  /** Rebuilds the guard from WAL records (our own signed messages). */
  restore(records: readonly WalRecord[]): void {
    for (const r of records) {
      if (r.type !== 'message') continue;
      for (const m of decodeMessages(r.bytes)) {
        if (m.kind === 'proposal') this.remember({ kind: 'proposal', proposal: m.proposal, bytes: r.bytes }, m.proposal.height, m.proposal.round, MsgType.Proposal);
        else this.remember({ kind: 'vote', vote: m.vote, bytes: r.bytes }, m.vote.height, m.vote.round, m.vote.type);
      }
    }
  }

  /** What we signed at this height/round/step, if anything. */
  signedAt(height: number, round: number, step: number): Signed | undefined {
    return this.signed.get(hrsKey(height, round, step));
  }

  /** Signed messages of one height, in signing order (for re-gossip after a restart). */
  signedAtHeight(height: number): Signed[] {
    const out: Signed[] = [];
    for (const s of this.signed.values()) if ((s.kind === 'proposal' ? s.proposal.height : s.vote.height) === height) out.push(s);
    return out;
  }

  /** Forgets heights below `height` (the WAL is pruned the same way). */
  forgetBelow(height: number): void {
    for (const [k, s] of this.signed) if ((s.kind === 'proposal' ? s.proposal.height : s.vote.height) < height) this.signed.delete(k);
  }

  async signProposal(p: { height: number; round: number; validRound: number; value: Uint8Array }): Promise<{ proposal: Proposal; bytes: Uint8Array }> {
    const valueId = valueIdOf(p.value);
    const prior = this.check(p.height, p.round, MsgType.Proposal, (s) => s.kind === 'proposal' && equalBytes(s.proposal.valueId, valueId) && s.proposal.validRound === p.validRound);
    if (prior?.kind === 'proposal') return { proposal: prior.proposal, bytes: prior.bytes };
    const signature = signRsv(proposalDigest(this.chainId, { ...p, valueId }), this.secretKey);
    const proposal: Proposal = { height: p.height, round: p.round, validRound: p.validRound, proposer: this.address, value: p.value, valueId, signature };
    const bytes = encodeProposal(proposal);
    await this.wal.append({ type: 'message', bytes });
    this.remember({ kind: 'proposal', proposal, bytes }, p.height, p.round, MsgType.Proposal);
    return { proposal, bytes };
  }

  async signVote(v: { type: VoteType; height: number; round: number; valueId: Uint8Array | null; extension?: Uint8Array }): Promise<{ vote: Vote; bytes: Uint8Array }> {
    const sameValue = (s: Signed): boolean => s.kind === 'vote' && (s.vote.valueId === null ? v.valueId === null : v.valueId !== null && equalBytes(s.vote.valueId, v.valueId));
    // Same vote again (after a restart): return the stored one, even if the extension would now differ.
    const prior = this.check(v.height, v.round, v.type, sameValue);
    if (prior?.kind === 'vote') return { vote: prior.vote, bytes: prior.bytes };
    const extension = v.extension ?? new Uint8Array(0);
    const signature = signRsv(voteDigest(this.chainId, { ...v, extension }), this.secretKey);
    const vote: Vote = { type: v.type, height: v.height, round: v.round, valueId: v.valueId, validator: this.address, extension, signature };
    const bytes = encodeVote(vote);
    await this.wal.append({ type: 'message', bytes });
    this.remember({ kind: 'vote', vote, bytes }, v.height, v.round, v.type);
    return { vote, bytes };
  }

  private check(h: number, r: number, step: number, same: (s: Signed) => boolean): Signed | undefined {
    const prior = this.signed.get(hrsKey(h, r, step));
    if (prior) {
      if (same(prior)) return prior;
      throw new DoubleSignError(`refusing to sign a different ${stepName(step)} at height ${h} round ${r}: one was already signed`);
    }
    if (hrsCompare([h, r, step], this.last) < 0) {
      throw new DoubleSignError(`refusing to sign ${stepName(step)} at height ${h} round ${r}: already signed at height ${this.last[0]} round ${this.last[1]} step ${stepName(this.last[2])}`);
    }
    return undefined;
  }

  private remember(s: Signed, h: number, r: number, step: number): void {
    this.signed.set(hrsKey(h, r, step), s);
    if (hrsCompare([h, r, step], this.last) > 0) this.last = [h, r, step];
  }
}

export function stepName(step: number): string {
  return step === MsgType.Proposal ? 'proposal' : step === MsgType.Prevote ? 'prevote' : step === MsgType.Precommit ? 'precommit' : `step ${step}`;
}
