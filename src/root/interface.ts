/**
 * What the node needs from a root chain (TRON, Ethereum, BSC, or the embedded dev chain): read
 * blocks and logs of the root contracts, read the checkpoint position, and send a checkpoint (to the
 * RootChain) or a checkpoint-sync record (to the staking chain's StakeManager).
 * The same ABIs serve every chain; only transport, addresses and fees differ.
 */

/**
 * The root contract a checkpoint-kind transaction goes to: the RootChain takes checkpoints
 * (`submitCheckpoint`), the staking chain's StakeManager takes sync records (`submitCheckpointSync`),
 * its Governor governance tallies (`submitTally`).
 */
export type RootTxTarget = 'rootChain' | 'stakeManager' | 'governor';

/** The address of `to`, or an error naming the missing contract (the Governor is optional in a config). */
export function targetAddress(c: RootContracts, to: RootTxTarget): string {
  const a = c[to];
  if (!a) throw new Error(`root contracts: no ${to} address configured`);
  return a;
}

export type RootChainKind = 'evm' | 'tron';

/** Contract addresses as 0x-prefixed 20-byte hex (TRON clients convert from base58 / 41-hex at construction). */
export interface RootContracts {
  stakeManager: string;
  rootChain: string;
  stateSender: string;
  /**
   * StakeManager's event logger (BTTC's StakingInfo): every staking event comes from this address,
   * none from the StakeManager. Absent only for clients that submit and never watch (tools).
   */
  stakingInfo?: string | null;
  /** The Governor (issue 18): its ProposalCreated events feed Delivery's gov module. */
  governor?: string | null;
}

/** The addresses whose logs the node follows: RootChain, StateSender and (when known) StakingInfo and the Governor. */
export function watchedAddresses(c: RootContracts): string[] {
  return [c.rootChain, c.stateSender, ...(c.stakingInfo ? [c.stakingInfo] : []), ...(c.governor ? [c.governor] : [])];
}

/** A log in chain-neutral form: lower-case 0x hex, numbers as JS numbers. */
export interface RootLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  /** Position of the log in its block (TRON: counted across the block's transactions in order). */
  logIndex: number;
  txHash: string;
}

export interface RootReceipt {
  txHash: string;
  status: 'success' | 'reverted';
  blockNumber: number;
  gasUsed: bigint;
  logs: RootLog[];
}

export interface SendOptions {
  gasLimit: bigint;
  /** EVM: legacy gas price in wei. TRON: ignored (energy is paid from the fee limit). */
  gasPrice?: bigint;
  /** EVM: reuse to replace a pending transaction with a higher fee. */
  nonce?: number;
  /** The contract it goes to; the RootChain when absent. */
  to?: RootTxTarget;
}

export interface SentTx {
  txHash: string;
  /** EVM: the nonce used, so a retry can replace it. */
  nonce?: number;
}

export interface RootChainClient {
  readonly kind: RootChainKind;
  /** Delivery's id for this root chain: TRON 1, Ethereum 2, BSC 3. */
  readonly rootChainId: number;
  readonly contracts: RootContracts;

  blockNumber(): Promise<number>;
  /**
   * Hash of block `number` as 0x hex (EVM: the block hash; TRON: the blockID), or null while the
   * chain has no such block. Delivery seeds span k's producer draw with block #k of the seed chain.
   */
  blockHash(number: number): Promise<string | null>;
  /** Logs of `addresses` in [fromBlock, toBlock], ordered by (blockNumber, logIndex). */
  getLogs(fromBlock: number, toBlock: number, addresses: string[]): Promise<RootLog[]>;
  /** RootChain.currentHeaderBlock(): 0 before the first checkpoint, then 10000, 20000, … */
  currentHeaderBlock(): Promise<bigint>;
  /** RootChain.getLastChildBlock(): end of the last checkpoint (0 before the first). */
  lastChildBlock(): Promise<bigint>;
  /**
   * StakeManager.getCurrentSyncedCheckpoint(rootChainId): the last checkpoint number of that root
   * chain the StakeManager took as a sync record (0 before the first). Meaningful on the staking chain.
   */
  syncedCheckpoint(rootChainId: number): Promise<bigint>;
  /** Gas (energy) the call with this calldata needs (to the RootChain unless `to` says); throws with the revert reason. */
  estimateCheckpointGas(calldata: Uint8Array, to?: RootTxTarget): Promise<bigint>;
  gasPrice(): Promise<bigint>;
  /** Sends `calldata` to the RootChain contract (or `opts.to`) from this node's key. */
  sendCheckpoint(calldata: Uint8Array, opts: SendOptions): Promise<SentTx>;
  getReceipt(txHash: string): Promise<RootReceipt | null>;
  close(): Promise<void>;
}
