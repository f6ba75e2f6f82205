/**
 * What the producer needs from the executor, the txpool and the chain. The builder types are the
 * subset of src/evm/interface.ts (`ExecutorApi.buildBlock`) the producer uses, with the same names,
 * so the executor client satisfies `BlockBuilder` as it is.
 */
import type { ExecHeaderFields } from '../engine/convert.ts';
import type { BttcHeader } from '../engine/types.ts';
import type { PoolTx } from '../txpool/interface.ts';

export interface SystemCallSpec {
  from: Uint8Array;
  to: Uint8Array;
  data: Uint8Array;
  gasLimit?: bigint;
}

export interface BuildRequest {
  parent: { hash: Uint8Array; number: bigint; stateRoot: Uint8Array };
  header: { number: bigint; timestamp: bigint; gasLimit: bigint; difficulty?: bigint; coinbase?: Uint8Array; extraData?: Uint8Array; mixHash?: Uint8Array; nonce?: Uint8Array };
  /** Receives the fees (Bor pays the signer; the header coinbase stays zero). */
  author: Uint8Array;
  ancestorHashes?: Uint8Array[];
  systemCalls?: SystemCallSpec[];
  txs: Uint8Array[];
  senders: Uint8Array[];
  budgetMs: number;
}

export interface BuildResult {
  header: ExecHeaderFields;
  included: number[];
  rejected: { index: number; reason: string }[];
  notTried: number;
  receipts: unknown[];
  systemResults?: unknown[];
}

export interface BlockBuilder {
  buildBlock(req: BuildRequest): Promise<BuildResult>;
}

export interface TxSource {
  pending(maxGas?: bigint): Iterable<PoolTx>;
  remove(hashes: readonly Uint8Array[], cause: string): Promise<void>;
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
