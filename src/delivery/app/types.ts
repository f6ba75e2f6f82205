/**
 * Delivery blocks and transactions. A block is the value Tendermint decides: its time, the
 * precommits of the previous height (they carry the side-transaction votes, as BTTC's LastCommit
 * does) and the transactions. Addresses and hashes are lower-case 0x-hex, as in the validator and
 * checkpoint records they end up in.
 */
import type { Checkpoint } from '../../protocol/checkpoint/checkpoint.ts';

export const TxType = {
  Staking: 1,
  Checkpoint: 2,
  CheckpointAck: 3,
  CheckpointNoAck: 4,
  Span: 5,
  EventRecord: 6,
} as const;
export type TxType = (typeof TxType)[keyof typeof TxType];

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

export const StakingKind = { Join: 1, Exit: 2, SignerUpdate: 3, StakeUpdate: 4 } as const;
export type StakingKind = (typeof StakingKind)[keyof typeof StakingKind];

export interface StakingTx {
  type: typeof TxType.Staking;
  ref: EventRef;
  kind: StakingKind;
  validatorId: number;
  nonce: number;
  /** New signer (join, signer update); the zero address otherwise. */
  signer: string;
  /** 65-byte uncompressed key (join, signer update), '0x' otherwise. */
  pubKey: string;
  /** Activation epoch (join) or deactivation epoch (exit); 0 otherwise. */
  epoch: number;
  /** Staked amount in wei (join, stake update); BTTC keeps voting power at 1 whatever the stake. */
  amount: bigint;
}

export interface CheckpointTx {
  type: typeof TxType.Checkpoint;
  rootChainId: number;
  checkpoint: Checkpoint;
}

/** The root chain's NewHeaderBlock, mirrored. */
export interface CheckpointAckTx {
  type: typeof TxType.CheckpointAck;
  ref: EventRef;
  headerBlockId: bigint;
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
}

export interface CheckpointNoAckTx {
  type: typeof TxType.CheckpointNoAck;
  rootChainId: number;
}

export interface SpanTx {
  type: typeof TxType.Span;
  spanId: number;
  startBlock: number;
  endBlock: number;
  /** 32-byte root-chain block hash the producers are drawn from. */
  seed: string;
  bttcChainId: number;
}

/** A StateSender StateSynced event. */
export interface EventRecordTx {
  type: typeof TxType.EventRecord;
  ref: EventRef;
  /** The StateSender's own counter on that root chain. */
  stateId: bigint;
  contract: string;
  data: string;
}

export type DeliveryTx = StakingTx | CheckpointTx | CheckpointAckTx | CheckpointNoAckTx | SpanTx | EventRecordTx;

/** Transactions whose effect waits for 2/3+1 Yes votes of the validators (BTTC side transactions). */
export function isSideTx(tx: DeliveryTx): boolean {
  return tx.type !== TxType.CheckpointNoAck;
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
