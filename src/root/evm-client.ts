/**
 * Root chain client for EVM chains (Ethereum, BSC, the embedded dev chain) over JSON-RPC with ethers.
 * Legacy (type 0) transactions: the embedded chain and Bttc have no London fork, and Ethereum still
 * accepts them.
 */
import { JsonRpcProvider, Network, Wallet, FetchRequest, type Log as EthersLog } from 'ethers';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { bytesToHex } from '../util/bytes.ts';
import { rootInterfaces } from './abi.ts';
import { LightRpc } from './light-rpc.ts';
import { targetAddress, type RootChainClient, type RootContracts, type RootLog, type RootReceipt, type RootTxTarget, type SendOptions, type SentTx } from './interface.ts';

export interface EvmRootChainClientOptions {
  rpcUrl: string;
  rootChainId: number;
  contracts: RootContracts;
  /** The EVM chain id; fetched once with eth_chainId when absent. */
  chainId?: number;
  /** Key that pays for checkpoint transactions (0x hex); reads work without it. */
  privateKey?: string;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
}

function toRootLog(l: EthersLog): RootLog {
  return { address: l.address.toLowerCase(), topics: [...l.topics], data: l.data, blockNumber: l.blockNumber, logIndex: l.index, txHash: l.transactionHash };
}

export class EvmRootChainClient implements RootChainClient {
  readonly kind = 'evm' as const;
  readonly rootChainId: number;
  readonly contracts: RootContracts;
  readonly provider: JsonRpcProvider;
  readonly wallet: Wallet | null;
  private readonly logger: Logger;
  readonly chainId: number;
  /** The watcher's polling reads, without ethers' per-call overhead (light-rpc.ts). */
  private readonly reads: LightRpc;

  private constructor(opts: EvmRootChainClientOptions, chainId: number, deps: { logger?: Logger }) {
    this.rootChainId = opts.rootChainId;
    this.contracts = opts.contracts;
    this.logger = deps.logger ?? silentLogger();
    this.chainId = chainId;
    const req = new FetchRequest(opts.rpcUrl);
    req.timeout = opts.requestTimeoutMs ?? 15_000;
    // A static network: no chain-id polling, and no endless "failed to detect network" retries.
    // cacheTimeout -1: ethers otherwise answers an identical call from a 250 ms cache, so a nonce
    // read right after a receipt on a fast chain (the devnet root chain) is stale ("nonce too low").
    this.provider = new JsonRpcProvider(req, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, polling: false, cacheTimeout: -1 });
    this.wallet = opts.privateKey ? new Wallet(opts.privateKey, this.provider) : null;
    this.reads = new LightRpc(opts.rpcUrl, req.timeout);
  }

  static async connect(opts: EvmRootChainClientOptions, deps: { logger?: Logger } = {}): Promise<EvmRootChainClient> {
    let chainId = opts.chainId;
    if (chainId === undefined) {
      const res = await fetch(opts.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
      const body = (await res.json()) as { result?: string; error?: { message: string } };
      if (!body.result) throw new Error(`root chain ${opts.rpcUrl}: eth_chainId failed: ${body.error?.message ?? res.status}`);
      chainId = Number(BigInt(body.result));
    }
    return new EvmRootChainClient(opts, chainId, deps);
  }

  get address(): string | null {
    return this.wallet?.address.toLowerCase() ?? null;
  }

  blockNumber(): Promise<number> {
    return this.reads.blockNumber();
  }

  async blockHash(number: number): Promise<string | null> {
    const b = await this.provider.getBlock(number);
    return b?.hash?.toLowerCase() ?? null;
  }

  async getLogs(fromBlock: number, toBlock: number, addresses: string[]): Promise<RootLog[]> {
    return this.reads.getLogs(fromBlock, toBlock, addresses);
  }

  private async callRootChain(fn: string): Promise<bigint> {
    const iface = rootInterfaces().RootChain;
    const out = await this.provider.call({ to: this.contracts.rootChain, data: iface.encodeFunctionData(fn, []) });
    return iface.decodeFunctionResult(fn, out)[0] as bigint;
  }

  currentHeaderBlock(): Promise<bigint> {
    return this.callRootChain('currentHeaderBlock');
  }

  lastChildBlock(): Promise<bigint> {
    return this.callRootChain('getLastChildBlock');
  }

  async syncedCheckpoint(rootChainId: number): Promise<bigint> {
    const iface = rootInterfaces().StakeManager;
    const out = await this.provider.call({ to: this.contracts.stakeManager, data: iface.encodeFunctionData('getCurrentSyncedCheckpoint', [rootChainId]) });
    return iface.decodeFunctionResult('getCurrentSyncedCheckpoint', out)[0] as bigint;
  }

  async estimateCheckpointGas(calldata: Uint8Array, to: RootTxTarget = 'rootChain'): Promise<bigint> {
    return this.provider.estimateGas({ from: this.wallet?.address, to: targetAddress(this.contracts, to), data: bytesToHex(calldata) });
  }

  async gasPrice(): Promise<bigint> {
    return BigInt((await this.provider.send('eth_gasPrice', [])) as string);
  }

  async sendCheckpoint(calldata: Uint8Array, opts: SendOptions): Promise<SentTx> {
    if (!this.wallet) throw new Error(`root chain ${this.rootChainId}: no private key configured to submit checkpoints`);
    const nonce = opts.nonce ?? (await this.provider.getTransactionCount(this.wallet.address, 'pending'));
    const gasPrice = opts.gasPrice ?? (await this.gasPrice());
    const to = opts.to ?? 'rootChain';
    const signed = await this.wallet.signTransaction({
      type: 0,
      chainId: this.chainId,
      to: targetAddress(this.contracts, to),
      data: bytesToHex(calldata),
      gasLimit: opts.gasLimit,
      gasPrice,
      nonce,
      value: 0n,
    });
    const txHash = (await this.provider.send('eth_sendRawTransaction', [signed])) as string;
    this.logger.debug({ rootChainId: this.rootChainId, to, txHash, nonce, gasPrice: gasPrice.toString() }, 'checkpoint transaction sent');
    return { txHash, nonce };
  }

  async getReceipt(txHash: string): Promise<RootReceipt | null> {
    const r = await this.provider.getTransactionReceipt(txHash);
    if (!r) return null;
    return { txHash: r.hash, status: r.status === 1 ? 'success' : 'reverted', blockNumber: r.blockNumber, gasUsed: r.gasUsed, logs: r.logs.map(toRootLog) };
  }

  async close(): Promise<void> {
    this.provider.destroy();
    this.reads.close();
  }
}
