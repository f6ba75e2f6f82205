/**
 * What the consensus engine needs from the rest of the node, as small interfaces so the simulation
 * can plug in fakes (virtual clock, in-memory transport) and the node its real modules.
 */
import type { Commit, Proposal, Vote, VoteType } from './types.ts';

export interface ConsensusValidator {
  /** 20-byte signer address. */
  address: Uint8Array;
  /** 33- or 65-byte secp256k1 public key. */
  publicKey: Uint8Array;
  votingPower: number;
}

/** The validator set that decides one height. */
export interface ValidatorSetView {
  readonly validators: readonly ConsensusValidator[];
  readonly totalVotingPower: number;
  /** By lower-case 0x-hex address. */
  getByAddress(addressHex: string): ConsensusValidator | undefined;
  /** proposer(h, r): the set's priority rotation advanced `round` times from this height's start. */
  proposer(round: number): ConsensusValidator;
}

/**
 * The application (Delivery's modules) seen by consensus: propose a value, validate a value, commit a
 * value. Side-transaction votes (BTTC's checkpoint Yes with its signature) ride in precommits as vote
 * extensions and reach the application inside the commit.
 */
export interface Application {
  /** The set deciding `height`; known once `height − 1` is committed. */
  validatorSet(height: number): ValidatorSetView;
  /** getValue() of the algorithm: a fresh value to propose. */
  proposeValue(height: number, round: number): Promise<Uint8Array> | Uint8Array;
  /**
   * True when proposing `value` for `height` may wait (the empty-block interval): it carries nothing
   * and no earlier height waits on the next ones (side-tx votes and tallies, a changed state to prove).
   * Omitted: never wait.
   */
  canWaitToPropose?(height: number, value: Uint8Array): boolean;
  /** valid(v): must be deterministic, every correct validator has to agree on it. */
  validateValue(height: number, value: Uint8Array): Promise<boolean> | boolean;
  /** Side-transaction votes for our precommit of `value`; omit or return empty for none. */
  extendVote?(height: number, round: number, value: Uint8Array): Uint8Array;
  /** A received non-nil precommit's extension; false drops the precommit (CometBFT's rule). */
  verifyVoteExtension?(height: number, validator: Uint8Array, valueId: Uint8Array, extension: Uint8Array): boolean;
  /**
   * A valid precommit for the decided value of `height` (the last committed) that arrived after the
   * decision; true when the app keeps it (it carries it in its next proposal), false to drop it.
   */
  lateCommitVote?(height: number, vote: Vote): boolean;
  /** The decided value and its proof. When the returned promise settles, the height is durable in the app. */
  commitValue(height: number, value: Uint8Array, commit: Commit): Promise<void> | void;
}

/** Time source and timers. Simulations use a virtual clock, so no real timer ever runs there. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Consensus gossip. In-memory for simulation, libp2p gossipsub in real runs. */
export interface ConsensusTransport {
  /** This node's peer id, as other peers see it in `from`. */
  readonly peerId: string;
  /** To every peer except ourselves. Fire and forget: delivery is not guaranteed. */
  broadcast(data: Uint8Array): void;
  sendTo(peerId: string, data: Uint8Array): void;
  /** Returns an unsubscribe function. */
  subscribe(handler: (from: string, data: Uint8Array) => void): () => void;
}

/** Write-ahead log records: our own signed messages, our lock, and the end of each decided height. */
export type WalRecord = { type: 'message'; bytes: Uint8Array } | { type: 'lock'; height: number; round: number; value: Uint8Array } | { type: 'end-height'; height: number };

export interface Wal {
  /** Resolves once the record is durable (fsynced): only then may the message leave the node. */
  append(record: WalRecord): Promise<void>;
  /**
   * Queues a record that only matters once a later record is durable (a lock, revealed by the
   * precommit appended right after it; a height's end): it reaches the disk in the same write and
   * sync as the next `append`, or at `readAll`/`close`. A crash before then loses it, and nothing
   * that depends on it was sent.
   */
  stage(record: WalRecord): void;
  /** Every intact record in order; a torn tail (crash mid-write) is dropped, corruption elsewhere throws. */
  readAll(): Promise<WalRecord[]>;
  /** Drops records of heights below `height` (after a commit); implementations may do it lazily. */
  prune(height: number): Promise<void>;
  close(): Promise<void>;
}

/** Two validly signed, different votes by one validator for the same height, round and step. */
export interface Evidence {
  validator: Uint8Array;
  height: number;
  round: number;
  step: VoteType;
  voteA: Vote;
  voteB: Vote;
}

export interface EvidenceStore {
  add(evidence: Evidence): Promise<void>;
  list(): Promise<Evidence[]>;
}

export interface ConsensusTimeouts {
  propose: number;
  proposeDelta: number;
  prevote: number;
  prevoteDelta: number;
  precommit: number;
  precommitDelta: number;
  /** Pause after a decision before round 0 of the next height (CometBFT's timeout_commit). */
  commit: number;
}

export interface ConsensusOptions {
  chainId: string;
  /**
   * 32-byte secp256k1 signer key; its address must be in the validator set to vote. Null runs an
   * observer (a follower node): it decides heights from others' proposals and precommits and
   * never proposes, votes or signs anything.
   */
  secretKey: Uint8Array | null;
  /** The first undecided height (the application's last committed height + 1). */
  startHeight: number;
  timeouts?: Partial<ConsensusTimeouts>;
  /** How often our own messages for the current height are sent again (gossip is lossy). ms. */
  gossipIntervalMs?: number;
  /** Signatures verified per verifyBatch call at most. */
  maxBatch?: number;
  /** Decided heights kept to help lagging peers catch up. */
  commitHistory?: number;
  /**
   * CometBFT's create_empty_blocks_interval, ms: a proposer with nothing to carry waits up to this
   * long after round 0 begins before proposing an empty height (0, the default: never waits). The
   * other validators' round-0 propose timeout grows by the same amount.
   */
  emptyBlockIntervalMs?: number;
}

export type { Proposal, Vote, Commit };
