/**
 * The root contracts' ABIs (from the Solidity build) and decoding of their logs into typed events.
 * Shared by the EVM and TRON clients: TRON logs carry the same topics and data.
 */
import { Interface, type LogDescription } from 'ethers';
import { loadArtifacts } from '../contracts/build.ts';
import type { RootContracts, RootLog } from './interface.ts';
import { clerkSequence, stakingSequence } from './sequence.ts';

export type RootContractName = 'StakeManager' | 'RootChain' | 'StateSender';

let ifaces: Record<RootContractName, Interface> | undefined;

export function rootInterfaces(): Record<RootContractName, Interface> {
  if (!ifaces) {
    const art = loadArtifacts();
    const make = (n: RootContractName): Interface => {
      const a = art[n];
      if (!a) throw new Error(`root contract ${n} missing from the Solidity build`);
      return new Interface(a.abi as never);
    };
    ifaces = { StakeManager: make('StakeManager'), RootChain: make('RootChain'), StateSender: make('StateSender') };
  }
  return ifaces;
}

export interface RootEvent {
  rootChainId: number;
  contract: RootContractName;
  /** Event name, e.g. "Staked", "NewHeaderBlock", "StateSynced". */
  name: string;
  /** Named arguments: integers as bigint, addresses lower-case hex, bytes as 0x hex. */
  args: Record<string, unknown>;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** Replay sequence (§6): clerk form for StateSynced, staking form for everything else. */
  sequence: bigint;
}

function plain(value: unknown): unknown {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** Decodes one log of the root contracts; null for a log of another contract or an unknown event. */
export function decodeRootLog(log: RootLog, contracts: RootContracts, rootChainId: number): RootEvent | null {
  const addr = log.address.toLowerCase();
  const contract: RootContractName | null =
    addr === contracts.stakeManager.toLowerCase() ? 'StakeManager' : addr === contracts.rootChain.toLowerCase() ? 'RootChain' : addr === contracts.stateSender.toLowerCase() ? 'StateSender' : null;
  if (!contract) return null;
  let parsed: LogDescription | null;
  try {
    parsed = rootInterfaces()[contract].parseLog({ topics: log.topics, data: log.data });
  } catch (err) {
    throw new Error(`root chain ${rootChainId}: cannot decode ${contract} log ${log.txHash}#${log.logIndex} in block ${log.blockNumber}: ${(err as Error).message}`);
  }
  if (!parsed) return null;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name] = plain(parsed.args[i]);
  });
  const sequence = parsed.name === 'StateSynced' ? clerkSequence(log.blockNumber, log.logIndex, rootChainId) : stakingSequence(log.blockNumber, log.logIndex);
  return { rootChainId, contract, name: parsed.name, args, blockNumber: log.blockNumber, logIndex: log.logIndex, txHash: log.txHash, sequence };
}
