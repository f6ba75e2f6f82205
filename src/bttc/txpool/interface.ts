/** The txpool as the RPC, the gossip intake and the block producer see it. */
import type { DecodedTx } from './tx.ts';

export interface PoolTx extends DecodedTx {
  /** Recovered once, in the verify pool, when the transaction arrived. */
  sender: Uint8Array;
  senderHex: string;
  hashHex: string;
  /** Arrival order: breaks price ties (first come, first served). */
  seq: number;
}

export type RejectCode =
  | 'malformed'
  | 'oversized'
  | 'unsupported-type'
  | 'wrong-chain-id'
  | 'bad-signature'
  | 'gas-limit-exceeds-block'
  | 'intrinsic-gas-too-low'
  | 'underpriced'
  | 'replacement-underpriced'
  | 'already-known'
  | 'nonce-too-low'
  | 'insufficient-funds'
  | 'sender-limit'
  | 'pool-full';

export type AddResult = { ok: true; hash: Uint8Array; sender: Uint8Array; replaced?: Uint8Array } | { ok: false; hash?: Uint8Array; code: RejectCode; reason: string };

export interface AccountInfo {
  nonce: bigint;
  balance: bigint;
}

/** Account nonces and balances at the current head (the executor's state, behind an adapter). */
export interface AccountReader {
  getAccounts(addresses: readonly Uint8Array[]): Promise<AccountInfo[]>;
  /**
   * Names the state getAccounts reads (the head's state root). While it is unchanged, an account
   * read earlier is still current and the pool does not ask again. Without it, every intake reads.
   */
  stateVersion?(): string;
}

export interface TxPoolApi {
  /** Decodes, recovers senders in one verifier batch, validates and inserts; results match input order. */
  addRaw(raws: readonly Uint8Array[]): Promise<AddResult[]>;
  /** Already decoded, senders already recovered (gossip validation did both): checked and inserted without doing either again. */
  addChecked(txs: readonly { tx: DecodedTx; sender: Uint8Array }[]): Promise<AddResult[]>;
  /** Executable transactions, best price first, each sender's in nonce order. */
  pending(maxGas?: bigint): Generator<PoolTx>;
  get(hash: Uint8Array): PoolTx | undefined;
  /** After a new head: re-read these senders' accounts and drop what the chain has included. */
  onNewHead(touchedSenders: readonly Uint8Array[]): Promise<void>;
  /** Executor refusals: drop those that were next in their sender's line, keep later nonces queued. */
  dropRejected(hashes: readonly Uint8Array[]): Promise<{ dropped: number; kept: number }>;
  /** Remove transactions by hash, counted under `cause` (the deletion reaches the disk lazily: store.ts). */
  remove(hashes: readonly Uint8Array[], cause: string): Promise<void>;
  readonly size: number;
}
