/**
 * A bare @ethereumjs/vm chain for contract tests: deploy and call with signed legacy transactions,
 * no RPC and no block building. Gas figures are real transaction gas (intrinsic + execution).
 */
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import { createCustomCommon, Mainnet, type Common } from '@ethereumjs/common';
import { createLegacyTx } from '@ethereumjs/tx';
import { SimpleStateManager } from '@ethereumjs/statemanager';
import { createBlock } from '@ethereumjs/block';
import { Account, createZeroAddress, createAddressFromString } from '@ethereumjs/util';
import { Interface, type LogDescription, type Result } from 'ethers';
import { loadArtifacts, type Artifacts } from '../../src/contracts/build.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import type { TestKey } from '../helpers/keys.ts';

/** A decoded log and the (lower-case) address that emitted it. */
export type DecodedLog = LogDescription & { address: string };

export interface TxOutcome {
  ok: boolean;
  gasUsed: bigint;
  revert?: string;
  logs: DecodedLog[];
  /** Every log's emitter in order, decoded or not (a contract without a registered name). */
  logAddresses: string[];
  createdAddress?: string;
}

export class TestChain {
  readonly vm: VM;
  readonly common: Common;
  readonly artifacts: Artifacts;
  readonly ifaces = new Map<string, Interface>();
  /** address (lower case) → contract name, so logs decode with the right ABI. */
  readonly names = new Map<string, string>();
  timestamp = 1_700_000_000n;
  number = 1n;

  private constructor(vm: VM, common: Common, artifacts: Artifacts) {
    this.vm = vm;
    this.common = common;
    this.artifacts = artifacts;
  }

  /** `simpleState`: an in-memory state without a trie (no state roots), for tests that run thousands of transactions. */
  static async create(chainId = 2, opts: { simpleState?: boolean } = {}): Promise<TestChain> {
    const common = createCustomCommon({ chainId, name: 'root-test' }, Mainnet, { hardfork: 'berlin' });
    const vm = await createVM({ common, ...(opts.simpleState ? { stateManager: new SimpleStateManager({ common }) } : {}) });
    return new TestChain(vm, common, loadArtifacts());
  }

  iface(name: string): Interface {
    let i = this.ifaces.get(name);
    if (!i) {
      const a = this.artifacts[name];
      if (!a) throw new Error(`no artifact ${name}`);
      i = new Interface(a.abi as never);
      this.ifaces.set(name, i);
    }
    return i;
  }

  async fund(address: string, wei = 10n ** 24n): Promise<void> {
    await this.vm.stateManager.putAccount(createAddressFromString(address), new Account(0n, wei));
  }

  private async nonce(address: string): Promise<bigint> {
    return (await this.vm.stateManager.getAccount(createAddressFromString(address)))?.nonce ?? 0n;
  }

  private block() {
    return createBlock({ header: { number: this.number, timestamp: this.timestamp, gasLimit: 100_000_000n } }, { common: this.common });
  }

  async sendRaw(from: TestKey, to: string | undefined, data: Uint8Array, gasLimit = 30_000_000n): Promise<TxOutcome> {
    const tx = createLegacyTx({ nonce: await this.nonce(from.addressHex), gasPrice: 1n, gasLimit, to: to === undefined ? undefined : createAddressFromString(to), data }, { common: this.common }).sign(
      from.secret,
    );
    const res = await runTx(this.vm, { tx, block: this.block(), skipBalance: true });
    this.number++;
    this.timestamp += 1n;
    const err = res.execResult.exceptionError;
    const logs: DecodedLog[] = [];
    const logAddresses: string[] = [];
    for (const [addr, topics, logData] of res.receipt.logs) {
      const address = bytesToHex(addr);
      logAddresses.push(address);
      const name = this.names.get(address);
      const parsed = name ? this.iface(name).parseLog({ topics: topics.map(bytesToHex), data: bytesToHex(logData) }) : null;
      if (parsed) logs.push(Object.assign(parsed, { address }));
    }
    return {
      ok: !err,
      gasUsed: res.totalGasSpent,
      revert: err ? (decodeRevert(res.execResult.returnValue) ?? err.error) : undefined,
      logs,
      logAddresses,
      createdAddress: res.createdAddress?.toString(),
    };
  }

  async deploy(name: string, from: TestKey, args: unknown[] = []): Promise<string> {
    const a = this.artifacts[name];
    if (!a) throw new Error(`no artifact ${name}`);
    const ctor = this.iface(name).encodeDeploy(args);
    const out = await this.sendRaw(from, undefined, hexToBytes(a.bytecode + ctor.slice(2)));
    if (!out.ok || !out.createdAddress) throw new Error(`deploy ${name} failed: ${out.revert}`);
    this.names.set(out.createdAddress.toLowerCase(), name);
    return out.createdAddress;
  }

  at(name: string, address: string): void {
    this.names.set(address.toLowerCase(), name);
  }

  async send(from: TestKey, name: string, to: string, fn: string, args: unknown[] = []): Promise<TxOutcome> {
    return this.sendRaw(from, to, hexToBytes(this.iface(name).encodeFunctionData(fn, args)));
  }

  /** Sends and throws on revert (for setup steps). */
  async must(from: TestKey, name: string, to: string, fn: string, args: unknown[] = []): Promise<TxOutcome> {
    const out = await this.send(from, name, to, fn, args);
    if (!out.ok) throw new Error(`${name}.${fn} reverted: ${out.revert}`);
    return out;
  }

  async call(name: string, to: string, fn: string, args: unknown[] = []): Promise<Result> {
    const iface = this.iface(name);
    const res = await this.vm.evm.runCall({ to: createAddressFromString(to), caller: createZeroAddress(), data: hexToBytes(iface.encodeFunctionData(fn, args)), gasLimit: 30_000_000n });
    if (res.execResult.exceptionError) throw new Error(`${name}.${fn} call failed: ${decodeRevert(res.execResult.returnValue) ?? res.execResult.exceptionError.error}`);
    return iface.decodeFunctionResult(fn, res.execResult.returnValue);
  }
}

const ERROR_STRING = '0x08c379a0';

export function decodeRevert(returnValue: Uint8Array): string | undefined {
  const hex = bytesToHex(returnValue);
  if (!hex.startsWith(ERROR_STRING)) return undefined;
  try {
    return new Interface(['function Error(string)']).decodeFunctionData('Error', hex)[0] as string;
  } catch {
    return undefined;
  }
}
