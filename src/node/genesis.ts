/**
 * The network's genesis, shared by every node of a network, in one of two forms:
 *
 * - **BTTC's files** (mainnet, Donau): a geth-format Bttc genesis (config/genesis/<net>-bttc.json,
 *   read by src/bttc/genesis/geth-genesis.ts: its alloc holds BTTC's system contracts) and a
 *   Heimdall-format Delivery genesis (config/genesis/<net>-delivery.json, read by delivery-genesis.ts).
 *   A mainnet or Donau node names neither: the preset's `genesis` gives both. Another network gives
 *   `node.genesis` (the geth file) and `node.deliveryGenesis`.
 * - **The devnet's own file** (written by src/devnet/setup.ts), one JSON with the Bttc genesis (time
 *   and funded accounts; the system contracts and span 0 follow from the Delivery validators) and the
 *   Delivery genesis (time and validators with their public keys, ids as the StakingNFT numbers them):
 *
 * ```json
 * { "network": "devnet",
 *   "bttc": { "time": 1700000000, "alloc": { "0xaddr": { "balance": "1000…" } } },
 *   "delivery": { "time": 1700000000000, "validators": [{ "id": 1, "signer": "0x…", "pubKey": "0x04…" }] } }
 * ```
 *
 * `reconcileWithGenesis` compares BTTC's files with the config (see there for which side wins).
 */
import { readFileSync } from 'node:fs';
import { addressFromPublicKey } from '../crypto/address.ts';
import type { GenesisAccount } from '../evm/interface.ts';
import type { DeliveryGenesis } from '../delivery/app/app.ts';
import type { NodeConfig, RootChainConfig } from '../config/types.ts';
import { gethGenesisMismatches, isGethGenesis, type BttcGenesis } from '../bttc/genesis/bttc-genesis.ts';
import { GethGenesisError, parseGethGenesis, type GethGenesis } from '../bttc/genesis/geth-genesis.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import { DeliveryGenesisError, parseDeliveryGenesis, type DeliveryGenesisFile, type RootContracts } from './delivery-genesis.ts';

export interface NetworkGenesis {
  network: string;
  /** The devnet's time and accounts, or BTTC's geth-format genesis (`{ geth }`). */
  bttc: BttcGenesis;
  delivery: DeliveryGenesis;
  /** BTTC's Delivery genesis file as read; absent for the devnet's own format. */
  deliveryFile?: DeliveryGenesisFile;
  /** The files read, for messages. */
  sources?: { bttc: string; delivery: string };
}

export class GenesisFileError extends Error {
  override name = 'GenesisFileError';
}

export interface NetworkGenesisJson {
  network: string;
  bttc: { time: number; alloc: Record<string, { balance: string }> };
  delivery: { time: number; validators: { id: number; signer: string; pubKey: string }[] };
}

