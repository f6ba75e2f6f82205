/**
 * Clerk: StateSender `StateSynced` events from every configured root chain become event records with
 * a global sequential id (1, 2, …) in the order Delivery applies them; per root chain they must follow
 * the StateSender's own counter without gaps, so no record is skipped or applied twice. Bttc reads
 * them (same process) for `commitState` at sprint starts.
 */
import type { RootEvent } from '../../../root/abi.ts';
import type { StateData } from '../../app/state.ts';
import { TxType, type EventRecordTx } from '../../app/types.ts';
import type { EventRecord } from '../../store/interface.ts';
import { argBigInt, argHex, isConfiguredRootChain, type ApplyOutcome, type ModuleContext } from '../context.ts';

/** Bytes of one record's data Delivery accepts (Heimdall's limit is in this range). */
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

export function eventRecordTxFromEvent(ev: RootEvent): EventRecordTx | null {
  if (ev.contract !== 'StateSender' || ev.name !== 'StateSynced') return null;
  return {
    type: TxType.EventRecord,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    stateId: argBigInt(ev.args, 'id', ev.name),
    contract: argHex(ev.args, 'contractAddress', ev.name, 20),
    data: argHex(ev.args, 'data', ev.name),
  };
}

export function validateEventRecordTx(s: StateData, tx: EventRecordTx, ctx: ModuleContext): string | null {
  if (!isConfiguredRootChain(ctx.config, tx.ref.rootChainId)) return `root chain ${tx.ref.rootChainId} is not configured`;
  if ((tx.data.length - 2) / 2 > MAX_EVENT_DATA_BYTES) return `event data of ${(tx.data.length - 2) / 2} bytes exceeds ${MAX_EVENT_DATA_BYTES}`;
  const last = s.clerkLastStateId.get(tx.ref.rootChainId) ?? 0n;
  if (tx.stateId <= last) return `state id ${tx.stateId} on root chain ${tx.ref.rootChainId} already recorded (last ${last})`;
  return null;
}

export function applyEventRecordTx(s: StateData, tx: EventRecordTx, ctx: ModuleContext): { outcome: ApplyOutcome; record?: EventRecord; reason?: string } {
  const last = s.clerkLastStateId.get(tx.ref.rootChainId) ?? 0n;
  if (tx.stateId <= last) return { outcome: 'stale', reason: `state id ${tx.stateId} already recorded` };
  if (tx.stateId !== last + 1n) return { outcome: 'early', reason: `state id ${tx.stateId} waits for ${last + 1n}` };
  s.clerkLastStateId.set(tx.ref.rootChainId, tx.stateId);
  s.clerkLastId += 1;
  const record: EventRecord = {
    id: s.clerkLastId,
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
