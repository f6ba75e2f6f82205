/**
 * Root chain client for TRON with tronweb. Same contract ABIs as the EVM chains; TRON differs in
 * transport (HTTP wallet API), addresses (base58 / 41-hex), fees (energy within a fee limit, no gas
 * price bidding, no nonces) and logs (read per block from gettransactioninfobyblocknum, which has no
 * log index: it is counted across the block's transactions in order, as the EVM does).
 */
import { TronWeb } from 'tronweb';
import type { Logger } from '../observability/logger.ts';
import { silentLogger } from '../observability/logger.ts';
import { bytesToHex } from '../util/bytes.ts';
import { rootInterfaces } from './abi.ts';
import { targetAddress, watchedAddresses, type RootChainClient, type RootContracts, type RootLog, type RootReceipt, type RootTxTarget, type SendOptions, type SentTx } from './interface.ts';
import { evmToTronHex, tronToEvmHex } from './tron-address.ts';

export interface TronRootChainClientOptions {
  /** TRON full node HTTP endpoint, e.g. https://api.trongrid.io */
  fullHost: string;
  rootChainId: number;
  /** Addresses in any TRON form (base58 T…, 41-hex) or 0x hex. */
  contracts: RootContracts;
  privateKey?: string;
  /** Upper bound of the fee limit in sun (default 1000 TRX). */
  maxFeeLimitSun?: bigint;
  headers?: Record<string, string>;
}

/** The block reference a TRON transaction carries (taken from a recent block). */
export interface TronBlockHeader {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
}

export interface TronTxInfoLog {
  address: string;
  topics?: string[];
  data?: string;
}

export interface TronTxInfo {
  id: string;
  blockNumber?: number;
  receipt?: { result?: string; energy_usage_total?: number };
  log?: TronTxInfoLog[];
  result?: string;
  resMessage?: string;
}

export interface TronTransaction {
  txID: string;
  raw_data: { contract: { parameter: { value: { data?: string; owner_address: string; contract_address: string } } }[]; fee_limit?: number; [k: string]: unknown };
  raw_data_hex: string;
  signature?: string[];
  visible?: boolean;
}

const hex0x = (h: string | undefined): string => '0x' + (h ?? '').replace(/^0x/, '').toLowerCase();

/**
 * TRON transaction infos of one block → chain-neutral logs of `addresses`, log index counted over
 * every log of the block (so two events of one block never share a sequence).
 */
export function tronLogsFromTxInfos(blockNumber: number, infos: TronTxInfo[], addresses: string[]): RootLog[] {
  const wanted = new Set(addresses.map((a) => a.toLowerCase()));
  const out: RootLog[] = [];
  let logIndex = 0;
  for (const info of infos) {
    for (const log of info.log ?? []) {
      const address = tronToEvmHex(log.address, `log address in tx ${info.id}`);
      if (wanted.has(address)) out.push({ address, topics: (log.topics ?? []).map(hex0x), data: hex0x(log.data), blockNumber, logIndex, txHash: hex0x(info.id) });
      logIndex++;
    }
  }
  return out;
}

export class TronRootChainClient implements RootChainClient {
  readonly kind = 'tron' as const;
  readonly rootChainId: number;
  readonly contracts: RootContracts;
  readonly tronWeb: TronWeb;
  private readonly privateKey: string | undefined;
  private readonly maxFeeLimitSun: bigint;
  private readonly logger: Logger;

  constructor(opts: TronRootChainClientOptions, deps: { logger?: Logger } = {}) {
    this.rootChainId = opts.rootChainId;
    this.contracts = {
      stakeManager: tronToEvmHex(opts.contracts.stakeManager, 'stakeManager'),
      rootChain: tronToEvmHex(opts.contracts.rootChain, 'rootChain'),
      stateSender: tronToEvmHex(opts.contracts.stateSender, 'stateSender'),
      ...(opts.contracts.stakingInfo ? { stakingInfo: tronToEvmHex(opts.contracts.stakingInfo, 'stakingInfo') } : {}),
      ...(opts.contracts.governor ? { governor: tronToEvmHex(opts.contracts.governor, 'governor') } : {}),
    };
    this.privateKey = opts.privateKey?.replace(/^0x/, '');
    this.maxFeeLimitSun = opts.maxFeeLimitSun ?? 1_000_000_000n;
    this.logger = deps.logger ?? silentLogger();
    this.tronWeb = new TronWeb({ fullHost: opts.fullHost, headers: opts.headers, ...(this.privateKey ? { privateKey: this.privateKey } : {}) });
  }

