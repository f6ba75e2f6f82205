/**
 * What the Bor engine needs from other modules, as interfaces so each side can be built and tested
 * alone: the producer set with proposer priority (Delivery's ValidatorSet behind an adapter), the
 * span's producer lists, and a header reader over the chain store.
 */
import type { BttcHeader, ProducerEntry } from './types.ts';

/**
 * An immutable producer set with Tendermint proposer priority, as Bor's snapshot holds it.
 * Validators are sorted by address; each appears once whatever its power.
 */
export interface ProposerSet {
  readonly validators: readonly ProducerEntry[];
  /** Address of the current proposer (the sprint's in-turn producer). */
  proposer(): Uint8Array;
  /** Index of `address` in `validators`, or -1. */
  indexOf(address: Uint8Array): number;
  /**
   * The set for the next sprint: Bor's `getUpdatedValidatorSet(copy, newProducers)` (members not in
   * the list leave, others take the listed power, new ones join) followed by
   * `IncrementProposerPriority(1)`. Does not modify `this`.
   */
  next(producers: readonly ProducerEntry[]): ProposerSet;
  /** Bytes to persist a snapshot; `ProposerSetFactory.restore` reads them back. */
  serialize(): Uint8Array;
}

export interface ProposerSetFactory {
  /** Tendermint's `NewValidatorSet`: the genesis set (enter at −(P + P>>3), centre, increment once). */
  create(producers: readonly ProducerEntry[]): ProposerSet;
  restore(bytes: Uint8Array): ProposerSet;
}

/** The span's producer lists, keyed by Bttc block number. */
export interface SpanProducerSource {
  /** Producers of the span containing block `number`, or undefined when that span is not known yet. */
  producersFor(number: bigint): readonly ProducerEntry[] | undefined;
}

export interface HeaderReader {
  getHeaderByHash(hash: Uint8Array): Promise<BttcHeader | undefined>;
}
