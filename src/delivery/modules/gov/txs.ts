/**
 * The gov module's transactions (issue 18, docs/governance.md):
 *   12 proposal  event  a Governor ProposalCreated mirrored from the staking chain (id, snapshot, deadline)
 *   13 ballot    plain  a signed ballot exactly as submitted (its JSON bytes): included, never judged
 *                       at inclusion except once voting has closed, so every node holds the same set
 *   14 tally     side   the proposer's close of voting: the governor and root chain id of the ballot
 *                       domain, the total power and every ballot voter's power at the snapshot; each
 *                       validator checks them against its own root-chain reads and signs the tally
 *                       record (src/gov/tally-data.ts) they give; ⌊2n/3⌋+1 signatures approve it
 *   15 anchored  event  the Governor's TallyAnchored mirrored back: the tally is on the root chain
 */
import type { RootEvent } from '../../../root/abi.ts';
import { keccak256 } from '../../../crypto/keccak.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { DeliveryCodecError, readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { DeliveryTx, EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex, argNumber } from '../context.ts';
import type { TxCodec } from '../module.ts';

export const GOV_PROPOSAL_TX = 12;
export const GOV_BALLOT_TX = 13;
export const GOV_TALLY_TX = 14;
export const GOV_ANCHORED_TX = 15;

/** A ballot's JSON is small (reason ≤ 256 bytes): anything much larger is not a ballot and is not carried. */
export const MAX_BALLOT_BYTES = 2048;
/** Voters one tally carries (bounded by the block size; the devnet and the flow test use a handful). */
export const MAX_TALLY_VOTERS = 20_000;

export interface GovProposalTx extends EventTx {
  type: typeof GOV_PROPOSAL_TX;
  ref: EventRef;
  /** 0x-hex, 32 bytes. */
  proposalId: string;
  proposer: string;
  /** Root-chain block numbers: power is read at `snapshot`, voting closes after `deadline`. */
  snapshot: number;
  deadline: number;
}

export interface GovBallotTx extends DeliveryTx {
  type: typeof GOV_BALLOT_TX;
  /** The ballot JSON as submitted (UTF-8): judged by src/gov/tally.ts, malformed ones included. */
  body: Uint8Array;
}

export interface VoterPower {
  voter: string;
  power: bigint;
}

export interface GovTallyTx extends DeliveryTx {
  type: typeof GOV_TALLY_TX;
  proposalId: string;
  /** The ballot domain and the tally record's first two words. */
  governor: string;
  chainId: bigint;
  /** getPastTotalSupply(snapshot). */
  totalPower: bigint;
  /** getPastVotes(voter, snapshot) of every voter named by a ballot of this proposal, ascending by voter. */
  powers: VoterPower[];
}

export const govProposalTxCodec: TxCodec<GovProposalTx> = {
  type: GOV_PROPOSAL_TX,
  name: 'gov-proposal',
  encode(w: Writer, tx: GovProposalTx): void {
    writeRef(w, tx.ref);
    w.hex(tx.proposalId, 32, 'proposalId');
    w.hex(tx.proposer, 20, 'proposer');
    w.u64(tx.snapshot);
    w.u64(tx.deadline);
  },
  decode(r: Reader): GovProposalTx {
    return { type: GOV_PROPOSAL_TX, ref: readRef(r), proposalId: r.hex(32, 'proposalId'), proposer: r.hex(20, 'proposer'), snapshot: r.num('snapshot'), deadline: r.num('deadline') };
  },
};

export const govBallotTxCodec: TxCodec<GovBallotTx> = {
  type: GOV_BALLOT_TX,
  name: 'gov-ballot',
  encode(w: Writer, tx: GovBallotTx): void {
    if (tx.body.length > MAX_BALLOT_BYTES) throw new DeliveryCodecError(`gov ballot: ${tx.body.length} bytes exceeds ${MAX_BALLOT_BYTES}`);
    w.var32(tx.body);
  },
  decode(r: Reader): GovBallotTx {
    return { type: GOV_BALLOT_TX, body: r.var32('ballot', MAX_BALLOT_BYTES) };
  },
};

