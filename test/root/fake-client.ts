/**
 * An in-memory root chain for watcher/submitter tests: logs encoded with the real contract ABIs,
 * a head that tests move, injectable failures. Stands in for the RPC node, not for the code under test.
 */
import { rootInterfaces, type RootAbiName } from '../../src/root/abi.ts';
import type { RootChainClient, RootContracts, RootLog, RootReceipt, RootTxTarget, SendOptions, SentTx } from '../../src/root/interface.ts';

export const CONTRACTS: RootContracts = {
  stakeManager: '0x' + '11'.repeat(20),
  rootChain: '0x' + '22'.repeat(20),
  stateSender: '0x' + '33'.repeat(20),
  stakingInfo: '0x' + '44'.repeat(20),
  governor: '0x' + '55'.repeat(20),
};

const ADDRESS_OF: Record<RootAbiName, string> = {
  StakeManager: CONTRACTS.stakeManager,
  RootChain: CONTRACTS.rootChain,
  StateSender: CONTRACTS.stateSender,
  StakingInfo: CONTRACTS.stakingInfo!,
  Governor: CONTRACTS.governor!,
};

export class FakeRootClient implements RootChainClient {
  readonly kind = 'evm' as const;
  readonly rootChainId: number;
  readonly contracts = CONTRACTS;
  head = 0;
  logs: RootLog[] = [];
  /** Next N calls of blockNumber/getLogs throw. */
  failNext = 0;
  getLogsCalls: [number, number][] = [];
  // Submitter side.
  lastChild = 0n;
  headerBlock = 0n;
  estimateError: string | null = null;
  /** Contract of every gas estimate, in order. */
  estimated: RootTxTarget[] = [];
  /** StakeManager side: root chain id → last synced checkpoint number. */
  synced = new Map<number, bigint>();
  sent: { calldata: Uint8Array; opts: SendOptions; txHash: string }[] = [];
  /** txHash → receipt the chain will report (absent = pending forever). */
  receipts = new Map<string, RootReceipt>();
  /** Called on every send; may set receipts / lastChild to simulate mining. */
  onSend: ((n: number, txHash: string) => void) | null = null;
  price = 1_000_000_000n;
  private nonce = 7;

  constructor(rootChainId = 2) {
    this.rootChainId = rootChainId;
  }

  private maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection refused (fake)');
    }
  }

  /** A log of `contract` (staking events: 'StakingInfo', where BTTC emits them). */
  emit(contract: RootAbiName, event: string, args: unknown[], blockNumber: number, logIndex: number): RootLog {
    const iface = rootInterfaces()[contract];
    const enc = iface.encodeEventLog(event, args);
    const address = ADDRESS_OF[contract];
    const log: RootLog = { address, topics: enc.topics, data: enc.data, blockNumber, logIndex, txHash: '0x' + blockNumber.toString(16).padStart(64, '0') };
    this.logs.push(log);
    return log;
  }

  async blockNumber(): Promise<number> {
    this.maybeFail();
    return this.head;
  }

  async blockHash(number: number): Promise<string | null> {
    this.maybeFail();
    return number <= this.head ? '0x' + number.toString(16).padStart(64, '0') : null;
  }

  async getLogs(fromBlock: number, toBlock: number, addresses: string[]): Promise<RootLog[]> {
    this.maybeFail();
    this.getLogsCalls.push([fromBlock, toBlock]);
    if (toBlock > this.head) throw new Error(`fake: asked for block ${toBlock} beyond head ${this.head}`);
    const set = new Set(addresses);
    return this.logs.filter((l) => l.blockNumber >= fromBlock && l.blockNumber <= toBlock && set.has(l.address)).sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  async currentHeaderBlock(): Promise<bigint> {
    return this.headerBlock;
  }

  async lastChildBlock(): Promise<bigint> {
    return this.lastChild;
  }

  async syncedCheckpoint(rootChainId: number): Promise<bigint> {
    return this.synced.get(rootChainId) ?? 0n;
  }

  async estimateCheckpointGas(_calldata: Uint8Array, to: RootTxTarget = 'rootChain'): Promise<bigint> {
    this.estimated.push(to);
    if (this.estimateError) throw new Error(this.estimateError);
    return 100_000n;
  }

  async gasPrice(): Promise<bigint> {
    return this.price;
  }

  async sendCheckpoint(calldata: Uint8Array, opts: SendOptions): Promise<SentTx> {
    const txHash = '0x' + (this.sent.length + 1).toString(16).padStart(64, 'a');
    this.sent.push({ calldata, opts, txHash });
    this.onSend?.(this.sent.length, txHash);
    return { txHash, nonce: opts.nonce ?? this.nonce };
  }

  async getReceipt(txHash: string): Promise<RootReceipt | null> {
    return this.receipts.get(txHash) ?? null;
  }

  async close(): Promise<void> {}
}
