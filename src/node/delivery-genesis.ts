/**
 * BTTC's Delivery genesis file (Heimdall's format: `genesis_time`, `chain_id`, `consensus_params`,
 * `app_state.{staking, bor, chainmanager, checkpoint, …}`), as config/genesis/*-delivery.json ship
 * it. Read here: the chain id and time, the staking validators (id, signer, public key, power), span
 * 0, the chain manager's params (root contract addresses per root chain — TRON's in its 41-prefixed
 * hex form — confirmations per chain, the Bttc chain id and system contracts), and the checkpoint and
 * bor params. Every error names the file and the field.
 */
import { addressFromPublicKey, fromTronAddress } from '../crypto/address.ts';
import type { DeliveryGenesis } from '../delivery/app/app.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

export class DeliveryGenesisError extends Error {
  override name = 'DeliveryGenesisError';
}

/** One root chain's contracts as the chain manager lists them (0x lower-case; null when absent or zero). */
export interface RootContracts {
  stakeManager: string | null;
  rootChain: string | null;
  stateSender: string | null;
  stakingInfo: string | null;
}

export interface DeliveryGenesisFile {
  chainId: string;
  /** Unix milliseconds (genesis_time). */
  time: number;
  /** The staking validators as Delivery starts from them. */
  validators: DeliveryGenesis['validators'];
  /** Span 0 as the file states it (Delivery derives its own from the validators: they must agree). */
  span0: {
    startBlock: number;
    endBlock: number;
    borChainId: string;
    /** Validator ids in the file's order (by signer address) with their proposer priority (`accum`). */
    validators: { id: number; accum: bigint }[];
    proposer: number;
    producers: number[];
  } | null;
  chainManager: {
    borChainId: string;
    validatorSet: string;
    stateReceiver: string;
    /** Confirmations before Delivery acts on an event: Ethereum (main chain), TRON, Bttc. */
    confirmations: { ethereum: number; tron: number; bttc: number };
    /** By Delivery's root chain id: 1 TRON, 2 Ethereum. */
    rootChains: Map<number, RootContracts>;
  };
  checkpoint: { bufferTime: number; avgLength: number; maxLength: number; childBlockInterval: number };
  bor: { sprint: number; spanLength: number; producerCount: number };
  maxBlockBytes: number;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ZERO = `0x${'0'.repeat(40)}`;

export function parseDeliveryGenesis(json: unknown, source: string): DeliveryGenesisFile {
  const fail = (field: string, expected: string, got: unknown): never => {
    const shown = typeof got === 'string' && got.length > 60 ? `${got.slice(0, 57)}...` : JSON.stringify(got);
    throw new DeliveryGenesisError(`${source}: ${field}: expected ${expected}, got ${shown}`);
  };
  const obj = (v: unknown, field: string): Json => (isObj(v) ? v : fail(field, 'an object', v));
  /** Heimdall writes integers as decimal strings (and sometimes as numbers). */
  const int = (v: unknown, field: string): number => {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
    return fail(field, 'an integer (a decimal string)', v);
  };
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v !== '' ? v : fail(field, 'a non-empty string', v));
  const evmAddress = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) return fail(field, 'a 0x 20-byte address', v);
    return v.toLowerCase();
  };
  /** TRON contract addresses: 41-prefixed hex (as the chain manager writes them), base58 T…, or 0x. */
  const tronAddress = (v: unknown, field: string): string => {
    if (typeof v === 'string' && /^41[0-9a-fA-F]{40}$/.test(v)) return `0x${v.slice(2).toLowerCase()}`;
    if (typeof v === 'string' && /^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(v)) {
      try {
        return bytesToHex(fromTronAddress(v));
      } catch (err) {
        return fail(field, `a TRON address with a valid checksum (${(err as Error).message})`, v);
      }
    }
    if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase();
    return fail(field, 'a TRON address (41-prefixed hex, T… base58 or 0x hex)', v);
  };
  const orNull = (a: string) => (a === ZERO ? null : a);

  const root = obj(json, '(root)');
  const chainId = str(root.chain_id, 'chain_id');
  const time = typeof root.genesis_time === 'string' ? Date.parse(root.genesis_time) : NaN;
  if (!Number.isFinite(time) || time <= 0) fail('genesis_time', 'an RFC 3339 time', root.genesis_time);
  const cp = obj(root.consensus_params, 'consensus_params');
  const maxBlockBytes = int(obj(cp.block, 'consensus_params.block').max_bytes, 'consensus_params.block.max_bytes');
  const app = obj(root.app_state, 'app_state');

  const staking = obj(app.staking, 'app_state.staking');
  if (!Array.isArray(staking.validators) || staking.validators.length === 0) fail('app_state.staking.validators', 'a non-empty array', staking.validators);
  const validators = (staking.validators as unknown[]).map((raw, i) => {
    const f = `app_state.staking.validators[${i}]`;
    const v = obj(raw, f);
    const id = int(v.ID, `${f}.ID`);
    if (id < 1) fail(`${f}.ID`, 'an id ≥ 1', v.ID);
    const pubKey = typeof v.pubKey === 'string' && /^0x04[0-9a-fA-F]{128}$/.test(v.pubKey) ? v.pubKey.toLowerCase() : fail(`${f}.pubKey`, 'a 65-byte uncompressed public key (0x04…)', v.pubKey);
    const signer = bytesToHex(addressFromPublicKey(hexToBytes(pubKey)));
    if (evmAddress(v.signer, `${f}.signer`) !== signer) fail(`${f}.signer`, `${signer} (the address of its pubKey)`, v.signer);
    const votingPower = int(v.power, `${f}.power`);
    if (votingPower < 1) fail(`${f}.power`, 'a power ≥ 1', v.power);
    return {
      id,
      signer,
      pubKey,
      votingPower,
      startEpoch: int(v.startEpoch ?? '0', `${f}.startEpoch`),
      endEpoch: int(v.endEpoch ?? '0', `${f}.endEpoch`),
      nonce: int(v.nonce ?? '0', `${f}.nonce`),
      jailed: v.jailed === true,
    };
  });
  const ids = new Set<number>();
  validators.forEach((v, i) => {
    if (ids.has(v.id)) fail(`app_state.staking.validators[${i}].ID`, 'an id used once', v.id);
    ids.add(v.id);
  });

  const bor = obj(app.bor, 'app_state.bor');
  const borParams = obj(bor.params, 'app_state.bor.params');
  let span0: DeliveryGenesisFile['span0'] = null;
  if (Array.isArray(bor.spans) && bor.spans.length > 0) {
    const s = obj(bor.spans[0], 'app_state.bor.spans[0]');
    const F = 'app_state.bor.spans[0]';
    const list = (v: unknown, field: string) => (Array.isArray(v) ? v.map((x, i) => obj(x, `${field}[${i}]`)) : fail(field, 'an array', v));
    if (int(s.span_id, `${F}.span_id`) !== 0) fail(`${F}.span_id`, '0', s.span_id);
    const set = obj(s.validator_set, `${F}.validator_set`);
    span0 = {
      startBlock: int(s.start_block, `${F}.start_block`),
      endBlock: int(s.end_block, `${F}.end_block`),
      borChainId: str(s.bor_chain_id, `${F}.bor_chain_id`),
      validators: list(set.validators, `${F}.validator_set.validators`).map((v, i) => ({
        id: int(v.ID, `${F}.validator_set.validators[${i}].ID`),
        accum: BigInt(int(v.accum, `${F}.validator_set.validators[${i}].accum`)),
      })),
      proposer: int(obj(set.proposer, `${F}.validator_set.proposer`).ID, `${F}.validator_set.proposer.ID`),
      producers: list(s.selected_producers, `${F}.selected_producers`).map((v, i) => int(v.ID, `${F}.selected_producers[${i}].ID`)),
    };
  }

  const cmParams = obj(obj(app.chainmanager, 'app_state.chainmanager').params, 'app_state.chainmanager.params');
  const cp2 = obj(cmParams.chain_params, 'app_state.chainmanager.params.chain_params');
  const P = 'app_state.chainmanager.params.chain_params';
  const rootChains = new Map<number, RootContracts>([
    [
      1,
      {
        stakeManager: orNull(tronAddress(cp2.tron_staking_manager_address, `${P}.tron_staking_manager_address`)),
        rootChain: orNull(tronAddress(cp2.tron_chain_address, `${P}.tron_chain_address`)),
        stateSender: orNull(tronAddress(cp2.tron_state_sender_address, `${P}.tron_state_sender_address`)),
        stakingInfo: orNull(tronAddress(cp2.tron_state_info_address, `${P}.tron_state_info_address`)),
      },
    ],
    [
      2,
      {
        stakeManager: orNull(evmAddress(cp2.staking_manager_address, `${P}.staking_manager_address`)),
        rootChain: orNull(evmAddress(cp2.root_chain_address, `${P}.root_chain_address`)),
        stateSender: orNull(evmAddress(cp2.state_sender_address, `${P}.state_sender_address`)),
        stakingInfo: orNull(evmAddress(cp2.staking_info_address, `${P}.staking_info_address`)),
      },
    ],
  ]);
  const chainManager = {
    borChainId: str(cp2.bor_chain_id, `${P}.bor_chain_id`),
    validatorSet: evmAddress(cp2.validator_set_address, `${P}.validator_set_address`),
    stateReceiver: evmAddress(cp2.state_receiver_address, `${P}.state_receiver_address`),
    confirmations: {
      ethereum: int(cmParams.mainchain_tx_confirmations, 'app_state.chainmanager.params.mainchain_tx_confirmations'),
      tron: int(cmParams.tronchain_tx_confirmations, 'app_state.chainmanager.params.tronchain_tx_confirmations'),
      bttc: int(cmParams.maticchain_tx_confirmations, 'app_state.chainmanager.params.maticchain_tx_confirmations'),
    },
    rootChains,
  };

  const ck = obj(obj(app.checkpoint, 'app_state.checkpoint').params, 'app_state.checkpoint.params');
  // Heimdall's durations are Go time.Duration nanoseconds.
  const bufferNs = ck.checkpoint_buffer_time;
  if (typeof bufferNs !== 'string' || !/^\d+$/.test(bufferNs) || BigInt(bufferNs) % 1_000_000_000n !== 0n)
    fail('app_state.checkpoint.params.checkpoint_buffer_time', 'whole seconds in nanoseconds', bufferNs);
  const checkpoint = {
    bufferTime: Number(BigInt(bufferNs as string) / 1_000_000_000n),
    avgLength: int(ck.avg_checkpoint_length, 'app_state.checkpoint.params.avg_checkpoint_length'),
    maxLength: int(ck.max_checkpoint_length, 'app_state.checkpoint.params.max_checkpoint_length'),
    childBlockInterval: int(ck.child_chain_block_interval, 'app_state.checkpoint.params.child_chain_block_interval'),
  };
  return {
    chainId,
    time,
    validators,
    span0,
    chainManager,
    checkpoint,
    bor: {
      sprint: int(borParams.sprint_duration, 'app_state.bor.params.sprint_duration'),
      spanLength: int(borParams.span_duration, 'app_state.bor.params.span_duration'),
      producerCount: int(borParams.producer_count, 'app_state.bor.params.producer_count'),
    },
    maxBlockBytes,
  };
}
