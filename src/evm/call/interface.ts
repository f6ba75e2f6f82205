/**
 * The call service: eth_call, eth_estimateGas, eth_createAccessList, eth_getProof and the debug
 * tracers, run in call worker threads on a read-only view of the executor's state, never in the
 * executor's queue, so none of them can delay block import. Each request has a wall-time limit
 * (`evmTimeoutMs`, counted from when it arrives, queue time included) and a gas cap.
 *
 * The state view: a call worker holds no database. It reads trie nodes and code by hash over a
 * MessagePort from whoever owns the StateDb (`StateNodeHost`: the executor worker, or an in-process
 * Executor), and caches them; nodes are content-addressed, so the cache is never stale.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CallBlockRef, CallRequest, CallResult } from '../interface.ts';

/** Owns the state trie nodes and can serve them to a call worker over a MessagePort. */
export interface StateNodeHost {
  /** Serves node and code reads on `port` until the port closes. */
  serveStateNodes(port: MessagePort): Promise<void>;
}

export interface CallServiceOptions {
  chainId: number | bigint;
  hardfork?: string;
  eips?: number[];
  /** Call worker threads (rpc.callWorkers, default 1). */
  workers?: number;
  /** Highest gas a call or estimate may use (rpc.gasCap, default 50,000,000). */
  gasCap?: bigint;
  /** Wall-time limit of one request, queue time included (rpc.evmTimeoutMs, default 5000, as geth). */
  evmTimeoutMs?: number;
  /** How long past its deadline a worker may take to stop on its own before it is terminated (default 1000 ms). */
  graceMs?: number;
  /** Trie nodes each call worker caches (default 200,000). */
  cacheNodes?: number;
  /** Worker script (tests replace it); defaults to workers/call.ts. */
  workerUrl?: URL;
}

export interface AccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

export interface AccessListResult {
  accessList: AccessListEntry[];
  /** Gas the call uses with this access list attached. */
  gasUsed: bigint;
  /** geth's error text when the call fails with the list ("execution reverted", …). */
  error?: string;
  /** Revert data when the call reverted. */
  revertData?: Uint8Array;
}

/** EIP-1186: an account and some of its storage slots, with Merkle proofs against the state root. */
export interface AccountProof {
  address: Uint8Array;
  accountProof: Uint8Array[];
  balance: bigint;
  nonce: bigint;
  codeHash: Uint8Array;
  storageHash: Uint8Array;
  storageProof: { key: Uint8Array; value: bigint; proof: Uint8Array[] }[];
}

/** Tracer choice and geth's tracer options. */
export interface TraceOptions {
  /** 'struct' = geth's default struct logger; 'call' = callTracer. */
  tracer: 'struct' | 'call';
  disableStack?: boolean;
  disableStorage?: boolean;
  enableMemory?: boolean;
  /** Most struct-log entries to return (entries, as geth before 1.14; later geth counts bytes). */
  limit?: number;
  /** callTracer: the top frame only. */
  onlyTopCall?: boolean;
  /** Overrides evmTimeoutMs for this request (geth's `timeout`). */
  timeoutMs?: number;
}

/** A stored block to re-execute on its parent's state (tracing mined transactions). */
export interface ReplayBlock {
  parentStateRoot: Uint8Array;
  number: bigint;
  time: bigint;
  gasLimit: bigint;
  difficulty: bigint;
  mixDigest: Uint8Array;
  /** Receives the fees and is COINBASE: Bor's block signer (the header's coinbase is zero). */
  author: Uint8Array;
  /** Parent first, for BLOCKHASH. */
  ancestorHashes: Uint8Array[];
  txs: Uint8Array[];
  senders: Uint8Array[];
}

export interface CallServiceApi {
  /** As ExecutorApi.call, with the gas cap and the time limit. */
  call(req: CallRequest, ref: CallBlockRef): Promise<CallResult>;
  /** As ExecutorApi.estimateGas (CallRevertedError with the revert data when it never succeeds). */
  estimateGas(req: CallRequest, ref: CallBlockRef): Promise<bigint>;
  createAccessList(req: CallRequest, ref: CallBlockRef): Promise<AccessListResult>;
  getProof(stateRoot: Uint8Array, address: Uint8Array, storageKeys: Uint8Array[]): Promise<AccountProof>;
  /** The trace of a call on the state of `ref` (geth JSON). */
  traceCall(req: CallRequest, ref: CallBlockRef, opts: TraceOptions): Promise<unknown>;
  /** Traces of a block's transactions (all, or only `txIndex`, after replaying those before it). */
  traceBlock(block: ReplayBlock, opts: TraceOptions, txIndex?: number): Promise<unknown[]>;
  close(): Promise<void>;
}
