/** What the producer needs from the executor, the txpool and the chain. */
import type { BuildBlockRequest, BuildBlockResult, SystemCall } from '../../evm/interface.ts';
import type { BttcHeader } from '../engine/types.ts';
import type { PoolTx } from '../txpool/interface.ts';

export type SystemCallSpec = SystemCall;
export type BuildRequest = BuildBlockRequest;
export type BuildResult = BuildBlockResult;

/** The executor's `buildBlock` (ExecutorApi satisfies it). */
export interface BlockBuilder {
  buildBlock(req: BuildBlockRequest): Promise<BuildBlockResult>;
}

export interface TxSource {
  pending(maxGas?: bigint): Iterable<PoolTx>;
  /** Transactions the executor refused in a build on the current head. */
  dropRejected(hashes: readonly Uint8Array[]): Promise<unknown>;
  /** Calls `listener` when transactions enter the pool; returns the unsubscribe function. Lets a producer waiting on an empty pool sleep instead of polling. */
  onAdded?(listener: () => void): () => void;
}

export interface SealedBlock {
  header: BttcHeader;
  hash: Uint8Array;
  txs: Uint8Array[];
  senders: Uint8Array[];
  build: BuildResult;
  /** 0 = in turn. */
  succession: number;
}

/** Where a sealed block goes: the chain (store, fork choice) and the network. */
export interface SealedBlockSink {
  onSealed(block: SealedBlock): Promise<void>;
}

/** Sprint-start system calls for block `number` on `parent` (commitSpan / commitState, spec §8). */
export interface SystemCallSource {
  systemCallsFor(number: bigint, parent: BttcHeader): Promise<SystemCallSpec[]>;
}

/**
 * Blocks received from peers and waiting in the import queue. A backup producer asks before it
 * builds and before it releases: a block for the same parent with a higher difficulty (a better
 * placed producer) will win fork choice once imported, so a backup block sealed meanwhile only
 * makes every node import a loser and reorg.
 */
export interface IncomingBlockSource {
  hasBetter(parentHash: Uint8Array, difficulty: bigint): boolean;
}