  /** This node's address as 0x hex, or null without a key. */
  get address(): string | null {
    if (!this.privateKey) return null;
    return tronToEvmHex(this.tronWeb.address.fromPrivateKey(this.privateKey) as string);
  }

  private request<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.tronWeb.fullNode.request(path, body, 'post') as Promise<T>;
  }

  async blockNumber(): Promise<number> {
    const b = await this.request<{ block_header?: { raw_data?: { number?: number } } }>('wallet/getnowblock', {});
    const n = b.block_header?.raw_data?.number;
    if (typeof n !== 'number') throw new Error(`TRON getnowblock: no block number in the answer`);
    return n;
  }

  /** `wallet/getblockbynum`: TRON answers `{}` for a block it does not have. */
  async blockHash(number: number): Promise<string | null> {
    const b = await this.request<{ blockID?: string; block_header?: { raw_data?: { number?: number } } }>('wallet/getblockbynum', { num: number });
    if (!b || b.blockID === undefined) return null;
    if (!/^[0-9a-fA-F]{64}$/.test(b.blockID)) throw new Error(`TRON getblockbynum ${number}: blockID ${JSON.stringify(b.blockID)} is not 32 bytes of hex`);
    // Protobuf JSON leaves out zero values, so block 0 has no number field.
    const got = b.block_header?.raw_data?.number ?? 0;
    if (got !== number) throw new Error(`TRON getblockbynum ${number}: the node answered block ${got}`);
    return '0x' + b.blockID.toLowerCase();
  }

  async getLogs(fromBlock: number, toBlock: number, addresses: string[]): Promise<RootLog[]> {
    const out: RootLog[] = [];
    for (let num = fromBlock; num <= toBlock; num++) {
      const infos = await this.request<TronTxInfo[] | Record<string, never>>('wallet/gettransactioninfobyblocknum', { num });
      out.push(...tronLogsFromTxInfos(num, Array.isArray(infos) ? infos : [], addresses));
    }
    return out;
  }

  private async constantCall(data: string, to: RootTxTarget = 'rootChain'): Promise<{ result: string; energy: bigint }> {
    const owner = this.address ?? this.contracts.rootChain;
    const res = await this.request<{ constant_result?: string[]; energy_used?: number; result?: { result?: boolean; message?: string } }>('wallet/triggerconstantcontract', {
      owner_address: evmToTronHex(owner),
      contract_address: evmToTronHex(targetAddress(this.contracts, to)),
      data: data.replace(/^0x/, ''),
      call_value: 0,
    });
    if (res.result?.result === false || res.result?.message) {
      const raw = res.result?.message ?? '';
      const msg = /^[0-9a-fA-F]+$/.test(raw) ? Buffer.from(raw, 'hex').toString('utf8') : raw;
      const reason = res.constant_result?.[0] ? decodeErrorString('0x' + res.constant_result[0]) : undefined;
      throw new Error(`TRON call reverted: ${reason ?? msg}`);
    }
    return { result: '0x' + (res.constant_result?.[0] ?? ''), energy: BigInt(res.energy_used ?? 0) };
  }

  private async callRootChain(fn: string): Promise<bigint> {
    const iface = rootInterfaces().RootChain;
    const { result } = await this.constantCall(iface.encodeFunctionData(fn, []));
    return iface.decodeFunctionResult(fn, result)[0] as bigint;
  }

  currentHeaderBlock(): Promise<bigint> {
    return this.callRootChain('currentHeaderBlock');
  }

  lastChildBlock(): Promise<bigint> {
    return this.callRootChain('getLastChildBlock');
  }

  async syncedCheckpoint(rootChainId: number): Promise<bigint> {
    const iface = rootInterfaces().StakeManager;
    const { result } = await this.constantCall(iface.encodeFunctionData('getCurrentSyncedCheckpoint', [rootChainId]), 'stakeManager');
    return iface.decodeFunctionResult('getCurrentSyncedCheckpoint', result)[0] as bigint;
  }

  async estimateCheckpointGas(calldata: Uint8Array, to: RootTxTarget = 'rootChain'): Promise<bigint> {
    return (await this.constantCall(bytesToHex(calldata), to)).energy;
  }

  /** Sun per unit of energy (chain parameter getEnergyFee). */
  async gasPrice(): Promise<bigint> {
    const res = await this.request<{ chainParameter?: { key: string; value?: number }[] }>('wallet/getchainparameters', {});
    const p = res.chainParameter?.find((x) => x.key === 'getEnergyFee');
    return BigInt(p?.value ?? 420);
  }

  /**
   * Builds the TriggerSmartContract transaction locally (tronweb `txLocal`); with `blockHeader` it
   * needs no node at all (offline tests, or a caller that fetched the reference block itself).
   */
  async buildCheckpointTx(calldata: Uint8Array, feeLimitSun: bigint, blockHeader?: TronBlockHeader, to: RootTxTarget = 'rootChain'): Promise<TronTransaction> {
    const owner = this.address;
    if (!owner) throw new Error(`root chain ${this.rootChainId}: no private key configured to submit checkpoints`);
    const feeLimit = feeLimitSun > this.maxFeeLimitSun ? this.maxFeeLimitSun : feeLimitSun;
    const res = await this.tronWeb.transactionBuilder.triggerSmartContract(
      evmToTronHex(targetAddress(this.contracts, to)),
      '',
      { txLocal: true, input: bytesToHex(calldata).slice(2), feeLimit: Number(feeLimit), callValue: 0, ...(blockHeader ? { blockHeader } : {}) },
      [],
      evmToTronHex(owner),
    );
    return (res as unknown as { transaction: TronTransaction }).transaction;
  }

  async signTx(tx: TronTransaction): Promise<TronTransaction> {
    if (!this.privateKey) throw new Error(`root chain ${this.rootChainId}: no private key configured`);
    return (await this.tronWeb.trx.sign(tx as never, this.privateKey)) as unknown as TronTransaction;
  }

  async sendCheckpoint(calldata: Uint8Array, opts: SendOptions): Promise<SentTx> {
    const energyPrice = opts.gasPrice ?? (await this.gasPrice());
    const tx = await this.signTx(await this.buildCheckpointTx(calldata, opts.gasLimit * energyPrice, undefined, opts.to));
    const res = (await this.tronWeb.trx.sendRawTransaction(tx as never)) as unknown as { result?: boolean; code?: string; message?: string; txid?: string };
    if (!res.result) {
      const msg = res.message && /^[0-9a-fA-F]+$/.test(res.message) ? Buffer.from(res.message, 'hex').toString('utf8') : res.message;
      throw new Error(`TRON broadcast failed: ${res.code ?? 'error'} ${msg ?? ''}`.trim());
    }
    this.logger.debug({ rootChainId: this.rootChainId, to: opts.to ?? 'rootChain', txHash: tx.txID }, 'checkpoint transaction sent');
    return { txHash: '0x' + tx.txID };
  }

  async getReceipt(txHash: string): Promise<RootReceipt | null> {
    const info = await this.request<TronTxInfo | Record<string, never>>('wallet/gettransactioninfobyid', { value: txHash.replace(/^0x/, '') });
    return tronReceipt(info as TronTxInfo, [this.contracts.stakeManager, ...watchedAddresses(this.contracts)]);
  }

  async close(): Promise<void> {}
}

/** A TRON transaction info as a receipt; null while the node does not know it yet. */
export function tronReceipt(info: TronTxInfo, addresses: string[]): RootReceipt | null {
  if (!info?.id || info.blockNumber === undefined) return null;
  const ok = (info.receipt?.result ?? 'SUCCESS') === 'SUCCESS' && info.result !== 'FAILED';
  return {
    txHash: hex0x(info.id),
    status: ok ? 'success' : 'reverted',
    blockNumber: info.blockNumber,
    gasUsed: BigInt(info.receipt?.energy_usage_total ?? 0),
    logs: tronLogsFromTxInfos(info.blockNumber, [info], addresses),
  };
}

function decodeErrorString(hex: string): string | undefined {
  if (!hex.startsWith('0x08c379a0')) return undefined;
  try {
    return rootInterfaces()
      .RootChain.getAbiCoder()
      .decode(['string'], '0x' + hex.slice(10))[0] as string;
  } catch {
    return undefined;
  }
}
