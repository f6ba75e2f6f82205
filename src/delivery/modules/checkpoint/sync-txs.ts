/**
 * Checkpoint-sync transactions and their codecs (BTTC's MsgCheckpointSync / MsgCheckpointSyncAck).
 * After a checkpoint is acked on a root chain that is not the staking chain (Ethereum, BSC), its
 * record (proposer, start, end, checkpoint number, root chain) is proposed as a side tx, signed by the
 * validators and submitted to the staking chain's StakeManager; the StakeManager's ack
 * (StakingInfo's CheckpointSyncAck) comes back mirrored as an event tx.
 */
import type { CheckpointSync } from '../../../protocol/checkpoint/checkpoint-sync.ts';
import type { RootEvent } from '../../../root/abi.ts';
import { readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { DeliveryTx, EventRef, EventTx } from '../../app/types.ts';
import { argHex, argNumber } from '../context.ts';
import type { TxCodec } from '../module.ts';

export const CHECKPOINT_SYNC_TX = 7;
export const CHECKPOINT_SYNC_ACK_TX = 8;

/** A sync record for the staking chain: the acked checkpoint `sync.checkpointNumber` of `sync.rootChainId`. */
export interface CheckpointSyncTx extends DeliveryTx {
  type: typeof CHECKPOINT_SYNC_TX;
  sync: CheckpointSync;
}

/** The staking chain's CheckpointSyncAck (from StakingInfo), mirrored. */
export interface CheckpointSyncAckTx extends EventTx {
  type: typeof CHECKPOINT_SYNC_ACK_TX;
  ref: EventRef;
  /** The root chain whose checkpoint was synced (the event's chainId). */
  syncedChainId: number;
  /** Its checkpoint number there (the event's checkpointId). */
  number: number;
  proposer: string;
  start: number;
  end: number;
}

/** rootChainId u8 ‖ checkpointNumber u64 ‖ proposer 20 ‖ start u64 ‖ end u64 */
export const checkpointSyncTxCodec: TxCodec<CheckpointSyncTx> = {
  type: CHECKPOINT_SYNC_TX,
  name: 'checkpoint-sync',
  encode(w: Writer, tx: CheckpointSyncTx): void {
    const s = tx.sync;
    w.u8(s.rootChainId);
    w.u64(s.checkpointNumber);
    w.hex(s.proposer, 20, 'sync proposer');
    w.u64(s.start);
    w.u64(s.end);
  },
  decode(r: Reader): CheckpointSyncTx {
    const rootChainId = r.u8('rootChainId');
    const checkpointNumber = r.num('checkpointNumber');
    return { type: CHECKPOINT_SYNC_TX, sync: { proposer: r.hex(20, 'proposer'), start: r.num('start'), end: r.num('end'), checkpointNumber, rootChainId } };
  },
};

/** ref ‖ syncedChainId u8 ‖ number u64 ‖ proposer 20 ‖ start u64 ‖ end u64 */
export const checkpointSyncAckTxCodec: TxCodec<CheckpointSyncAckTx> = {
  type: CHECKPOINT_SYNC_ACK_TX,
  name: 'checkpoint-sync-ack',
  encode(w: Writer, tx: CheckpointSyncAckTx): void {
    writeRef(w, tx.ref);
    w.u8(tx.syncedChainId);
    w.u64(tx.number);
    w.hex(tx.proposer, 20, 'sync ack proposer');
    w.u64(tx.start);
    w.u64(tx.end);
  },
  decode(r: Reader): CheckpointSyncAckTx {
    return { type: CHECKPOINT_SYNC_ACK_TX, ref: readRef(r), syncedChainId: r.u8('syncedChainId'), number: r.num('number'), proposer: r.hex(20, 'proposer'), start: r.num('start'), end: r.num('end') };
  },
};

/**
 * StakingInfo's CheckpointSyncAck(proposer, chainId, checkpointId, start, end) on the staking chain;
 * null for any other event, and for one from another root chain (only the staking chain's
 * StakeManager takes sync records, so an ack elsewhere says nothing about them).
 */
export function syncAckTxFromEvent(ev: RootEvent, stakingChainId: number): CheckpointSyncAckTx | null {
  if (ev.contract !== 'StakeManager' || ev.name !== 'CheckpointSyncAck' || ev.rootChainId !== stakingChainId) return null;
  const a = ev.args;
  const chainId = argNumber(a, 'chainId', ev.name);
  // Delivery's root chain ids are one byte (TRON 1, Ethereum 2, BSC 3): anything else is no chain of ours.
  if (chainId > 0xff) return null;
  return {
    type: CHECKPOINT_SYNC_ACK_TX,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    syncedChainId: chainId,
    number: argNumber(a, 'checkpointId', ev.name),
    proposer: argHex(a, 'proposer', ev.name, 20),
    start: argNumber(a, 'start', ev.name),
    end: argNumber(a, 'end', ev.name),
  };
}
