/**
 * Checkpoint transactions and their codecs: a proposed checkpoint (side tx), the root chain's
 * NewHeaderBlock mirrored as an ack (event tx), and a no-ack (plain tx).
 */
import type { Checkpoint } from '../../../protocol/checkpoint/checkpoint.ts';
import type { RootEvent } from '../../../root/abi.ts';
import { readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { DeliveryTx, EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex, argNumber } from '../context.ts';
import type { TxCodec } from '../module.ts';

export const CHECKPOINT_TX = 2;
export const CHECKPOINT_ACK_TX = 3;
export const CHECKPOINT_NOACK_TX = 4;

export interface CheckpointTx extends DeliveryTx {
  type: typeof CHECKPOINT_TX;
  rootChainId: number;
  checkpoint: Checkpoint;
}

/** The root chain's NewHeaderBlock, mirrored. */
export interface CheckpointAckTx extends EventTx {
  type: typeof CHECKPOINT_ACK_TX;
  ref: EventRef;
  headerBlockId: bigint;
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
}

export interface CheckpointNoAckTx extends DeliveryTx {
  type: typeof CHECKPOINT_NOACK_TX;
  rootChainId: number;
}

/** rootChainId u8 ‖ proposer 20 ‖ start u64 ‖ end u64 ‖ rootHash 32 ‖ accountRootHash 32 ‖ borChainId u64 ‖ epoch u64 */
export const checkpointTxCodec: TxCodec<CheckpointTx> = {
  type: CHECKPOINT_TX,
  name: 'checkpoint',
  encode(w: Writer, tx: CheckpointTx): void {
    const c = tx.checkpoint;
    w.u8(tx.rootChainId);
    w.hex(c.proposer, 20, 'checkpoint proposer');
    w.u64(c.start);
    w.u64(c.end);
    w.hex(c.rootHash, 32, 'rootHash');
    w.hex(c.accountRootHash, 32, 'accountRootHash');
    w.u64(c.borChainId);
    w.u64(c.epoch);
  },
  decode(r: Reader): CheckpointTx {
    const rootChainId = r.u8('rootChainId');
    const checkpoint: Checkpoint = {
      proposer: r.hex(20, 'proposer'),
      start: r.num('start'),
      end: r.num('end'),
      rootHash: r.hex(32, 'rootHash'),
      accountRootHash: r.hex(32, 'accountRootHash'),
      borChainId: r.num('borChainId'),
      epoch: r.num('epoch'),
    };
    return { type: CHECKPOINT_TX, rootChainId, checkpoint };
  },
};

/** ref ‖ headerBlockId u64 ‖ proposer 20 ‖ start u64 ‖ end u64 ‖ rootHash 32 */
export const checkpointAckTxCodec: TxCodec<CheckpointAckTx> = {
  type: CHECKPOINT_ACK_TX,
  name: 'checkpoint-ack',
  encode(w: Writer, tx: CheckpointAckTx): void {
    writeRef(w, tx.ref);
    w.u64(tx.headerBlockId);
    w.hex(tx.proposer, 20, 'ack proposer');
    w.u64(tx.start);
    w.u64(tx.end);
    w.hex(tx.rootHash, 32, 'ack rootHash');
  },
  decode(r: Reader): CheckpointAckTx {
    return {
      type: CHECKPOINT_ACK_TX,
      ref: readRef(r),
      headerBlockId: r.u64('headerBlockId'),
      proposer: r.hex(20, 'proposer'),
      start: r.num('start'),
      end: r.num('end'),
      rootHash: r.hex(32, 'rootHash'),
    };
  },
};

/** rootChainId u8 */
export const checkpointNoAckTxCodec: TxCodec<CheckpointNoAckTx> = {
  type: CHECKPOINT_NOACK_TX,
  name: 'checkpoint-noack',
  encode(w: Writer, tx: CheckpointNoAckTx): void {
    w.u8(tx.rootChainId);
  },
  decode(r: Reader): CheckpointNoAckTx {
    return { type: CHECKPOINT_NOACK_TX, rootChainId: r.u8('rootChainId') };
  },
};

export function ackTxFromEvent(ev: RootEvent): CheckpointAckTx | null {
  if (ev.contract !== 'RootChain' || ev.name !== 'NewHeaderBlock') return null;
  const a = ev.args;
  return {
    type: CHECKPOINT_ACK_TX,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    headerBlockId: argBigInt(a, 'headerBlockId', ev.name),
    proposer: argHex(a, 'proposer', ev.name, 20),
    start: argNumber(a, 'start', ev.name),
    end: argNumber(a, 'end', ev.name),
    rootHash: argHex(a, 'root', ev.name, 32),
  };
}
