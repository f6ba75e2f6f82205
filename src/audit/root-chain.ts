/**
 * The RootChain contract read from outside: `headerBlocks(id)`, `currentHeaderBlock()` and `CHAINID()`
 * (BTTC's RootChain and ours share these; bttcprotocol/contracts RootChainStorage.sol), over an EVM
 * JSON-RPC (`eth_call`, Ethereum and BSC) or TRON's wallet HTTP API (`wallet/triggerconstantcontract`,
 * as src/root/tron-client.ts reads contracts). Only the three view functions are needed, so their ABI
 * is written here rather than loaded from the Solidity build (no compiler run for an audit).
 */
import { Interface } from 'ethers';
import { loadConfig } from '../config/load.ts';
import { evmToTronHex, tronToEvmHex } from '../root/tron-address.ts';
import { type HttpEndpoint, snippet } from './http.ts';
import { AuditError, type HeaderBlock, type RootChainReader } from './interface.ts';
import type { JsonRpcEndpoint } from './json-rpc.ts';

export const ROOT_CHAINS = ['tron', 'ethereum', 'bsc'] as const;
export type RootChainName = (typeof ROOT_CHAINS)[number];

/** Header block ids are multiples of 10000: the first checkpoint is 10000 (RootChain.MAX_DEPOSITS). */
export const HEADER_BLOCK_STEP = 10_000n;

const ROOT_CHAIN_ABI = new Interface([
  'function headerBlocks(uint256) view returns (bytes32 root, uint256 start, uint256 end, uint256 createdAt, address proposer)',
  'function currentHeaderBlock() view returns (uint256)',
  'function CHAINID() view returns (uint256)',
]);

/**
 * The mainnet RootChain of `chain` from config/mainnet.json (0x hex), or null where the preset has
 * none (BSC: give --root-chain-address).
 */
export function mainnetRootChainAddress(chain: RootChainName): string | null {
  const rc = loadConfig('mainnet').rootChains.find((c) => c.name === chain);
  return rc?.rootChain ? tronToEvmHex(rc.rootChain, `config/mainnet.json ${chain} rootChain`) : null;
}

