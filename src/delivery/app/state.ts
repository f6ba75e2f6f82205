/**
 * The Delivery state kept in memory between blocks: the app's chain head (height, time, last block
 * id, the commit it carries forward, its own side votes) and one slice per module that declares one.
 * Bulky history (blocks, acked checkpoints, spans, event records, processed sequences) lives only in
 * the stores. The whole state is cloned at the start of a commit and swapped in only after the
 * block's batch is on disk, so a failed write never leaves memory ahead of the disk.
 *
 * Snapshot: one JSON record, the head's keys around the modules' keys —
 *   height, time, lastBlockId, <each module's keys, in module order>, lastCommit, mySideVotes
 * — the layout the state had before it was split into modules, so existing data dirs open unchanged.
 */
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import type { StateSlot } from '../modules/module.ts';
import type { LastCommit } from './types.ts';

const HEAD_KEYS = ['height', 'time', 'lastBlockId', 'lastCommit', 'mySideVotes'] as const;

export interface StateHead {
  /** Last committed Delivery height (0 = genesis). */
  height: number;
  /** Time (ms) of the last committed block (genesis time at 0). */
  time: number;
  /** keccak256 of the last committed block's bytes (0x00… at genesis). */
  lastBlockId: string;
  /** Our commit of `height`: what we carry into the block we propose at height + 1. */
  lastCommit: LastCommit;
  /** Our side votes on the side txs of block `height`, for our precommit at height + 1. */
  mySideVotes: Uint8Array;
}

interface HeadJson {
  height: number;
  time: number;
  lastBlockId: string;
  lastCommit: { round: number; votes: { validator: string; extension: string; signature: string }[] };
  mySideVotes: string;
}

export class DeliveryState implements StateHead {
  height: number;
  time: number;
  lastBlockId: string;
  lastCommit: LastCommit;
  mySideVotes: Uint8Array;
  private readonly slots: readonly StateSlot<unknown>[];
  private readonly slices: Map<StateSlot<unknown>, unknown>;

  constructor(head: StateHead, slots: readonly StateSlot<unknown>[], slices: Map<StateSlot<unknown>, unknown> = new Map()) {
    this.height = head.height;
    this.time = head.time;
    this.lastBlockId = head.lastBlockId;
    this.lastCommit = head.lastCommit;
    this.mySideVotes = head.mySideVotes;
    this.slots = slots;
    this.slices = slices;
  }

  /** Genesis head: height 0 at the genesis time, no commit to carry. */
  static genesis(time: number, slots: readonly StateSlot<unknown>[]): DeliveryState {
    return new DeliveryState({ height: 0, time, lastBlockId: '0x' + '00'.repeat(32), lastCommit: { round: 0, votes: [] }, mySideVotes: new Uint8Array(0) }, slots);
  }

  /** A module's slice. The slot object is the typed key, so the value comes back as the slot's type. */
  get<S>(slot: StateSlot<S>): S {
    if (!this.slices.has(slot)) throw new Error(`delivery state: module ${slot.module} has no state (not registered, or genesis did not set it)`);
    return this.slices.get(slot) as S;
  }

  /** Sets a module's slice (genesis). */
  init<S>(slot: StateSlot<S>, value: S): void {
    if (!this.slots.includes(slot)) throw new Error(`delivery state: module ${slot.module}'s state is not registered`);
    this.slices.set(slot, value);
  }

  clone(): DeliveryState {
    const slices = new Map<StateSlot<unknown>, unknown>();
    for (const [slot, v] of this.slices) slices.set(slot, slot.clone(v));
    const head: StateHead = {
      height: this.height,
      time: this.time,
      lastBlockId: this.lastBlockId,
      lastCommit: { round: this.lastCommit.round, votes: [...this.lastCommit.votes] },
      mySideVotes: this.mySideVotes,
    };
    return new DeliveryState(head, this.slots, slices);
  }

  encode(): Uint8Array {
    const j: Record<string, unknown> = { height: this.height, time: this.time, lastBlockId: this.lastBlockId };
    for (const slot of this.slots) Object.assign(j, slot.toJson(this.get(slot)));
    const lc = this.lastCommit;
    j.lastCommit = { round: lc.round, votes: lc.votes.map((v) => ({ validator: bytesToHex(v.validator), extension: bytesToHex(v.extension), signature: bytesToHex(v.signature) })) };
    j.mySideVotes = bytesToHex(this.mySideVotes);
    return new TextEncoder().encode(JSON.stringify(j));
  }

  static decode(bytes: Uint8Array, slots: readonly StateSlot<unknown>[]): DeliveryState {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as HeadJson & Record<string, unknown>;
    const slices = new Map<StateSlot<unknown>, unknown>();
    for (const slot of slots) slices.set(slot, slot.fromJson(j));
    const head: StateHead = {
      height: j.height,
      time: j.time,
      lastBlockId: j.lastBlockId,
      lastCommit: { round: j.lastCommit.round, votes: j.lastCommit.votes.map((v) => ({ validator: hexToBytes(v.validator), extension: hexToBytes(v.extension), signature: hexToBytes(v.signature) })) },
      mySideVotes: hexToBytes(j.mySideVotes),
    };
    return new DeliveryState(head, slots, slices);
  }
}

/** The snapshot keys the app's head uses; no module slice may claim one. */
export const STATE_HEAD_KEYS: readonly string[] = HEAD_KEYS;

/**
 * The committed state, shared with the modules' queries: the app sets it at open and after each
 * durable commit; queries read it and never write.
 */
export class CommittedState {
  private s: DeliveryState | null = null;

  get(): DeliveryState {
    if (!this.s) throw new Error('delivery: the committed state is read before the app opened');
    return this.s;
  }

  set(s: DeliveryState): void {
    this.s = s;
  }
}
