/**
 * The root contracts' ABIs (from the Solidity build) and decoding of their logs into typed events.
 * Shared by the EVM and TRON clients: TRON logs carry the same topics and data.
 *
 * Staking events come from the StakingInfo contract (BTTC's StakeManager logs through it and emits
 * none itself), decoded with StakingInfo's ABI, whose event signatures are BTTC's exactly. They are
 * reported as contract 'StakeManager': the contract whose state they describe, so a consumer has one
 * name for staking events whichever address emitted them.
 */
import { Interface, type LogDescription } from 'ethers';
import { loadArtifacts } from '../contracts/build.ts';
import type { RootContracts, RootLog } from './interface.ts';
import { clerkSequence, stakingSequence } from './sequence.ts';

export type RootContractName = 'StakeManager' | 'RootChain' | 'StateSender' | 'Governor';
/** Contracts with an ABI here: the three above and StakingInfo, the StakeManager's event logger. */
export type RootAbiName = RootContractName | 'StakingInfo';

let ifaces: Record<RootAbiName, Interface> | undefined;

export function rootInterfaces(): Record<RootAbiName, Interface> {
  if (!ifaces) {
    const art = loadArtifacts();
    const make = (n: RootAbiName): Interface => {
      const a = art[n];
      if (!a) throw new Error(`root contract ${n} missing from the Solidity build`);
      return new Interface(a.abi as never);
    };
    ifaces = { StakeManager: make('StakeManager'), RootChain: make('RootChain'), StateSender: make('StateSender'), StakingInfo: make('StakingInfo'), Governor: make('Governor') };
  }
  return ifaces;
}

export interface RootEvent {
  rootChainId: number;
  /** 'StakeManager' for staking events (emitted by its StakingInfo), else the emitting contract. */
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

/** Which ABI decodes a log from `addr`, and the contract it is reported as; null for other addresses. */
function emitterOf(addr: string, contracts: RootContracts): { abi: RootAbiName; contract: RootContractName } | null {
  const is = (a: string | null | undefined) => !!a && a.toLowerCase() === addr;
  if (is(contracts.stakingInfo)) return { abi: 'StakingInfo', contract: 'StakeManager' };
  if (is(contracts.rootChain)) return { abi: 'RootChain', contract: 'RootChain' };
  if (is(contracts.stateSender)) return { abi: 'StateSender', contract: 'StateSender' };
  if (is(contracts.governor)) return { abi: 'Governor', contract: 'Governor' };
  // The StakeManager's own logs are bookkeeping no consumer reads (BTTC's emits no staking event).
  return null;
}

/**
 * Decodes one log of the followed root contracts (StakingInfo, RootChain, StateSender); null for a
 * log of another contract (the StakeManager included) or an event the ABI does not know.
 */
export function decodeRootLog(log: RootLog, contracts: RootContracts, rootChainId: number): RootEvent | null {
  const from = emitterOf(log.address.toLowerCase(), contracts);
  if (!from) return null;
  const { contract } = from;
  let parsed: LogDescription | null;
  try {
    parsed = rootInterfaces()[from.abi].parseLog({ topics: log.topics, data: log.data });
  } catch (err) {
    throw new Error(`root chain ${rootChainId}: cannot decode ${from.abi} log ${log.txHash}#${log.logIndex} in block ${log.blockNumber}: ${(err as Error).message}`);
  }
  if (!parsed) return null;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name] = plain(parsed.args[i]);
  });
  const sequence = parsed.name === 'StateSynced' ? clerkSequence(log.blockNumber, log.logIndex, rootChainId) : stakingSequence(log.blockNumber, log.logIndex);
  return { rootChainId, contract, name: parsed.name, args, blockNumber: log.blockNumber, logIndex: log.logIndex, txHash: log.txHash, sequence };
}
