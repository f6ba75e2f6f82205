/**
 * What the rest of the node sees of the EVM executor. The same interface is served in-process
 * (`Executor`, for the embedded root chain and tests) and from a worker thread
 * (`ExecutorClient` → workers/executor.ts, for the Bttc layer; the main thread never runs the EVM).
 *
 * All calls are serialised: one VM call at a time, in arrival order.
 * Byte fields are Uint8Array, quantities bigint, addresses 20 bytes, hashes 32 bytes.
 */

/**
 * The 15 pre-London header fields, in RLP order (Bor headers have no baseFee), with geth's names.
 * src/bttc/engine's BttcHeader is this type.
 */
export interface HeaderFields {
  parentHash: Uint8Array;
  uncleHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  txRoot: Uint8Array;
  receiptRoot: Uint8Array;
  bloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  time: bigint;
  extra: Uint8Array;
  mixDigest: Uint8Array;
  nonce: Uint8Array;
}

/** The block a new block builds on: its state root is where execution starts. */
export interface ParentRef {
  hash: Uint8Array;
  number: bigint;
  stateRoot: Uint8Array;
}

export interface GenesisAccount {
  balance?: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  /** slot (32 bytes) → value (up to 32 bytes; zero values are skipped). */
  storage?: [Uint8Array, Uint8Array][];
}

export interface GenesisSpec {
  /** address (20 bytes) → account. */
  alloc: [Uint8Array, GenesisAccount][];
  gasLimit: bigint;
  time?: bigint;
  extra?: Uint8Array;
  difficulty?: bigint;
  coinbase?: Uint8Array;
  mixDigest?: Uint8Array;
  nonce?: Uint8Array;
}

/**
 * A call made by the chain itself, not signed by anyone (Bor's commitSpan / commitState): from `from`
 * (the system address 0xffff…fffe), no gas price, no nonce change, run after the block's transactions.
 */
export interface SystemCall {
  from: Uint8Array;
  to: Uint8Array;
  data: Uint8Array;
  /** Defaults to 2^63 − 1 (Bor: MaxUint64 / 2). */
  gasLimit?: bigint;
}

export interface SystemCallResult {
  success: boolean;
  gasUsed: bigint;
  returnValue: Uint8Array;
  logs: Log[];
  error?: string;
}

