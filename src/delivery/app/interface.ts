/**
 * What the Delivery application (and its modules) need from the rest of the node, as small
 * interfaces: the node wires the real Bttc chain store, hash pool and span-seed source; tests plug
 * fakes. Checkpoint submitters belong to the submission listener (modules/checkpoint/submission.ts).
 */
import type { CheckpointHeader } from '../../merkle/checkpoint.ts';

/** Read side of the Bttc chain: enough to choose a checkpoint range and check its root. */
export interface BttcHeaderReader {
  /** Newest Bttc block number (the canonical head). */
  latestNumber(): Promise<number> | number;
  /** Headers [from, to] in order, or null when any of them is missing locally. */
  headers(from: number, to: number): Promise<CheckpointHeader[] | null> | CheckpointHeader[] | null;
}

/** Checkpoint root over headers: the hash pool in a node, the inline Merkle code otherwise. */
export interface CheckpointHasher {
  checkpointRoot(headers: readonly CheckpointHeader[]): Promise<Uint8Array>;
}

/**
 * The span seed: a root-chain block hash chosen per span (BTTC uses block #spanId of its seed chain).
 * Null while the chain has no such block; rejects when the chain cannot be asked. The span module
 * bounds the wait (modules/span/seed.ts): meanwhile a proposer leaves the span out, a voter abstains.
 */
export type SpanSeedSource = (spanId: number) => Promise<Uint8Array | null>;

export interface DeliveryClock {
  /** ms since the epoch (virtual in simulations). */
  now(): number;
}
