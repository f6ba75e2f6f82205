/**
 * Checkpoint's slice of the Delivery state: one checkpoint line per root chain (its ack count, the
 * end of its last acked range, the approved checkpoint waiting for its ack) and the last no-ack.
 * The staking chain's ack count is Delivery's epoch: staking and span read it through here.
 * A root chain other than the staking chain also has a sync line: how many of its checkpoints the
 * staking chain's StakeManager has taken as sync records, and the approved record waiting for that.
 */
import type { NodeConfig } from '../../../config/types.ts';
import type { Checkpoint } from '../../../protocol/checkpoint/checkpoint.ts';
import type { CheckpointSync } from '../../../protocol/checkpoint/checkpoint-sync.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';

export interface BufferedCheckpoint {
  checkpoint: Checkpoint;
  /** Accepted Yes signatures, sorted by signer (root-chain order). */
  signatures: { signer: string; signature: string }[];
  /** Delivery block time (ms) and height at which the checkpoint was approved. */
  time: number;
  height: number;
}

/** An approved checkpoint-sync record waiting for the staking chain's CheckpointSyncAck. */
export interface BufferedCheckpointSync {
  sync: CheckpointSync;
  /** Accepted Yes signatures over the record, sorted by signer (root-chain order). */
  signatures: { signer: string; signature: string }[];
  /** The checkpoint proposer when the record was approved: it submits the record (BTTC: the current proposer). */
  submitter: string;
  /** Delivery block time (ms) and height at which it was approved. */
  time: number;
  height: number;
}

/** A non-staking root chain's checkpoints as synced to the staking chain. */
export interface CheckpointSyncLine {
  /** Checkpoints of this chain the staking chain acked as sync records (they are numbered 1, 2, …). */
  count: number;
  buffer: BufferedCheckpointSync | null;
}

/** One root chain's checkpoint line: Delivery keeps a separate sequence per root chain. */
export interface CheckpointTrack {
  rootChainId: number;
  ackCount: number;
  /** End block of the last acked checkpoint; null before the first. */
  lastEnd: number | null;
  /** Delivery block time (ms) of the last ack (genesis time before the first). */
  lastAckTime: number;
  buffer: BufferedCheckpoint | null;
  /**
   * Absent until the first sync record of this chain is approved (and always on the staking chain's
   * own track), so snapshots of networks that never synced, and those written before syncs
   * existed, read the same.
   */
  sync?: CheckpointSyncLine;
}

export interface CheckpointState {
  tracks: CheckpointTrack[];
  lastNoAckTime: number;
}

export const CHECKPOINT_STATE: StateSlot<CheckpointState> = {
  module: 'checkpoint',
  keys: ['tracks', 'lastNoAckTime'],
  toJson: (s: CheckpointState) => ({ tracks: s.tracks.map((t) => structuredClone(t)), lastNoAckTime: s.lastNoAckTime }),
  fromJson: (j: Readonly<Record<string, unknown>>) => ({ tracks: (j.tracks as CheckpointTrack[]).map((t) => structuredClone(t)), lastNoAckTime: j.lastNoAckTime as number }),
  clone: (s: CheckpointState) => ({ tracks: s.tracks.map((t) => structuredClone(t)), lastNoAckTime: s.lastNoAckTime }),
};

export function genesisCheckpointState(config: NodeConfig, time: number): CheckpointState {
  return { tracks: config.rootChains.map((c) => ({ rootChainId: c.id, ackCount: 0, lastEnd: null, lastAckTime: time, buffer: null })), lastNoAckTime: time };
}

export function checkpointOf(s: DeliveryState): CheckpointState {
  return s.get(CHECKPOINT_STATE);
}

export function trackOf(s: DeliveryState, rootChainId: number): CheckpointTrack | undefined {
  return checkpointOf(s).tracks.find((t) => t.rootChainId === rootChainId);
}

/** A configured root chain's track; the staking chain always has one (config requires it). */
export function requireTrack(s: DeliveryState, rootChainId: number): CheckpointTrack {
  const t = trackOf(s, rootChainId);
  if (!t) throw new Error(`delivery state: no checkpoint track for root chain ${rootChainId}`);
  return t;
}

/** Checkpoints acked on the staking chain: Delivery's epoch (validator activation and exit count in it). */
export function stakingAckCount(s: DeliveryState, stakingChainId: number): number {
  return requireTrack(s, stakingChainId).ackCount;
}

/** Checkpoints of this chain synced to the staking chain so far. */
export function syncedCount(t: CheckpointTrack): number {
  return t.sync?.count ?? 0;
}

/** The approved sync record of this chain waiting for its ack, if any. */
export function syncBuffer(t: CheckpointTrack): BufferedCheckpointSync | null {
  return t.sync?.buffer ?? null;
}

/** The track's sync line, created on first use (only while applying a block: it changes the state). */
export function syncLineOf(t: CheckpointTrack): CheckpointSyncLine {
  t.sync ??= { count: 0, buffer: null };
  return t.sync;
}
