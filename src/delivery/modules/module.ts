/**
 * What a Delivery module is (Cosmos SDK's module shape, as Heimdall/Delivery follow it): a folder
 * that owns some transaction types, a slice of the committed state, its store buckets, its queries
 * and its REST routes. The app (app/app.ts) routes every transaction to the module that owns its
 * type byte and never names a module's transactions itself; modules/registry.ts refuses two
 * modules claiming the same type, replay namespace, state key, bucket or route.
 *
 * Transactions come in three kinds, by how they take effect:
 *   plain  applied when the block that includes it commits (a no-ack: judged by the block time alone)
 *   side   applied two heights later if the validators' side votes approve it (a checkpoint, a span):
 *          each validator gives its verdict after committing the block, in its next precommit
 *   event  a side tx mirroring a root-chain event: it enters through the app's root-event pool, a
 *          validator votes Yes when its own watcher saw the identical event, and once applied (or
 *          found stale) its replay sequence is marked processed so it never applies twice
 *
 * Applying a block is one atomic batch: a module never writes its store itself while applying, it
 * hands batch operations (`repo.putOp`) to `BlockEffects.write`, and the app commits them with the
 * block. Applying has no side effect outside the store; work that reacts to a committed block (a
 * checkpoint submission) listens on `app.onCommitted`.
 */
import type { Bucket } from '../../db/buckets.ts';
import type { BatchOp } from '../../db/interface.ts';
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import type { RootEvent } from '../../root/abi.ts';
import type { Reader, Writer } from '../app/binary.ts';
import type { DeliveryState } from '../app/state.ts';
import type { DeliveryGenesis, DeliveryTx, EventTx } from '../app/types.ts';
import type { DeliveryWait } from '../app/waits.ts';
import type { RestRoute } from '../rest/interface.ts';
import type { ApplyOutcome, ModuleContext } from './context.ts';

/** A validator's check of a side tx against its own view (Bttc headers, the root chain, a seed). */
export type Verdict = { vote: 'yes'; signature?: Uint8Array } | { vote: 'no' } | { vote: 'abstain' };

/** A block being validated (against the committed state) or applied (to a clone of it). */
export interface BlockContext extends ModuleContext {
  readonly state: DeliveryState;
  /** While applying: signers (0x hex) of the precommits this block carries for height − 1 (chain data). */
  readonly lastCommitSigners?: readonly string[];
}

/** Proposing the next block: `me` is this validator's signer; `pending` says a key's side tx awaits its tally. */
export interface ProposalContext extends BlockContext {
  readonly me: string;
  pending(key: string): boolean;
}

export interface VerdictContext {
  /** This validator's signer key (a checkpoint Yes carries its signature). */
  readonly signerKey: Uint8Array;
  /** The committed height whose side txs are judged. */
  readonly height: number;
}

export interface GenesisContext extends ModuleContext {
  readonly genesis: DeliveryGenesis;
  /** Height 0: each module puts its slice in, in registration order (later modules may read earlier ones). */
  readonly state: DeliveryState;
}

/** A typed announcement a module makes while applying a block; listeners read it from the committed block. */
export interface Notice<T> {
  readonly module: string;
  readonly name: string;
  /** Never set: it carries T for the type checker. */
  readonly sample?: T;
}

export function notice<T>(module: string, name: string): Notice<T> {
  return Object.freeze({ module, name });
}

/** The notices of one committed block, by kind, in the order they were made. */
export interface Notices {
  of<T>(n: Notice<T>): readonly T[];
}

/** What applying a block produces besides the new state; `of` reads the notices made so far in it (end-block sees the block's). */
export interface BlockEffects extends Notices {
  /** One operation for the block's atomic batch. */
  write(op: BatchOp): void;
  notify<T>(n: Notice<T>, value: T): void;
}

/** A Yes side vote carried in the block: the precommit's validator, its consensus power, its signature (checkpoints). */
export interface YesVote {
  validator: string;
  power: number;
  signature: Uint8Array;
}

export interface ApplyResult {
  outcome: ApplyOutcome;
  reason?: string;
}

/** A transaction type's byte, its name (logs, metrics, errors) and its body codec (after the type byte). */
export interface TxCodec<T extends DeliveryTx> {
  readonly type: number;
  readonly name: string;
  encode(w: Writer, tx: T): void;
  decode(r: Reader): T;
}

