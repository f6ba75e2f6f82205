/**
 * The event-record transaction: a StateSender `StateSynced` event from any configured root chain.
 * Records get a global sequential id (1, 2, …) in the order Delivery applies them; per root chain
 * they must follow the StateSender's own counter without gaps, so no record is skipped or applied
 * twice. Bttc reads them (same process) for `commitState` at sprint starts.
 */
import type { RootEvent } from '../../../root/abi.ts';
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import { readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex, isConfiguredRootChain, type ApplyOutcome } from '../context.ts';
import type { BlockContext, TxCodec } from '../module.ts';
import { clerkOf } from './state.ts';
import type { EventRecord } from './store.ts';

export const EVENT_RECORD_TX = 6;

/** Bytes of one record's data Delivery accepts (Heimdall's limit is in this range). */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

/** A StateSender StateSynced event. */
export interface EventRecordTx extends EventTx {
  type: typeof EVENT_RECORD_TX;
  ref: EventRef;
  /** The StateSender's own counter on that root chain. */
  stateId: bigint;
  contract: string;
  data: string;
}

/** ref ‖ stateId u256 ‖ contract 20 ‖ data (u32 length ‖ bytes) */
export const eventRecordTxCodec: TxCodec<EventRecordTx> = {
  type: EVENT_RECORD_TX,
  name: 'event-record',
  encode(w: Writer, tx: EventRecordTx): void {
    writeRef(w, tx.ref);
    w.u256(tx.stateId);
    w.hex(tx.contract, 20, 'event contract');
    w.var32(hexToBytes(tx.data));
  },
  decode(r: Reader): EventRecordTx {
    return { type: EVENT_RECORD_TX, ref: readRef(r), stateId: r.u256('stateId'), contract: r.hex(20, 'contract'), data: bytesToHex(r.var32('data')) };
  },
};

export function eventRecordTxFromEvent(ev: RootEvent): EventRecordTx | null {
  if (ev.contract !== 'StateSender' || ev.name !== 'StateSynced') return null;
  return {
    type: EVENT_RECORD_TX,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    stateId: argBigInt(ev.args, 'id', ev.name),
    contract: argHex(ev.args, 'contractAddress', ev.name, 20),
    data: argHex(ev.args, 'data', ev.name),
  };
}

export function validateEventRecordTx(tx: EventRecordTx, ctx: BlockContext): string | null {
  if (!isConfiguredRootChain(ctx.config, tx.ref.rootChainId)) return `root chain ${tx.ref.rootChainId} is not configured`;
  if ((tx.data.length - 2) / 2 > MAX_EVENT_DATA_BYTES) return `event data of ${(tx.data.length - 2) / 2} bytes exceeds ${MAX_EVENT_DATA_BYTES}`;
  const last = clerkOf(ctx.state).clerkLastStateId.get(tx.ref.rootChainId) ?? 0n;
  if (tx.stateId <= last) return `state id ${tx.stateId} on root chain ${tx.ref.rootChainId} already recorded (last ${last})`;
  return null;
}

/** A pooled record whose state id the chain has already recorded: never includable. */
export function eventRecordStaleInPool(tx: EventRecordTx, s: DeliveryState): boolean {
  return tx.stateId <= (clerkOf(s).clerkLastStateId.get(tx.ref.rootChainId) ?? 0n);
}

export function applyEventRecordTx(tx: EventRecordTx, ctx: BlockContext): { outcome: ApplyOutcome; record?: EventRecord; reason?: string } {
  const c = clerkOf(ctx.state);
  const last = c.clerkLastStateId.get(tx.ref.rootChainId) ?? 0n;
  if (tx.stateId <= last) return { outcome: 'stale', reason: `state id ${tx.stateId} already recorded` };
  if (tx.stateId !== last + 1n) return { outcome: 'early', reason: `state id ${tx.stateId} waits for ${last + 1n}` };
  c.clerkLastStateId.set(tx.ref.rootChainId, tx.stateId);
  c.clerkLastId += 1;
  const record: EventRecord = {
    id: c.clerkLastId,
    rootChainId: tx.ref.rootChainId,
    stateId: tx.stateId.toString(),
    contract: tx.contract,
    data: tx.data,
    txHash: tx.ref.txHash,
    logIndex: tx.ref.logIndex,
    blockNumber: tx.ref.blockNumber,
    recordTime: Math.floor(ctx.blockTime / 1000),
    bttcChainId: ctx.config.bttc.chainId,
  };
  return { outcome: 'applied', record };
}
