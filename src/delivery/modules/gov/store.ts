/**
 * The gov module's records: each proposal's ballot stream in inclusion order (`deliveryGovBallot`,
 * proposal id ‖ index → the ballot as included) and its approved tally (`deliveryGovTally`). Written
 * only through batch operations of the block that includes or approves them.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { bytesCodec, jsonCodec, Repository, u32Codec, type Codec } from '../../../db/repository.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../../../util/bytes.ts';
import type { RefusalCode } from '../../../gov/tally.ts';

/** The stream of ballots that name no mirrored proposal or do not parse. */
export const UNATTRIBUTED = `0x${'00'.repeat(32)}`;

export interface StoredBallot {
  index: number;
  height: number;
  /** The submitted JSON value; the raw text when it did not parse as JSON. */
  json: unknown;
  /** Decided at inclusion (malformed, unknown-proposal, closed); null: judged at the tally. */
  refusal: { code: RefusalCode; detail: string } | null;
}

export interface StoredTally {
  proposalId: string;
  /** Delivery heights: ballots above `closeHeight` are `closed`; the tally was approved at `height`. */
  closeHeight: number;
  height: number;
  /** tallyJson (src/gov/tally.ts) plus the record fields. */
  tally: Record<string, unknown>;
  /** The 12-word data Governor.submitTally takes, 0x-hex. */
  data: string;
  signatures: { signer: string; signature: string }[];
  /** The validator (the Delivery proposer when approved) that submits it. */
  submitter: string;
  counted: { voter: string; support: number; power: string; nonce: string; ballotHash: string; index: number }[];
  refusals: Record<string, unknown>[];
  /** Set once the Governor's TallyAnchored comes back through the watcher. */
  anchored: { txHash: string; blockNumber: number; outcome: number; signed: string; height: number } | null;
}

interface BallotKey {
  proposalId: string;
  index: number;
}

const ballotKeyCodec: Codec<BallotKey> = {
  encode: (k) => concatBytes(hexToBytes(k.proposalId), u32Codec.encode(k.index)),
  decode: (b) => ({ proposalId: bytesToHex(b.subarray(0, 32)), index: u32Codec.decode(b.subarray(32)) }),
};
const idCodec: Codec<string> = { encode: (id) => hexToBytes(id), decode: (b) => bytesToHex(b) };

export class GovStore {
  private readonly ballots: Repository<BallotKey, StoredBallot>;
  private readonly tallies: Repository<string, StoredTally>;

  constructor(db: KeyValueStore) {
    this.ballots = new Repository(db, BUCKETS.deliveryGovBallot, ballotKeyCodec, jsonCodec<StoredBallot>());
    this.tallies = new Repository(db, BUCKETS.deliveryGovTally, idCodec, jsonCodec<StoredTally>());
  }

  putBallotOp(proposalId: string, b: StoredBallot): BatchOp {
    return this.ballots.putOp({ proposalId, index: b.index }, b);
  }

  /** A proposal's stream (or the unattributed one) in inclusion order. */
  async ballotsOf(proposalId: string): Promise<StoredBallot[]> {
    const out: StoredBallot[] = [];
    for await (const b of this.ballots.values({ prefix: bytesCodec.encode(hexToBytes(proposalId)) })) out.push(b);
    return out;
  }

  putTallyOp(t: StoredTally): BatchOp {
    return this.tallies.putOp(t.proposalId, t);
  }

  async tally(proposalId: string): Promise<StoredTally | null> {
    return (await this.tallies.get(proposalId)) ?? null;
  }

  async allTallies(): Promise<StoredTally[]> {
    const out: StoredTally[] = [];
    for await (const t of this.tallies.values()) out.push(t);
    return out;
  }
}
