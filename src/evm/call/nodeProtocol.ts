/**
 * The state-node channel between a call worker and the thread that owns the state database (the
 * executor worker, or the main thread for an in-process executor). The call worker asks for trie
 * nodes and contract code by their hex key (what EthereumJS's MPT hands its DB); the owner answers
 * from its write buffer, cache or disk. Keys are content hashes, so an answer never goes stale.
 */

/** Call worker → owner: the values of these keys. */
export interface NodeRequestMsg {
  id: number;
  keys: string[];
}

/** Owner → call worker: one value per key, null where the owner has none. */
export type NodeReplyMsg = { id: number; values: (Uint8Array | null)[] } | { id: number; error: string };

/** What the owner reads from: StateDb.peek. */
export interface NodeSource {
  peek(key: string): Promise<Uint8Array | undefined>;
}