export const govTallyTxCodec: TxCodec<GovTallyTx> = {
  type: GOV_TALLY_TX,
  name: 'gov-tally',
  encode(w: Writer, tx: GovTallyTx): void {
    w.hex(tx.proposalId, 32, 'proposalId');
    w.hex(tx.governor, 20, 'governor');
    w.u256(tx.chainId);
    w.u256(tx.totalPower);
    if (tx.powers.length > MAX_TALLY_VOTERS) throw new DeliveryCodecError(`gov tally: ${tx.powers.length} voters exceeds ${MAX_TALLY_VOTERS}`);
    w.u32(tx.powers.length);
    for (const p of tx.powers) {
      w.hex(p.voter, 20, 'voter');
      w.u256(p.power);
    }
  },
  decode(r: Reader): GovTallyTx {
    const proposalId = r.hex(32, 'proposalId');
    const governor = r.hex(20, 'governor');
    const chainId = r.u256('chainId');
    const totalPower = r.u256('totalPower');
    const n = r.u32('voter count');
    if (n > MAX_TALLY_VOTERS) throw new DeliveryCodecError(`gov tally: ${n} voters exceeds ${MAX_TALLY_VOTERS}`);
    const powers: VoterPower[] = [];
    for (let i = 0; i < n; i++) powers.push({ voter: r.hex(20, 'voter'), power: r.u256('power') });
    return { type: GOV_TALLY_TX, proposalId, governor, chainId, totalPower, powers };
  },
};

export function refOf(ev: RootEvent): EventRef {
  return { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() };
}

/** The Delivery tx mirroring a Governor ProposalCreated, or null for any other event. */
export function proposalTxFromEvent(ev: RootEvent): GovProposalTx | null {
  if (ev.contract !== 'Governor' || ev.name !== 'ProposalCreated') return null;
  const a = ev.args;
  const id = argBigInt(a, 'proposalId', ev.name);
  return {
    type: GOV_PROPOSAL_TX,
    ref: refOf(ev),
    proposalId: `0x${id.toString(16).padStart(64, '0')}`,
    proposer: argHex(a, 'proposer', ev.name, 20),
    snapshot: argNumber(a, 'voteStart', ev.name),
    deadline: argNumber(a, 'voteEnd', ev.name),
  };
}

/** One per block: the same bytes twice are one ballot. */
export function ballotKey(tx: GovBallotTx): string {
  return `gov-ballot/${bytesToHex(keccak256(tx.body))}`;
}

export interface GovAnchoredTx extends EventTx {
  type: typeof GOV_ANCHORED_TX;
  ref: EventRef;
  proposalId: string;
  manifestRoot: string;
  /** Governor.outcome's code (src/gov/tally.ts OUTCOMES order). */
  outcome: number;
  /** Signatures the Governor counted. */
  signed: bigint;
}

export const govAnchoredTxCodec: TxCodec<GovAnchoredTx> = {
  type: GOV_ANCHORED_TX,
  name: 'gov-anchored',
  encode(w: Writer, tx: GovAnchoredTx): void {
    writeRef(w, tx.ref);
    w.hex(tx.proposalId, 32, 'proposalId');
    w.hex(tx.manifestRoot, 32, 'manifestRoot');
    w.u8(tx.outcome);
    w.u256(tx.signed);
  },
  decode(r: Reader): GovAnchoredTx {
    return { type: GOV_ANCHORED_TX, ref: readRef(r), proposalId: r.hex(32, 'proposalId'), manifestRoot: r.hex(32, 'manifestRoot'), outcome: r.u8('outcome'), signed: r.u256('signed') };
  },
};

/** The Delivery tx mirroring a Governor TallyAnchored, or null for any other event. */
export function anchoredTxFromEvent(ev: RootEvent): GovAnchoredTx | null {
  if (ev.contract !== 'Governor' || ev.name !== 'TallyAnchored') return null;
  const a = ev.args;
  return {
    type: GOV_ANCHORED_TX,
    ref: refOf(ev),
    proposalId: `0x${argBigInt(a, 'proposalId', ev.name).toString(16).padStart(64, '0')}`,
    manifestRoot: argHex(a, 'manifestRoot', ev.name, 32),
    outcome: argNumber(a, 'outcome', ev.name),
    signed: argBigInt(a, 'signed', ev.name),
  };
}