// Method syntax below on purpose: a spec for one tx type (T) is stored as a spec for any tx
// (method parameters are bivariant), and the registry only hands it transactions of its own byte.
interface TxSpecBase<T extends DeliveryTx> {
  readonly codec: TxCodec<T>;
  /** Deterministic checks against the committed state and the block's time; null when valid. */
  validate(tx: T, ctx: BlockContext): string | null;
  /** At most one tx of this group per block and in flight (two acks for one root chain would expect the same header block). */
  exclusive?(tx: T): { key: string; reason: string } | null;
}

export interface PlainTxSpec<T extends DeliveryTx> extends TxSpecBase<T> {
  readonly kind: 'plain';
  /** One per block (duplicates are refused). */
  key(tx: T): string;
  apply(tx: T, ctx: BlockContext, fx: BlockEffects): ApplyResult;
}

export interface SideTxSpec<T extends DeliveryTx> extends TxSpecBase<T> {
  readonly kind: 'side';
  /**
   * `power`: the app applies it only when the Yes votes hold more than 2/3 of the consensus power
   * (protocol/quorum.ts). `signatures`: the module counts the Yes signatures itself (checkpoints:
   * ⌊2n/3⌋+1 valid signatures of the Delivery set).
   */
  readonly quorum: 'power' | 'signatures';
  /** One per block and in flight: a second one is not proposed until the first is tallied. */
  key(tx: T): string;
  verdict(tx: T, v: VerdictContext): Promise<Verdict>;
  apply(tx: T, yes: readonly YesVote[], ctx: BlockContext, fx: BlockEffects): Promise<ApplyResult> | ApplyResult;
}

export interface EventTxSpec<T extends EventTx> extends TxSpecBase<T> {
  readonly kind: 'event';
  /** Its replay-protection namespace (the processed marker's first key byte). */
  readonly processedKind: number;
  /** A pooled event the committed state has already moved past: never includable, dropped from the pool. */
  staleInPool?(tx: T, state: DeliveryState): boolean;
  /** Applied at > 2/3 power of Yes; `applied` and `stale` mark it processed. Async when it reads the module's store. */
  apply(tx: T, ctx: BlockContext, fx: BlockEffects): Promise<ApplyResult> | ApplyResult;
}

export type TxSpec = PlainTxSpec<DeliveryTx> | SideTxSpec<DeliveryTx> | EventTxSpec<EventTx>;

/**
 * A module's slice of the state snapshot. The snapshot is one JSON record (the app's meta bucket);
 * a slice's keys sit flat in it, in module order, so data dirs written before modules still open.
 */
export interface StateSlot<S> {
  readonly module: string;
  /** The snapshot keys this slice owns, in the order `toJson` writes them. */
  readonly keys: readonly string[];
  toJson(s: S): Record<string, unknown>;
  fromJson(snapshot: Readonly<Record<string, unknown>>): S;
  /** A deep copy: a block is applied to copies and swapped in only once its batch is durable. */
  clone(s: S): S;
}

export interface DeliveryModule<Q = unknown> {
  readonly name: string;
  readonly txs: readonly TxSpec[];
  readonly state?: StateSlot<unknown>;
  /** The buckets of src/db/buckets.ts it owns (their `owner` is `delivery/modules/<name>`). */
  readonly buckets?: readonly Bucket[];
  readonly queries: Q;
  /** Genesis: its state slice and records (span 0). */
  initGenesis?(g: GenesisContext, fx: BlockEffects): void;
  /** Proposals placed before the mirrored root events (plain txs judged by the block time). */
  proposeBeforeEvents?(p: ProposalContext): DeliveryTx[];
  /** Proposals placed after them. A failure is the module's to log; it proposes nothing then. */
  propose?(p: ProposalContext): Promise<DeliveryTx[]>;
  /** After the block's txs: validator-set updates. */
  endBlock?(ctx: BlockContext, fx: BlockEffects): void;
  /** After the block is durable and swapped in (gauges). */
  committed?(state: DeliveryState): void;
  /** Work it holds back until something outside consensus (a root chain) answers (node status). */
  waiting?(): readonly DeliveryWait[];
  /** The tx mirroring a root-chain event, or null when the event is not this module's. */
  txFromRootEvent?(ev: RootEvent): EventTx | null;
  /** The consensus validator sets; exactly one module (staking) provides them. */
  consensusSets?(state: DeliveryState): { decided: ValidatorSet; next: ValidatorSet };
  routes?(): readonly RestRoute[];
}
