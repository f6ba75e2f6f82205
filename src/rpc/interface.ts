/**
 * The JSON-RPC layer's seams. A `MethodRegistry` holds handlers by name (the eth namespace here,
 * bor_* from src/bttc, anything else a composition adds); `RpcServer` serves one registry over http
 * and websocket and can mount plain HTTP routes (REST, /metrics). `EthBackend` is what the eth
 * namespace needs from a node: the chain store, the executor's read side, a transaction sink.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChainStoreApi, LocatedLog } from '../chain/interface.ts';
import type { ExecutorApi, HeaderFields } from '../evm/interface.ts';

/** Per-call context: the websocket connection when there is one (subscriptions need it). */
export interface RpcContext {
  connection?: RpcConnection;
}

export interface RpcConnection {
  readonly id: number;
  /** Sends a JSON-RPC notification; false when the connection is gone. */
  notify(method: string, params: unknown): boolean;
  /** Called once when the connection closes. */
  onClose(cb: () => void): void;
}

export type RpcHandler = (params: unknown[], ctx: RpcContext) => unknown;

export interface MethodRegistryApi {
  register(name: string, handler: RpcHandler): void;
  has(name: string): boolean;
  names(): string[];
}

export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Receives raw signed transactions from eth_sendRawTransaction (the txpool, or the root chain's instamine). */
export interface TxSink {
  /** Returns the transaction hash; throws an Error whose message says why it was refused. */
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>;
  /**
   * Next nonce counting pending transactions (eth_getTransactionCount "pending"); undefined = the
   * sink holds nothing of this sender. eth.ts never answers below the head state's nonce.
   */
  pendingNonce?(address: Uint8Array): Promise<bigint | undefined>;
  /** A transaction waiting in the sink (eth_getTransactionByHash before inclusion, as geth answers). */
  pendingTransaction?(hash: Uint8Array): { raw: Uint8Array; sender: Uint8Array } | undefined;
}

/** A transaction accepted into the pool, as filters and subscriptions announce it. */
export interface PendingTxEvent {
  hash: Uint8Array;
  raw: Uint8Array;
  sender: Uint8Array;
}

export interface HeadEvent {
  hash: Uint8Array;
  header: HeaderFields;
  logs: LocatedLog[];
}

export interface EthBackend {
  chainId: bigint;
  /** net_version; defaults to the chain id. */
  networkId?: bigint;
  clientVersion?: string;
  chain: ChainStoreApi;
  executor: Pick<ExecutorApi, 'call' | 'estimateGas' | 'getAccount' | 'getCode' | 'getStorage'>;
  txSink: TxSink;
  gasPrice(): Promise<bigint> | bigint;
  /** Number of the last block checkpointed on the root chain ("finalized"/"safe"); undefined = none yet. */
  finalizedNumber?(): Promise<bigint | undefined> | bigint | undefined;
  /** Gas cap for eth_call / eth_estimateGas (default: the head's gas limit). */
  rpcGasCap?: bigint;
}