export interface Log {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface Receipt {
  /** EIP-2718 type of the transaction (0 legacy, 1 access list). */
  txType: number;
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  logsBloom: Uint8Array;
  logs: Log[];
  /** Set for a contract creation that succeeded. */
  contractAddress?: Uint8Array;
}

/** Header fields the producer chooses; the executor fills in the roots, bloom and gasUsed. */
export interface HeaderTemplate {
  number: bigint;
  time: bigint;
  gasLimit: bigint;
  difficulty?: bigint;
  /** Header coinbase (Bor: zero). Fees go to `author`, not here. */
  coinbase?: Uint8Array;
  extra?: Uint8Array;
  mixDigest?: Uint8Array;
  nonce?: Uint8Array;
}

/**
 * Code put at an address at the end of a block, after its transactions and system calls (Bor's
 * `changeContractCodeIfNeeded`, driven by the genesis's `config.bor.blockAlloc`). Only the code
 * changes: balance, nonce and storage stay; a missing account is created.
 */
export interface CodeChange {
  address: Uint8Array;
  code: Uint8Array;
}

export interface BlockContext {
  /**
   * Who receives the fees and what COINBASE returns. Bor pays the block's signer (its `Author`),
   * while the header's coinbase stays zero; the root chain passes its own coinbase.
   */
  author: Uint8Array;
  /** Hashes of the parent, grandparent, … (up to 256) for BLOCKHASH; index 0 = parent. */
  ancestorHashes?: Uint8Array[];
  systemCalls?: SystemCall[];
  /** Applied after the system calls, before the state root is taken. */
  codeChanges?: CodeChange[];
}

export interface BuildBlockRequest extends BlockContext {
  parent: ParentRef;
  header: HeaderTemplate;
  /** Signed transactions (RLP / EIP-2718 bytes) in the order to try them. */
  txs: Uint8Array[];
  /** The recovered sender of each transaction (20 bytes): the executor does not recover again. */
  senders: Uint8Array[];
  /** Stop adding transactions once this much wall time has been spent executing. */
  budgetMs: number;
  /**
   * Top-up: after `txs`, the builder asks for transactions that reached the pool meanwhile and adds
   * them to the same block before its system calls and commit, until this answers null, the gas runs
   * out or `budgetMs` is spent. Their indices (in `included`, `rejected`) continue after `txs`, in the
   * order offered. Absent: the block holds only `txs`, as before.
   */
  more?: (() => Promise<TopUpBatch | null>) | null;
}

/** Transactions added to a block being built (see BuildBlockRequest.more). */
export interface TopUpBatch {
  txs: Uint8Array[];
  senders: Uint8Array[];
  /** Stop executing this batch once this much wall time has passed since the builder received it. */
  budgetMs: number;
}

export interface RejectedTx {
  index: number;
  reason: string;
}

export interface TimingBreakdown {
  decodeMs: number;
  execMs: number;
  systemMs: number;
  commitMs: number;
  rootsMs: number;
  /** CPU time of the executor's thread over the call: far below the wall time means it was waiting for a core. */
  cpuMs: number;
  /** Time the call waited behind earlier calls in the executor's queue. */
  queuedMs: number;
  /** A build with `more`: time spent waiting for top-up answers (not work), and the batches run. */
  topUpWaitMs?: number;
  topUps?: number;
}

export interface BuildBlockResult {
  /** Complete header except the seal: `extra` is the template's (the producer appends the seal). */
  header: HeaderFields;
  /** Indices into the request's txs, in block order. */
  included: number[];
  receipts: Receipt[];
  systemResults: SystemCallResult[];
  /** Transactions that cannot be included (bad nonce, funds, gas): the txpool should drop or wait. */
  rejected: RejectedTx[];
  /** Transactions not tried because the gas limit or the time budget ran out. */
  notTried: number;
  timings: TimingBreakdown;
}

export interface ExecuteBlockRequest extends BlockContext {
  parent: ParentRef;
  header: HeaderFields;
  txs: Uint8Array[];
  senders: Uint8Array[];
}

export interface ExecuteBlockResult {
  receipts: Receipt[];
  systemResults: SystemCallResult[];
  timings: TimingBreakdown;
}

/** Where an eth_call / estimate runs: the state after `stateRoot`, with this block's environment. */
export interface CallBlockRef {
  stateRoot: Uint8Array;
  number: bigint;
  time: bigint;
  gasLimit: bigint;
  coinbase?: Uint8Array;
  difficulty?: bigint;
}

export interface CallRequest {
  from?: Uint8Array;
  /** Absent for a contract creation. */
  to?: Uint8Array;
  data?: Uint8Array;
  value?: bigint;
  gasLimit?: bigint;
  gasPrice?: bigint;
}

export interface CallResult {
  success: boolean;
  returnValue: Uint8Array;
  gasUsed: bigint;
  /** 'revert' when the code reverted (returnValue then carries the revert data), else the EVM error. */
  error?: string;
  logs: Log[];
}

export interface AccountState {
  nonce: bigint;
  balance: bigint;
  codeHash: Uint8Array;
  storageRoot: Uint8Array;
}

export interface ExecutorApi {
  /** Writes the genesis state (idempotent) and returns the genesis header. */
  initGenesis(spec: GenesisSpec): Promise<HeaderFields>;
  buildBlock(req: BuildBlockRequest): Promise<BuildBlockResult>;
  /** Executes a received block on its parent's state; throws BlockValidationError on any mismatch. */
  executeBlock(req: ExecuteBlockRequest): Promise<ExecuteBlockResult>;
  call(req: CallRequest, block: CallBlockRef): Promise<CallResult>;
  /** Lowest gas limit at which the call succeeds (binary search); throws CallRevertedError if it never does. */
  estimateGas(req: CallRequest, block: CallBlockRef): Promise<bigint>;
  getAccount(stateRoot: Uint8Array, address: Uint8Array): Promise<AccountState | undefined>;
  /** Many accounts at one root in one call (one worker round trip for a txpool intake batch); results match input order. */
  getAccounts(stateRoot: Uint8Array, addresses: readonly Uint8Array[]): Promise<(AccountState | undefined)[]>;
  getCode(stateRoot: Uint8Array, address: Uint8Array): Promise<Uint8Array>;
  getStorage(stateRoot: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>;
  /** True when the state for this root is stored (a head can be set there). */
  hasState(stateRoot: Uint8Array): Promise<boolean>;
  close(): Promise<void>;
}

export class BlockValidationError extends Error {
  override name = 'BlockValidationError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** eth_estimateGas on a call that reverts at any gas limit (carries the revert data, as geth does). */
export class CallRevertedError extends Error {
  override name = 'CallRevertedError';
  readonly data: Uint8Array;
  constructor(message: string, data: Uint8Array) {
    super(message);
    this.data = data;
  }
}

/**
 * A call, estimate or trace that ran past its wall-time limit (rpc.evmTimeoutMs). The message is
 * geth's, "execution aborted (timeout = 5s)", so clients that match on it keep working.
 */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`execution aborted (timeout = ${goDuration(timeoutMs)})`);
    this.timeoutMs = timeoutMs;
  }
}

/** A duration as Go's time.Duration prints it (5s, 1.5s, 250ms, 1m30s): geth's error text uses it. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000}ms`;
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = Math.round((totalS % 60) * 1000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