export function parseNetworkGenesis(json: unknown, source: string): NetworkGenesis {
  const fail = (field: string, expected: string): never => {
    throw new GenesisFileError(`${source}: ${field}: expected ${expected}`);
  };
  const j = json as NetworkGenesisJson;
  if (!j || typeof j !== 'object') fail('(root)', 'an object');
  if (typeof j.network !== 'string') fail('network', 'a string');
  if (!j.bttc || !Number.isSafeInteger(j.bttc.time) || j.bttc.time <= 0) fail('bttc.time', 'unix seconds');
  if (!j.delivery || !Number.isSafeInteger(j.delivery.time) || j.delivery.time <= 0) fail('delivery.time', 'unix milliseconds');
  const alloc: [Uint8Array, GenesisAccount][] = Object.entries(j.bttc.alloc ?? {}).map(([addr, acc]) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(addr)) fail(`bttc.alloc key ${JSON.stringify(addr)}`, 'a 0x 20-byte address');
    if (typeof acc?.balance !== 'string' || !/^\d+$/.test(acc.balance)) fail(`bttc.alloc.${addr}.balance`, 'wei as a decimal string');
    return [hexToBytes(addr), { balance: BigInt(acc.balance) }];
  });
  if (!Array.isArray(j.delivery.validators) || j.delivery.validators.length === 0) fail('delivery.validators', 'a non-empty array');
  const validators = j.delivery.validators.map((v, i) => {
    if (!Number.isSafeInteger(v.id) || v.id < 1) fail(`delivery.validators[${i}].id`, 'an integer ≥ 1');
    if (typeof v.pubKey !== 'string' || !/^0x04[0-9a-fA-F]{128}$/.test(v.pubKey)) fail(`delivery.validators[${i}].pubKey`, 'a 65-byte uncompressed public key (0x04…)');
    const signer = bytesToHex(addressFromPublicKey(hexToBytes(v.pubKey)));
    if (typeof v.signer !== 'string' || v.signer.toLowerCase() !== signer) fail(`delivery.validators[${i}].signer`, `${signer} (the address of its pubKey)`);
    return { id: v.id, signer, pubKey: v.pubKey.toLowerCase(), votingPower: 1 };
  });
  return { network: j.network, bttc: { time: BigInt(j.bttc.time), alloc }, delivery: { time: j.delivery.time, validators } };
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GenesisFileError(`${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The devnet's own genesis file. */
export function readNetworkGenesis(path: string): NetworkGenesis {
  return parseNetworkGenesis(readJson(path, 'genesis file'), path);
}

/** A geth-format file has `config` and `alloc` at its root; the devnet's has `network`, `bttc`, `delivery`. */
function isGethFormat(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'config' in json && !('delivery' in json);
}

/** BTTC's pair of files: the geth-format Bttc genesis and the Heimdall-format Delivery genesis. */
export function readBttcGenesisFiles(network: string, paths: { bttc: string; delivery: string }): NetworkGenesis {
  let geth: GethGenesis;
  let file: DeliveryGenesisFile;
  try {
    geth = parseGethGenesis(readJson(paths.bttc, 'Bttc genesis file'), paths.bttc);
    file = parseDeliveryGenesis(readJson(paths.delivery, 'Delivery genesis file'), paths.delivery);
  } catch (err) {
    if (err instanceof GethGenesisError || err instanceof DeliveryGenesisError) throw new GenesisFileError(err.message);
    throw err;
  }
  if (String(geth.chainId) !== file.chainManager.borChainId)
    throw new GenesisFileError(
      `${paths.delivery}: app_state.chainmanager.params.chain_params.bor_chain_id: expected ${geth.chainId} (the chain id of ${paths.bttc}), got ${JSON.stringify(file.chainManager.borChainId)}`,
    );
  return { network, bttc: { geth }, delivery: { time: file.time, validators: file.validators }, deliveryFile: file, sources: paths };
}

/**
 * The genesis a node starts from: `node.genesis` (the devnet's file, or a geth-format file with
 * `node.deliveryGenesis`), else the preset's files (`genesis` of config/mainnet.json, donau.json).
 */
export function loadNetworkGenesis(node: { genesis: string | null; deliveryGenesis?: string | null }, config: Pick<NodeConfig, 'network' | 'genesis'>): NetworkGenesis {
  const preset = config.genesis ?? null;
  if (node.genesis === null) {
    if (!preset) throw new GenesisFileError(`node.genesis: a genesis file is needed (the ${config.network} preset names none)`);
    return readBttcGenesisFiles(config.network, { bttc: preset.bttc, delivery: node.deliveryGenesis ?? preset.delivery });
  }
  const json = readJson(node.genesis, 'genesis file');
  if (!isGethFormat(json)) {
    if (node.deliveryGenesis) throw new GenesisFileError(`node.deliveryGenesis: only with a geth-format node.genesis (${node.genesis} is a network genesis with its own "delivery")`);
    return parseNetworkGenesis(json, node.genesis);
  }
  const delivery = node.deliveryGenesis ?? preset?.delivery;
  if (!delivery) throw new GenesisFileError(`node.deliveryGenesis: needed with the geth-format genesis ${node.genesis} (the ${config.network} preset names no Delivery genesis)`);
  return readBttcGenesisFiles(config.network, { bttc: node.genesis, delivery });
}

/** Delivery's root chain id → which confirmations of the chain manager apply. */
const CONFIRMATIONS_OF: Record<number, 'tron' | 'ethereum'> = { 1: 'tron', 2: 'ethereum' };
const CONTRACTS: (keyof RootContracts)[] = ['stakeManager', 'rootChain', 'stateSender', 'stakingInfo'];

export interface GenesisReconciliation {
  /** The config to run with (null root-contract addresses filled from the Delivery genesis). */
  config: NodeConfig;
  /** Where the config and the files disagree and the config was kept: worth a warning. */
  notes: string[];
  /** What was taken from the files. */
  filled: string[];
}

/**
 * Checks the config against BTTC's genesis files and returns the config to run with, plus notes.
 *
 * Which side wins:
 * - What defines the chain must agree, else the node refuses to start (it would fork or follow
 *   nothing): the Bttc chain id, Bor's period, delays and sprint, the genesis gas limit and system
 *   contracts (geth file); the Delivery chain id, span length, producer count, span 0 and the Bttc
 *   chain id and system contracts of the chain manager (Delivery file).
 * - Root-chain contract addresses and confirmations, checkpoint params and the block size: the
 *   config (preset plus `set`) wins, since Delivery's governance may change them after genesis and
 *   the file only records the launch values; a disagreement is a note (logged as a warning). A
 *   contract address the preset leaves null is taken from the file (Donau's preset has none).
 */
export function reconcileWithGenesis(config: NodeConfig, genesis: NetworkGenesis): GenesisReconciliation {
  const notes: string[] = [];
  const filled: string[] = [];
  const errors: string[] = [];
  const src = genesis.sources;
  if (isGethGenesis(genesis.bttc)) for (const m of gethGenesisMismatches(genesis.bttc.geth, config.bttc)) errors.push(`${src?.bttc ?? 'Bttc genesis'}: ${m}`);
  const f = genesis.deliveryFile;
  if (!f) {
    if (errors.length) throw new GenesisFileError(errors.join('; '));
    return { config, notes, filled };
  }
  const where = src?.delivery ?? 'Delivery genesis';
  const must = (field: string, fileValue: unknown, configField: string, configValue: unknown) => {
    if (String(fileValue) !== String(configValue)) errors.push(`${where}: ${field} is ${String(fileValue)} but the config's ${configField} is ${String(configValue)}`);
  };
  const note = (field: string, fileValue: unknown, configField: string, configValue: unknown) => {
    if (String(fileValue) !== String(configValue)) notes.push(`${configField} is ${String(configValue)} (config, kept) but ${where} has ${field} ${String(fileValue)}`);
  };
  const cm = f.chainManager;
  must('chain_id', f.chainId, 'delivery.chainId', config.delivery.chainId);
  must('chainmanager bor_chain_id', cm.borChainId, 'bttc.chainId', config.bttc.chainId);
  must('chainmanager validator_set_address', cm.validatorSet, 'bttc.validatorSetContract', config.bttc.validatorSetContract.toLowerCase());
  must('chainmanager state_receiver_address', cm.stateReceiver, 'bttc.stateReceiverContract', config.bttc.stateReceiverContract.toLowerCase());
  must('bor sprint_duration', f.bor.sprint, 'bttc.sprint', config.bttc.sprint);
  must('bor span_duration', f.bor.spanLength, 'bttc.spanLength', config.bttc.spanLength);
  must('bor producer_count', f.bor.producerCount, 'bttc.producerCount', config.bttc.producerCount);
  if (f.span0) {
    must('bor span 0 start_block', f.span0.startBlock, 'span 0 start', 0);
    must('bor span 0 end_block', f.span0.endBlock, 'bttc.firstSpanEnd', config.bttc.firstSpanEnd);
    must('bor span 0 bor_chain_id', f.span0.borChainId, 'bttc.chainId', config.bttc.chainId);
    // Delivery derives span 0 from the genesis validators: every one a producer while they fit.
    const ids = (l: number[]) => [...l].sort((a, b) => a - b).join(',');
    if (f.validators.length <= config.bttc.producerCount) must('bor span 0 selected_producers', ids(f.span0.producers), 'genesis validators', ids(f.validators.map((v) => v.id)));
  }
  note('checkpoint_buffer_time (s)', f.checkpoint.bufferTime, 'checkpoint.bufferTime', config.checkpoint.bufferTime);
  note('avg_checkpoint_length', f.checkpoint.avgLength, 'checkpoint.avgLength', config.checkpoint.avgLength);
  note('max_checkpoint_length', f.checkpoint.maxLength, 'checkpoint.maxLength', config.checkpoint.maxLength);
  note('maticchain_tx_confirmations', cm.confirmations.bttc, 'checkpoint.bttcConfirmations', config.checkpoint.bttcConfirmations);
  note('consensus_params.block.max_bytes', f.maxBlockBytes, 'delivery.maxBlockBytes', config.delivery.maxBlockBytes);
  const rootChains = config.rootChains.map((rc, i): RootChainConfig => {
    const fromFile = cm.rootChains.get(rc.id);
    const conf = CONFIRMATIONS_OF[rc.id];
    if (conf) note(`${conf === 'ethereum' ? 'mainchain' : 'tronchain'}_tx_confirmations`, cm.confirmations[conf], `rootChains[${i}].confirmations (${rc.name})`, rc.confirmations);
    if (!fromFile) return rc;
    const out = { ...rc };
    for (const k of CONTRACTS) {
      const v = fromFile[k];
      if (v === null) continue;
      if (rc[k] === null) {
        out[k] = v;
        filled.push(`rootChains[${i}].${k} (${rc.name}) = ${v} from ${where}`);
      } else note(`the ${rc.name} ${k}`, v, `rootChains[${i}].${k} (${rc.name})`, rc[k]);
    }
    return Object.freeze(out);
  });
  if (errors.length) throw new GenesisFileError(errors.join('; '));
  return { config: Object.freeze({ ...config, rootChains: Object.freeze(rootChains) as RootChainConfig[] }), notes, filled };
}