/** `--root-chain-address` in any form the chain uses (0x hex; TRON also base58 T… and 41-hex) → 0x hex. */
export function parseRootChainAddress(chain: RootChainName, address: string): string {
  if (chain === 'tron') {
    try {
      return tronToEvmHex(address, '--root-chain-address');
    } catch (err) {
      throw new AuditError((err as Error).message);
    }
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new AuditError(`--root-chain-address: expected a 0x-prefixed 20-byte address for ${chain}, got ${JSON.stringify(address)}`);
  return address.toLowerCase();
}

function decodeHeaderBlock(id: bigint, data: string, where: string): HeaderBlock | null {
  let r: ReturnType<typeof ROOT_CHAIN_ABI.decodeFunctionResult>;
  try {
    r = ROOT_CHAIN_ABI.decodeFunctionResult('headerBlocks', data);
  } catch (err) {
    throw new AuditError(
      `${where}: headerBlocks(${id}) answered ${JSON.stringify(data.length > 80 ? data.slice(0, 77) + '...' : data)}, not (bytes32, uint256, uint256, uint256, address): is this a RootChain? (${(err as Error).message.split(' (')[0]})`,
    );
  }
  const hb: HeaderBlock = { id, root: (r[0] as string).toLowerCase(), start: r[1] as bigint, end: r[2] as bigint, createdAt: r[3] as bigint, proposer: (r[4] as string).toLowerCase() };
  // A mapping answers zeros for an id never written: no proposer, no time, no root.
  if (hb.createdAt === 0n && /^0x0+$/.test(hb.root) && /^0x0+$/.test(hb.proposer)) return null;
  return hb;
}

function decodeUint(fn: 'currentHeaderBlock' | 'CHAINID', data: string, where: string): bigint {
  try {
    return ROOT_CHAIN_ABI.decodeFunctionResult(fn, data)[0] as bigint;
  } catch {
    throw new AuditError(`${where}: ${fn}() answered ${JSON.stringify(data)}, not a uint256: is this a RootChain?`);
  }
}

/** RootChain over an EVM JSON-RPC (Ethereum, BSC, the embedded dev chain). */
export class EvmRootChainReader implements RootChainReader {
  private readonly rpc: JsonRpcEndpoint;
  readonly address: string;
  readonly describe: string;

  constructor(rpc: JsonRpcEndpoint, address: string, chain: string) {
    this.rpc = rpc;
    this.address = address.toLowerCase();
    this.describe = `${chain} RootChain ${this.address} at ${rpc.http.name}`;
  }

  private async ethCall(data: string): Promise<string> {
    const out = await this.rpc.call<unknown>('eth_call', [{ to: this.address, data }, 'latest']);
    if (typeof out !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(out)) throw new AuditError(`${this.describe}: eth_call answered ${JSON.stringify(out)}, not hex bytes`);
    if (out === '0x') throw new AuditError(`${this.describe}: the call returned nothing: no contract at this address on this chain?`);
    return out;
  }

  async headerBlock(id: bigint): Promise<HeaderBlock | null> {
    return decodeHeaderBlock(id, await this.ethCall(ROOT_CHAIN_ABI.encodeFunctionData('headerBlocks', [id])), this.describe);
  }

  async currentHeaderBlock(): Promise<bigint> {
    return decodeUint('currentHeaderBlock', await this.ethCall(ROOT_CHAIN_ABI.encodeFunctionData('currentHeaderBlock', [])), this.describe);
  }

  async bttcChainId(): Promise<bigint | null> {
    try {
      return decodeUint('CHAINID', await this.ethCall(ROOT_CHAIN_ABI.encodeFunctionData('CHAINID', [])), this.describe);
    } catch (err) {
      if (err instanceof AuditError && /failed|returned nothing|not a uint256/.test(err.message)) return null;
      throw err;
    }
  }
}

interface TronConstantAnswer {
  result?: { result?: boolean; code?: string; message?: string };
  constant_result?: string[];
  Error?: string;
}

/** RootChain over TRON's wallet HTTP API (a full node or TronGrid: https://api.trongrid.io). */
export class TronRootChainReader implements RootChainReader {
  private readonly http: HttpEndpoint;
  readonly address: string;
  readonly describe: string;

  constructor(http: HttpEndpoint, address: string) {
    this.http = http;
    this.address = address.toLowerCase();
    this.describe = `tron RootChain ${evmToTronHex(this.address)} at ${http.name}`;
  }

  /** A constant call; a revert or a refused call is an AuditError with TRON's message decoded. */
  private async constantCall(fn: 'headerBlocks' | 'currentHeaderBlock' | 'CHAINID', args: unknown[]): Promise<string> {
    const data = ROOT_CHAIN_ABI.encodeFunctionData(fn, args);
    const { status, text } = await this.http.request('POST', 'wallet/triggerconstantcontract', {
      // A constant call needs an owner but spends nothing: the contract itself will do.
      owner_address: evmToTronHex(this.address),
      contract_address: evmToTronHex(this.address),
      function_selector: ROOT_CHAIN_ABI.getFunction(fn)!.format('sighash'),
      parameter: data.slice(10),
      call_value: 0,
      visible: false,
    });
    let res: TronConstantAnswer;
    try {
      res = JSON.parse(text) as TronConstantAnswer;
    } catch {
      throw new AuditError(`${this.http.name}: not TRON's wallet API (HTTP ${status}${snippet(text)})`);
    }
    if (status !== 200 || res.Error) throw new AuditError(`${this.http.name}: wallet/triggerconstantcontract answered HTTP ${status}${snippet(res.Error ?? text)}`);
    if (res.result?.result !== true) {
      const raw = res.result?.message ?? res.result?.code ?? 'refused';
      const msg = /^[0-9a-fA-F]+$/.test(raw) && raw.length % 2 === 0 ? Buffer.from(raw, 'hex').toString('utf8') : raw;
      throw new AuditError(`${this.describe}: ${fn}() failed: ${msg}`);
    }
    const out = res.constant_result?.[0];
    if (out === undefined || out === '') throw new AuditError(`${this.describe}: ${fn}() returned nothing: no contract at this address?`);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(out)) throw new AuditError(`${this.describe}: ${fn}() answered ${JSON.stringify(out)}, not hex bytes`);
    return '0x' + out;
  }

  async headerBlock(id: bigint): Promise<HeaderBlock | null> {
    return decodeHeaderBlock(id, await this.constantCall('headerBlocks', [id]), this.describe);
  }

  async currentHeaderBlock(): Promise<bigint> {
    return decodeUint('currentHeaderBlock', await this.constantCall('currentHeaderBlock', []), this.describe);
  }

  async bttcChainId(): Promise<bigint | null> {
    try {
      return decodeUint('CHAINID', await this.constantCall('CHAINID', []), this.describe);
    } catch (err) {
      if (err instanceof AuditError && /failed|returned nothing|not a uint256/.test(err.message)) return null;
      throw err;
    }
  }
}

/** Hash of block `n` of an EVM chain (Delivery's span seed); AuditError when the chain has no such block. */
export async function evmBlockHash(rpc: JsonRpcEndpoint, n: number): Promise<string> {
  const b = await rpc.call<{ hash?: unknown } | null>('eth_getBlockByNumber', ['0x' + n.toString(16), false]);
  if (b === null || b === undefined) throw new AuditError(`${rpc.http.name} has no block ${n}`);
  if (typeof b.hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(b.hash)) throw new AuditError(`${rpc.http.name}: block ${n} has no 32-byte hash (got ${JSON.stringify(b.hash)})`);
  return b.hash.toLowerCase();
}
