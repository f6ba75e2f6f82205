/**
 * The simulation's application: values name their height, round and proposer (so two proposals
 * never collide by accident and a wrong commit is visible), and every precommit carries a side
 * vote ("Yes" for that height) the way BTTC's checkpoint votes ride in precommits.
 */
import { bytesToHex, equalBytes } from '../../../util/bytes.ts';
import type { Application, ValidatorSetView } from '../interface.ts';
import type { Commit } from '../types.ts';
import { isQuorum } from '../../../protocol/quorum.ts';
import type { SimValidators } from './validators.ts';

export class SimApp implements Application {
  readonly committed = new Map<number, Uint8Array>();
  /** Side votes seen in each commit (Yes count). */
  readonly sideVotes = new Map<number, number>();
  lastHeight = 0;
  /** Transactions waiting to be carried (tests add them); a commit carries them all. While > 0, proposals never wait. */
  pendingTxs = 0;
  private readonly address: Uint8Array;
  private readonly valueSize: number;
  private readonly validators: SimValidators;

  constructor(opts: { address: Uint8Array; valueSize?: number }, deps: { validators: SimValidators }) {
    this.address = opts.address;
    this.valueSize = Math.max(36, opts.valueSize ?? 64);
    this.validators = deps.validators;
  }

  validatorSet(height: number): ValidatorSetView {
    return this.validators.at(height);
  }

  proposeValue(height: number, round: number): Uint8Array {
    const v = new Uint8Array(this.valueSize);
    const dv = new DataView(v.buffer);
    dv.setBigUint64(0, BigInt(height));
    dv.setUint32(8, round);
    v.set(this.address, 12);
    return v;
  }

  /** An empty proposal may wait out the empty-block interval. */
  canWaitToPropose(): boolean {
    return this.pendingTxs === 0;
  }

  validateValue(height: number, value: Uint8Array): boolean {
    return value.length >= 36 && new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0) === BigInt(height);
  }

  extendVote(height: number): Uint8Array {
    const e = new Uint8Array(9);
    e[0] = 1;
    new DataView(e.buffer).setBigUint64(1, BigInt(height));
    return e;
  }

  verifyVoteExtension(height: number, _validator: Uint8Array, _valueId: Uint8Array, ext: Uint8Array): boolean {
    return ext.length === 9 && ext[0] === 1 && new DataView(ext.buffer, ext.byteOffset, 9).getBigUint64(1) === BigInt(height);
  }

  commitValue(height: number, value: Uint8Array, commit: Commit): void {
    if (height !== this.lastHeight + 1) throw new Error(`SimApp: commit of height ${height} after ${this.lastHeight}`);
    // The proof must hold: > 2/3 of power precommitting this value, each from a distinct validator.
    const set = this.validators.at(height);
    const seen = new Set<string>();
    let power = 0;
    for (const v of commit.precommits) {
      const hex = bytesToHex(v.validator);
      if (seen.has(hex) || !v.valueId || !equalBytes(v.valueId, commit.proposal.valueId)) throw new Error(`SimApp: bad precommit in the commit of height ${height}`);
      seen.add(hex);
      power += set.getByAddress(hex)?.votingPower ?? 0;
    }
    if (!isQuorum(power, set.totalVotingPower)) throw new Error(`SimApp: commit of height ${height} has only ${power}/${set.totalVotingPower} power`);
    this.committed.set(height, value);
    this.sideVotes.set(height, commit.precommits.filter((v) => v.extension.length > 0).length);
    this.lastHeight = height;
    this.pendingTxs = 0;
  }
}
