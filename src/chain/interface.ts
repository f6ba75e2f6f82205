/**
 * The chain store: blocks, receipts, the transaction index and logs in classic-level (through the
 * KeyValueStore of src/db), one atomic batch per block, so a node killed at any moment reopens with
 * a head whose header, body, receipts and indexes are all present.
 *
 * It records, it does not decide: fork choice (Bor total difficulty, src/bttc) calls `setHead` to
 * make another branch canonical; `putBlock(…, { setHead: true })` is the fast path when a block
 * extends the current head.
 */
import type { HeaderFields, Log, Receipt } from '../evm/interface.ts';

export interface BlockData {
  header: HeaderFields;
  /** Signed transactions in block order (RLP / EIP-2718 bytes). */
  txs: Uint8Array[];
  /** 20-byte senders, recovered before execution; kept so RPC never recovers again. */
  senders: Uint8Array[];
  receipts: Receipt[];
}

export interface HeadInfo {
  hash: Uint8Array;
  number: bigint;
  header: HeaderFields;
  td: bigint;
}

export interface TxLocation {
  blockHash: Uint8Array;
  blockNumber: bigint;
  index: number;
}

export interface StoredTx extends TxLocation {
  hash: Uint8Array;
  raw: Uint8Array;
  sender: Uint8Array;
}

/** A log as RPC returns it: where it came from included. */
export interface LocatedLog extends Log {
  blockHash: Uint8Array;
  blockNumber: bigint;
  txHash: Uint8Array;
  txIndex: number;
  /** Index within the block. */
  logIndex: number;
  removed: boolean;
}

export interface LogFilter {
  fromBlock: bigint;
  toBlock: bigint;
  /** Any of these addresses (empty or absent = all). */
  addresses?: Uint8Array[];
  /** Per position: null = any, else any of the listed topics (eth_getLogs semantics). */
  topics?: (Uint8Array[] | null)[];
}

export interface ReorgResult {
  /** Last block both branches share. */
  common: { hash: Uint8Array; number: bigint };
  /** Blocks that left the canonical chain, oldest first. */
  removed: Uint8Array[];
  /** Blocks that joined it, oldest first (the new head last). */
  added: Uint8Array[];
}

export interface ChainStoreApi {
  /** Writes the genesis block if the store is empty; refuses a different genesis otherwise. */
  init(genesis: HeaderFields): Promise<HeadInfo>;
  head(): HeadInfo;
  genesisHash(): Uint8Array;
  /**
   * Stores a block (its parent must be stored). With `setHead` the block must extend the current head
   * and becomes the head in the same batch; otherwise it is stored as a side block.
   */
  putBlock(block: BlockData, opts?: { setHead?: boolean }): Promise<{ hash: Uint8Array; td: bigint }>;
  /** Makes the branch ending at `hash` canonical, in one batch. */
  setHead(hash: Uint8Array): Promise<ReorgResult>;
  /** Calls `listener` with the new head's hash after every head change is written; returns an unsubscribe. */
  onHeadChange(listener: (hash: Uint8Array) => void): () => void;
  hasBlock(hash: Uint8Array): Promise<boolean>;
  getHeader(hash: Uint8Array): Promise<HeaderFields | undefined>;
  getCanonicalHash(number: bigint): Promise<Uint8Array | undefined>;
  getHeaderByNumber(number: bigint): Promise<HeaderFields | undefined>;
  getBody(hash: Uint8Array): Promise<{ txs: Uint8Array[]; senders: Uint8Array[] } | undefined>;
  getReceipts(hash: Uint8Array): Promise<Receipt[] | undefined>;
  getTd(hash: Uint8Array): Promise<bigint | undefined>;
  /** Canonical transactions only. */
  getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined>;
  getTransaction(txHash: Uint8Array): Promise<StoredTx | undefined>;
  getLogs(filter: LogFilter): Promise<LocatedLog[]>;
  /** Logs of one stored block (canonical or not), located. */
  getBlockLogs(hash: Uint8Array): Promise<LocatedLog[]>;
  /** Hashes of the parent, grandparent, … of the block `hash` itself first: [hash, parent, …] up to `count`. */
  getAncestorHashes(hash: Uint8Array, count: number): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

export class ChainStoreError extends Error {
  override name = 'ChainStoreError';
}
