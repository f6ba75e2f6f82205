/**
 * What the Bttc layer starts from, in one of two shapes:
 * - `DevGenesis` (our devnet): a time and funded accounts; the system contracts are our own
 *   (src/contracts/system) with span 0 written into their storage.
 * - `{ geth }` (BTTC's mainnet and Donau): a geth-format genesis read in full. Its alloc already holds
 *   BTTC's system contracts (0x…1000, 0x…1001, 0x…1010) and every header field comes from the file,
 *   so the executor writes exactly BTTC's genesis block.
 * Either carries Bor's per-block rules (`BorBlockRules`): `blockAlloc` code replacements and
 * `overrideStateSyncRecords` limits.
 */
import type { BttcLayerConfig } from '../../config/types.ts';
import type { CodeChange, GenesisAccount, GenesisSpec } from '../../evm/interface.ts';
import { hexToBytes } from '../../util/bytes.ts';
import { borValueAt, type BorGenesisConfig, type BorSchedule, type GenesisAlloc, type GethGenesis } from './geth-genesis.ts';

/** Bor's per-block rules from `config.bor` (empty maps when a network has none). */
export type BorBlockRules = Pick<BorGenesisConfig, 'blockAlloc' | 'overrideStateSyncRecords'>;

export interface DevGenesis {
  time: bigint;
  /** Accounts beyond the system contracts (funded users, test contracts). */
  alloc?: [Uint8Array, GenesisAccount][];
  bor?: Partial<BorBlockRules>;
}

export interface GethGenesisInput {
  geth: GethGenesis;
}

export type BttcGenesis = DevGenesis | GethGenesisInput;

export function isGethGenesis(g: BttcGenesis): g is GethGenesisInput {
  return 'geth' in g;
}

export function borBlockRules(g: BttcGenesis): BorBlockRules {
  const bor = isGethGenesis(g) ? g.geth.bor : g.bor;
  return { blockAlloc: bor?.blockAlloc ?? new Map(), overrideStateSyncRecords: bor?.overrideStateSyncRecords ?? new Map() };
}

/** The genesis time (unix seconds) of either shape. */
export function genesisTime(g: BttcGenesis): bigint {
  return isGethGenesis(g) ? g.geth.timestamp : g.time;
}

/** The executor's genesis for a geth genesis: the whole alloc and every header field of the file. */
export function gethGenesisSpec(g: GethGenesis): GenesisSpec {
  // The executor's genesis header is block 0 on a zero parent with no gas used (geth's ToBlock for
  // any real network); a file that says otherwise would give a different hash than geth computes.
  if (g.number !== 0n || g.gasUsed !== 0n || g.parentHash.some((b) => b !== 0)) throw new Error('geth genesis: number, gasUsed and parentHash must be zero');
  return {
    alloc: [...g.alloc].map(([address, acc]) => [
      hexToBytes(address),
      { balance: acc.balance, nonce: acc.nonce, code: acc.code, storage: [...acc.storage].map(([slot, value]) => [hexToBytes(slot), value] as [Uint8Array, Uint8Array]) },
    ]),
    gasLimit: g.gasLimit,
    time: g.timestamp,
    extra: g.extraData,
    difficulty: g.difficulty,
    coinbase: g.coinbase,
    mixDigest: g.mixHash,
    nonce: g.nonce,
  };
}

/**
 * The code changes of `blockAlloc` at block `number`, as Bor applies them (`changeContractCodeIfNeeded`):
 * only each account's code is set, at the end of the block; its balance and storage in the entry are
 * ignored, as Bor ignores them.
 */
export function blockAllocCodeChanges(blockAlloc: ReadonlyMap<bigint, GenesisAlloc>, number: bigint): CodeChange[] {
  const alloc = blockAlloc.get(number);
  if (!alloc) return [];
  return [...alloc].map(([address, acc]) => ({ address: hexToBytes(address), code: acc.code }));
}

/**
 * Where a geth genesis disagrees with the Bttc config the node runs with (chain id, Bor's timing,
 * the system contracts, the genesis gas limit): each a sentence naming both values. Bor schedules
 * that change value at a later block are not supported by this node and are reported too.
 */
export function gethGenesisMismatches(g: GethGenesis, cfg: BttcLayerConfig): string[] {
  const out: string[] = [];
  const same = (field: string, fileValue: unknown, configField: string, configValue: unknown) => {
    if (String(fileValue) !== String(configValue)) out.push(`${field} is ${String(fileValue)} but the config's bttc.${configField} is ${String(configValue)}`);
  };
  same('config.chainId', g.chainId, 'chainId', cfg.chainId);
  same('gasLimit', g.gasLimit, 'genesisGasLimit', cfg.genesisGasLimit);
  if (!g.bor) {
    out.push("config.bor is missing (a Bttc genesis needs Bor's parameters)");
    return out;
  }
  const schedule = (name: 'period' | 'producerDelay' | 'sprint' | 'backupMultiplier', s: BorSchedule) => {
    if (s.length > 1) out.push(`config.bor.${name} changes at block ${s[1]!.block}: schedules are not supported`);
    same(`config.bor.${name}`, borValueAt(s, 0n), name, cfg[name]);
  };
  schedule('period', g.bor.period);
  schedule('producerDelay', g.bor.producerDelay);
  schedule('sprint', g.bor.sprint);
  schedule('backupMultiplier', g.bor.backupMultiplier);
  same('config.bor.validatorContract', g.bor.validatorContract, 'validatorSetContract', cfg.validatorSetContract.toLowerCase());
  same('config.bor.stateReceiverContract', g.bor.stateReceiverContract, 'stateReceiverContract', cfg.stateReceiverContract.toLowerCase());
  return out;
}
