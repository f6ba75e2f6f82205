/**
 * Delivery parameters from the Governor (docs/governance.md "Delivery parameters"): tx 16
 * `gov-param` mirrors `ParamChanged(bytes32 indexed key, uint256 value, uint256 oldValue)` from the
 * staking chain as an event tx (replay namespace 16): included at height I, applied at its tally
 * (I + 2) once > 2/3 of the power saw the identical event with its own watcher.
 *
 * The rule, so every node switches at the same height: a change applied while applying block A is
 * in force from block A + 1 on (`effectiveHeight`); every check of block h reads the value whose
 * effectiveHeight ≤ h (`paramAt`). checkpoint_buffer_time: every checkpoint check of block h;
 * span_duration: the first span not yet committed, proposed and approved from A + 1 on (a span tx in
 * flight with the old bounds is stale at its tally and proposed again). Changes of one key apply in root-chain order: an event at or
 * below the key's last applied sequence is stale (a replay, or an older change arriving late), so
 * an older value can never overwrite a newer one.
 */
import type { NodeConfig } from '../../../config/types.ts';
import { paramName, paramValueError, type DeliveryParamName } from '../../../gov/params.ts';
import type { RootEvent } from '../../../root/abi.ts';
import { readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex } from '../context.ts';
import type { ApplyResult, BlockContext, TxCodec } from '../module.ts';
import { govOf } from './state.ts';
import { refOf } from './txs.ts';

export const GOV_PARAM_TX = 16;
export const PROCESSED_GOV_PARAM = 16;

export interface GovParamTx extends EventTx {
  type: typeof GOV_PARAM_TX;
  ref: EventRef;
  /** 32-byte 0x-hex: bytes32 of the parameter's name. */
  key: string;
  value: bigint;
  oldValue: bigint;
}

/** A change as the state keeps it: the one in force per key and any not yet in force. */
export interface ParamChange {
  name: DeliveryParamName;
  /** In the parameter's unit (checkpoint_buffer_time: seconds). */
  value: number;
  /** The Governor's value before, decimal (0: the genesis value from Delivery's config was in force). */
  oldValue: string;
  rootChainId: number;
  rootBlock: number;
  logIndex: number;
  txHash: string;
  /** Staking-form root sequence (decimal): changes of one key apply in this order. */
  sequence: string;
  /** The Delivery height that applied it; it is in force from effectiveHeight = height + 1. */
  height: number;
  effectiveHeight: number;
}

export const govParamTxCodec: TxCodec<GovParamTx> = {
  type: GOV_PARAM_TX,
  name: 'gov-param',
  encode(w: Writer, tx: GovParamTx): void {
    writeRef(w, tx.ref);
    w.hex(tx.key, 32, 'key');
    w.u256(tx.value);
    w.u256(tx.oldValue);
  },
  decode(r: Reader): GovParamTx {
    return { type: GOV_PARAM_TX, ref: readRef(r), key: r.hex(32, 'key'), value: r.u256('value'), oldValue: r.u256('oldValue') };
  },
};

/** The Delivery tx mirroring a Governor ParamChanged, or null for any other event. */
export function paramTxFromEvent(ev: RootEvent): GovParamTx | null {
  if (ev.contract !== 'Governor' || ev.name !== 'ParamChanged') return null;
  const a = ev.args;
  return { type: GOV_PARAM_TX, ref: refOf(ev), key: argHex(a, 'key', ev.name, 32), value: argBigInt(a, 'value', ev.name), oldValue: argBigInt(a, 'oldValue', ev.name) };
}

export function validateParamTx(tx: GovParamTx, ctx: Pick<BlockContext, 'stakingChainId'>): string | null {
  return tx.ref.rootChainId !== ctx.stakingChainId ? `parameters come from the staking chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}` : null;
}

/**
 * Applies a mirrored change while applying block `ctx.height`. Stale (marked processed, never
 * applied) when Delivery knows no such key, the value is out of bounds, or it is not newer than the
 * key's last applied change.
 */
export function applyParamTx(tx: GovParamTx, ctx: Pick<BlockContext, 'state' | 'height' | 'config'>): ApplyResult & { change?: ParamChange } {
  const name = paramName(tx.key);
  if (!name) return { outcome: 'stale', reason: `unknown delivery parameter key ${tx.key}` };
  const bad = paramValueError(name, tx.value);
  if (bad) return { outcome: 'stale', reason: bad };
  // Bttc commits the next span at the last sprint of the current one: a span is whole sprints.
  const sprint = BigInt(ctx.config.bttc.sprint);
  if (name === 'span_duration' && tx.value % sprint !== 0n) return { outcome: 'stale', reason: `span_duration must be a multiple of bttc.sprint (${sprint}), got ${tx.value}` };
  const g = govOf(ctx.state);
  const mine = g.govParams.filter((c) => c.name === name);
  const last = mine[mine.length - 1];
  if (last && BigInt(last.sequence) >= tx.ref.sequence) return { outcome: 'stale', reason: `${name}: root sequence ${tx.ref.sequence} is not after the last applied ${last.sequence}` };
  const change: ParamChange = {
    name,
    value: Number(tx.value),
    oldValue: tx.oldValue.toString(),
    rootChainId: tx.ref.rootChainId,
    rootBlock: tx.ref.blockNumber,
    logIndex: tx.ref.logIndex,
    txHash: tx.ref.txHash,
    sequence: tx.ref.sequence.toString(),
    height: ctx.height,
    effectiveHeight: ctx.height + 1,
  };
  // Keep, per key, the change in force at this height and those not yet in force; drop the rest.
  const inForce = mine.filter((c) => c.effectiveHeight <= ctx.height).pop();
  g.govParams = [...g.govParams.filter((c) => c.name !== name || c.effectiveHeight > ctx.height || c === inForce), change];
  return { outcome: 'applied', change };
}

/** The genesis value of a parameter: Delivery's config. */
export function genesisParam(name: DeliveryParamName, config: NodeConfig): number {
  switch (name) {
    case 'checkpoint_buffer_time':
      return config.checkpoint.bufferTime;
    case 'span_duration':
      return config.bttc.spanLength;
  }
}

/** The value of `name` in force for block `height` (the last change with effectiveHeight ≤ height, else genesis). */
export function paramAt(state: DeliveryState, name: DeliveryParamName, height: number, config: NodeConfig): number {
  let v = genesisParam(name, config);
  for (const c of govOf(state).govParams) if (c.name === name && c.effectiveHeight <= height) v = c.value;
  return v;
}

/** Seconds a buffered checkpoint waits before another may replace it, for block `height`. */
export function checkpointBufferTime(state: DeliveryState, height: number, config: NodeConfig): number {
  return paramAt(state, 'checkpoint_buffer_time', height, config);
}

/**
 * Bttc blocks of a span proposed or applied in block `height`: the span module gives the next span
 * (the first one not yet committed) the bounds [last span's end + 1, last span's end + this].
 */
export function spanDuration(state: DeliveryState, height: number, config: NodeConfig): number {
  return paramAt(state, 'span_duration', height, config);
}

/** Changes applied but not yet in force at `height`. */
export function pendingParams(state: DeliveryState, height: number): ParamChange[] {
  return govOf(state)
    .govParams.filter((c) => c.effectiveHeight > height)
    .map((c) => ({ ...c }));
}
