/**
 * Delivery blocks and the shape every transaction shares. A block is the value Tendermint decides:
 * its time, the precommits of the previous height (they carry the side-transaction votes, as BTTC's
 * LastCommit does) and the transactions. Each transaction type belongs to one module
 * (modules/<name>/txs.ts holds its fields and its codec); the app only knows its type byte.
 * Addresses and hashes are lower-case 0x-hex, as in the records they end up in.
 */
import { CHECKPOINT_ACK_TX, CHECKPOINT_NOACK_TX, CHECKPOINT_TX } from '../modules/checkpoint/txs.ts';
import { EVENT_RECORD_TX } from '../modules/clerk/txs.ts';
import { SPAN_TX } from '../modules/span/txs.ts';
import { STAKING_TX } from '../modules/staking/txs.ts';
import type { ValidatorInit } from '../../protocol/validators/validator.ts';
import type { ApplyOutcome } from '../modules/context.ts';

export type { StakingTx } from '../modules/staking/txs.ts';
export { StakingKind } from '../modules/staking/txs.ts';
export type { CheckpointAckTx, CheckpointNoAckTx, CheckpointTx } from '../modules/checkpoint/txs.ts';
export type { SpanTx } from '../modules/span/txs.ts';
export type { EventRecordTx } from '../modules/clerk/txs.ts';

/** Any Delivery transaction: the type byte names the module that owns it (modules/registry.ts). */
export interface DeliveryTx {
  readonly type: number;
}

/**
 * The built-in transaction type bytes by name, for code that names one (node metrics, tests). Each
 * byte is declared by its module; the registry refuses a byte claimed twice.
 */
export const TxType = {
  Staking: STAKING_TX,
  Checkpoint: CHECKPOINT_TX,
  CheckpointAck: CHECKPOINT_ACK_TX,
  CheckpointNoAck: CHECKPOINT_NOACK_TX,
  Span: SPAN_TX,
  EventRecord: EVENT_RECORD_TX,
} as const;

/** Where a root-chain event came from; `sequence` is its replay sequence (spec §6). */
export interface EventRef {
  rootChainId: number;
  /** Staking form `block*100000+logIndex`; the clerk form (×100 + chain id) for event records. */
  sequence: bigint;
  blockNumber: number;
  logIndex: number;
  /** 32-byte 0x-hex. */
  txHash: string;
}

/** A transaction mirroring a root-chain event: it enters through the root-event pool. */
export interface EventTx extends DeliveryTx {
  readonly ref: EventRef;
}

/** One precommit of the previous height, as the block carries it. */
export interface CarriedVote {
  /** 20-byte validator (signer) address. */
  validator: Uint8Array;
  extension: Uint8Array;
  /** 65-byte consensus signature. */
  signature: Uint8Array;
}

export interface LastCommit {
  /** The round the previous height was decided in (its precommits share it). */
  round: number;
  votes: CarriedVote[];
}

export interface DeliveryBlock {
  height: number;
  /** ms since the epoch, strictly increasing. */
  time: number;
  lastCommit: LastCommit;
  txs: DeliveryTx[];
}

export const SideVote = { Yes: 1, No: 2 } as const;
export type SideVote = (typeof SideVote)[keyof typeof SideVote];

/** A validator's verdict on one side transaction of the previous block. */
export interface SideVoteEntry {
  /** Index of the transaction in the previous block. */
  txIndex: number;
  vote: SideVote;
  /** Checkpoint Yes votes: the 65-byte checkpoint signature. Empty otherwise. */
  signature: Uint8Array;
}

/** What a Delivery chain starts from. */
export interface DeliveryGenesis {
  /** Genesis time, ms. */
  time: number;
  /** Validators with their 65-byte public keys (power is forced to 1, BTTC's rule). */
  validators: ValidatorInit[];
}

/** One tx's fate in a committed block: tallied (height − 2), applied on inclusion, or just included. */
export interface TxOutcome {
  height: number;
  index: number;
  type: number;
  outcome: ApplyOutcome | 'included';
  reason?: string;
}
