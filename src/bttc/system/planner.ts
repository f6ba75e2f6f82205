/**
 * The sprint-start system calls (spec §8, Bor's `Finalize`): at n % sprint == 0, commit the next span
 * when the current one ends within this sprint, then commit pending state syncs in id order while
 * each is the next id and was recorded before the time of block n − sprint (at most N of them where
 * the genesis's `overrideStateSyncRecords` names block n). Both the producer (building) and the
 * importer (executing a received block) call this with the same inputs, so they derive the same
 * calls. Contract state is read at the parent, as Bor does.
 */
import { hexToBytes } from '../../util/bytes.ts';
import { isSprintStart } from '../engine/extra.ts';
import { headerHash } from '../engine/header.ts';
import type { HeaderReader } from '../engine/interface.ts';
import type { BttcHeader } from '../engine/types.ts';
import type { SystemCallSource, SystemCallSpec } from '../producer/interface.ts';
import { commitSpanCalldata, commitStateCalldata, decodeCurrentSpan, decodeUint, GET_CURRENT_SPAN, LAST_STATE_ID } from './abi.ts';
import type { SpanSource, StateSyncRecord, StateSyncSource } from './types.ts';

/** Read-only contract calls on the state after `at` (the executor's eth_call behind an adapter). */
export interface ContractReader {
  callAt(at: BttcHeader, to: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

export class SpanUnavailableError extends Error {}

export interface PlannerOptions {
  sprint: number;
  chainId: number;
  systemAddress: string;
  validatorSetContract: string;
  stateReceiverContract: string;
  /**
   * Bor's `overrideStateSyncRecords` (genesis `config.bor`): at these blocks only the first N of the
   * records Delivery returns are considered, whatever else is due.
   */
  overrideStateSyncRecords?: ReadonlyMap<bigint, number>;
}

export interface PlannedCalls {
  calls: SystemCallSpec[];
  span: number | null;
  stateIds: bigint[];
}

export class SystemCallPlanner implements SystemCallSource {
  private readonly opts: PlannerOptions;
  private readonly reader: ContractReader;
  private readonly headers: HeaderReader;
  private readonly spans: SpanSource;
  private readonly stateSyncs: StateSyncSource;
  private readonly system: Uint8Array;
  private readonly validatorSet: Uint8Array;
  private readonly stateReceiver: Uint8Array;

  constructor(opts: PlannerOptions, deps: { reader: ContractReader; headers: HeaderReader; spans: SpanSource; stateSyncs: StateSyncSource }) {
    this.opts = opts;
    this.reader = deps.reader;
    this.headers = deps.headers;
    this.spans = deps.spans;
    this.stateSyncs = deps.stateSyncs;
    this.system = hexToBytes(opts.systemAddress);
    this.validatorSet = hexToBytes(opts.validatorSetContract);
    this.stateReceiver = hexToBytes(opts.stateReceiverContract);
  }

  async systemCallsFor(number: bigint, parent: BttcHeader): Promise<SystemCallSpec[]> {
    return (await this.plan(number, parent)).calls;
  }

  /** Bor's `needToCommitSpan`. */
  needToCommitSpan(span: { endBlock: bigint }, number: bigint): boolean {
    const sprint = BigInt(this.opts.sprint);
    if (span.endBlock === 0n) return true;
    return span.endBlock > sprint && span.endBlock - sprint + 1n === number;
  }

  async plan(number: bigint, parent: BttcHeader): Promise<PlannedCalls> {
    const out: PlannedCalls = { calls: [], span: null, stateIds: [] };
    if (number === 0n || !isSprintStart(number, this.opts.sprint)) return out;
    if (parent.number + 1n !== number) throw new Error(`system calls for block ${number}: parent is block ${parent.number}`);

    const current = decodeCurrentSpan(await this.reader.callAt(parent, this.validatorSet, GET_CURRENT_SPAN));
    if (this.needToCommitSpan(current, number)) {
      const nextId = Number(current.id) + 1;
      const next = this.spans.spanById(nextId);
      if (!next) throw new SpanUnavailableError(`block ${number}: span ${nextId} must be committed but Delivery has not produced it yet`);
      // BTTC's genesis validator set holds no span until the first commitSpan (getCurrentSpan gives
      // 0, 0, 0 and span 1 is committed at the first sprint start): only a stored span has an end to follow.
      if (current.endBlock !== 0n && BigInt(next.startBlock) !== current.endBlock + 1n) throw new Error(`span ${nextId} starts at ${next.startBlock}, expected ${current.endBlock + 1n}`);
      out.calls.push({ from: this.system, to: this.validatorSet, data: commitSpanCalldata(next) });
      out.span = nextId;
    }

    const lastId = decodeUint(await this.reader.callAt(parent, this.stateReceiver, LAST_STATE_ID));
    const to = (await this.ancestor(parent, number - BigInt(this.opts.sprint))).time;
    let records = await this.stateSyncs.recordsFrom(lastId + 1n, to);
    const limit = this.opts.overrideStateSyncRecords?.get(number);
    if (limit !== undefined && limit < records.length) records = records.slice(0, limit);
    let expected = lastId + 1n;
    for (const r of records) {
      if (r.id < expected) continue;
      if (!this.recordFits(r, expected, to)) break;
      out.calls.push({ from: this.system, to: this.stateReceiver, data: commitStateCalldata(r) });
      out.stateIds.push(r.id);
      expected++;
    }
    return out;
  }

  /** Bor's `validateEventRecord`: the next id, this chain, recorded strictly before `to`. */
  private recordFits(r: StateSyncRecord, expected: bigint, to: bigint): boolean {
    return r.id === expected && r.chainId === String(this.opts.chainId) && r.time < to;
  }

  /** The ancestor of `head` at `number` (≤ one sprint back). */
  private async ancestor(head: BttcHeader, number: bigint): Promise<BttcHeader> {
    let h = head;
    while (h.number > number) {
      const p = await this.headers.getHeaderByHash(h.parentHash);
      if (!p) throw new Error(`system calls: missing ancestor ${h.number - 1n} of block ${head.number} (${Buffer.from(headerHash(h)).toString('hex').slice(0, 8)}…)`);
      h = p;
    }
    return h;
  }
}
