/**
 * The embedded root chain's genesis file: chain ids, funded accounts, staking parameters and the
 * initial validators (their signer public keys and stakes). The root contracts are deployed and the
 * validators staked by a deployer key in the first block(s) after genesis, before RPC opens.
 *
 * ```json
 * {
 *   "chainId": 1337,             // EVM chain id of the root chain (eth_chainId)
 *   "rootChainId": 2,            // Delivery's id for it: TRON 1, Ethereum 2, BSC 3
 *   "borChainId": 1337199,       // Bttc chain id the RootChain contract accepts
 *   "gasLimit": 30000000, "timestamp": 1700000000,
 *   "deployerKey": "0x…",        // dev key that deploys and stakes (funded automatically)
 *   "governance": "0x…",         // optional, defaults to the deployer
 *   "stakingGovernance": "timelock", // who holds StakeManager's governance setters: "timelock" (default:
 *                                    // a change is a full Governor proposal) or "key" (the governance key)
 *   "alloc": { "0xaddr": { "balance": "1000000000000000000000" } },
 *   "btt": { "0xaddr": "5000000000000000000000" },   // test BTT minted at genesis
 *   "staking": { "minDeposit": "…", "minHeimdallFee": "…", "validatorThreshold": 10, "withdrawalDelay": 4,
 *                "proposerBonus": 10, "checkpointReward": "…", "checkpointBlockInterval": 256,
 *                "signerUpdateLimit": 1, "rewardPool": "…" },
 *   "validators": [ { "owner": "0xaddr", "signerPubkey": "0x04… (65 bytes) or 64 bytes", "stake": "…", "fee": "…" } ]
 * }
 * ```
 */
import { readFileSync } from 'node:fs';
import { keccak256 } from '../crypto/keccak.ts';
import { addressFromPublicKey } from '../crypto/address.ts';
import { publicKeyCreate } from '../crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

export interface StakingParams {
  minDeposit: bigint;
  minHeimdallFee: bigint;
  validatorThreshold: number;
  withdrawalDelay: number;
  proposerBonus: number;
  checkpointReward: bigint;
  checkpointBlockInterval: number;
  signerUpdateLimit: number;
  /** BTT minted to the StakeManager to pay rewards. */
  rewardPool: bigint;
}

export interface GenesisValidator {
  owner: string;
  /** 64 bytes x ‖ y. */
  signerPubkey: Uint8Array;
  signer: string;
  stake: bigint;
  fee: bigint;
}

export interface RootGenesis {
  chainId: number;
  rootChainId: number;
  borChainId: number;
  gasLimit: bigint;
  timestamp: bigint;
  deployerKey: Uint8Array;
  deployer: string;
  governance: string;
  /** After deployment the StakeManager answers to the Timelock (default) or to the `governance` key. */
  stakingGovernance: 'timelock' | 'key';
  alloc: { address: string; balance: bigint }[];
  btt: { address: string; amount: bigint }[];
  staking: StakingParams;
  validators: GenesisValidator[];
}

export class GenesisError extends Error {
  override name = 'GenesisError';
}

type Json = Record<string, unknown>;

function field(o: Json, key: string, where: string): unknown {
  if (!(key in o)) throw new GenesisError(`${where}.${key} is missing`);
  return o[key];
}

function amount(v: unknown, where: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return BigInt(v);
  throw new GenesisError(`${where}: expected a non-negative integer (decimal string or 0x hex), got ${JSON.stringify(v)}`);
}

function int(v: unknown, where: string, min = 0): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new GenesisError(`${where}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function addr(v: unknown, where: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new GenesisError(`${where}: expected a 0x 20-byte address, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

function pubkey64(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{128}|04[0-9a-fA-F]{128})$/.test(v)) throw new GenesisError(`${where}: expected a 64-byte (x‖y) or 65-byte (04‖x‖y) public key in 0x hex`);
  const b = hexToBytes(v);
  return b.length === 65 ? b.slice(1) : b;
}

export const DEFAULT_STAKING: StakingParams = {
  minDeposit: 10n ** 18n,
  minHeimdallFee: 10n ** 18n,
  validatorThreshold: 100,
  withdrawalDelay: 4,
  proposerBonus: 10,
  checkpointReward: 1000n * 10n ** 18n,
  checkpointBlockInterval: 256,
  signerUpdateLimit: 1,
  rewardPool: 10n ** 9n * 10n ** 18n,
};

export function parseGenesis(json: unknown, where = 'genesis'): RootGenesis {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new GenesisError(`${where}: expected a JSON object`);
  const o = json as Json;
  const deployerKey = hexToBytes(String(field(o, 'deployerKey', where)));
  if (deployerKey.length !== 32) throw new GenesisError(`${where}.deployerKey: expected a 32-byte private key in 0x hex`);
  const deployer = bytesToHex(addressFromPublicKey(publicKeyCreate(deployerKey, false)));
  const s = (o.staking ?? {}) as Json;
  const staking: StakingParams = {
    minDeposit: s.minDeposit === undefined ? DEFAULT_STAKING.minDeposit : amount(s.minDeposit, `${where}.staking.minDeposit`),
    minHeimdallFee: s.minHeimdallFee === undefined ? DEFAULT_STAKING.minHeimdallFee : amount(s.minHeimdallFee, `${where}.staking.minHeimdallFee`),
    validatorThreshold: s.validatorThreshold === undefined ? DEFAULT_STAKING.validatorThreshold : int(s.validatorThreshold, `${where}.staking.validatorThreshold`, 1),
    withdrawalDelay: s.withdrawalDelay === undefined ? DEFAULT_STAKING.withdrawalDelay : int(s.withdrawalDelay, `${where}.staking.withdrawalDelay`),
    proposerBonus: s.proposerBonus === undefined ? DEFAULT_STAKING.proposerBonus : int(s.proposerBonus, `${where}.staking.proposerBonus`),
    checkpointReward: s.checkpointReward === undefined ? DEFAULT_STAKING.checkpointReward : amount(s.checkpointReward, `${where}.staking.checkpointReward`),
    checkpointBlockInterval: s.checkpointBlockInterval === undefined ? DEFAULT_STAKING.checkpointBlockInterval : int(s.checkpointBlockInterval, `${where}.staking.checkpointBlockInterval`, 1),
    signerUpdateLimit: s.signerUpdateLimit === undefined ? DEFAULT_STAKING.signerUpdateLimit : int(s.signerUpdateLimit, `${where}.staking.signerUpdateLimit`),
    rewardPool: s.rewardPool === undefined ? DEFAULT_STAKING.rewardPool : amount(s.rewardPool, `${where}.staking.rewardPool`),
  };
  if (staking.proposerBonus > 100) throw new GenesisError(`${where}.staking.proposerBonus: at most 100, got ${staking.proposerBonus}`);
  const alloc = Object.entries((o.alloc ?? {}) as Record<string, { balance?: unknown }>).map(([a, v]) => ({
    address: addr(a, `${where}.alloc key`),
    balance: amount(v?.balance ?? 0, `${where}.alloc.${a}.balance`),
  }));
  const btt = Object.entries((o.btt ?? {}) as Record<string, unknown>).map(([a, v]) => ({ address: addr(a, `${where}.btt key`), amount: amount(v, `${where}.btt.${a}`) }));
  const rawVals = o.validators ?? [];
  if (!Array.isArray(rawVals)) throw new GenesisError(`${where}.validators: expected an array`);
  const validators = rawVals.map((v: unknown, i: number): GenesisValidator => {
    const w = `${where}.validators[${i}]`;
    if (!v || typeof v !== 'object') throw new GenesisError(`${w}: expected an object`);
    const vo = v as Json;
    const signerPubkey = pubkey64(field(vo, 'signerPubkey', w), `${w}.signerPubkey`);
    const stake = amount(field(vo, 'stake', w), `${w}.stake`);
    const fee = vo.fee === undefined ? staking.minHeimdallFee : amount(vo.fee, `${w}.fee`);
    if (stake < staking.minDeposit) throw new GenesisError(`${w}.stake ${stake} is below staking.minDeposit ${staking.minDeposit}`);
    if (fee < staking.minHeimdallFee) throw new GenesisError(`${w}.fee ${fee} is below staking.minHeimdallFee ${staking.minHeimdallFee}`);
    return { owner: addr(field(vo, 'owner', w), `${w}.owner`), signerPubkey, signer: bytesToHex(keccak256(signerPubkey).slice(12)), stake, fee };
  });
  const seen = new Set<string>();
  for (const [i, v] of validators.entries()) {
    if (seen.has(v.signer)) throw new GenesisError(`${where}.validators[${i}]: signer ${v.signer} appears twice`);
    if (seen.has('owner:' + v.owner)) throw new GenesisError(`${where}.validators[${i}]: owner ${v.owner} already has a validator (one per owner)`);
    seen.add(v.signer);
    seen.add('owner:' + v.owner);
  }
  if (validators.length > staking.validatorThreshold) throw new GenesisError(`${where}: ${validators.length} validators exceed staking.validatorThreshold ${staking.validatorThreshold}`);
  return {
    chainId: int(field(o, 'chainId', where), `${where}.chainId`, 1),
    rootChainId: int(o.rootChainId ?? 2, `${where}.rootChainId`, 1),
    borChainId: int(field(o, 'borChainId', where), `${where}.borChainId`, 1),
    gasLimit: amount(o.gasLimit ?? 30_000_000, `${where}.gasLimit`),
    timestamp: amount(o.timestamp ?? Math.floor(Date.now() / 1000), `${where}.timestamp`),
    deployerKey,
    deployer,
    governance: o.governance === undefined ? deployer : addr(o.governance, `${where}.governance`),
    stakingGovernance: stakingGovernance(o.stakingGovernance, `${where}.stakingGovernance`),
    alloc,
    btt,
    staking,
    validators,
  };
}

function stakingGovernance(v: unknown, where: string): 'timelock' | 'key' {
  if (v === undefined || v === 'timelock') return 'timelock';
  if (v === 'key') return 'key';
  throw new GenesisError(`${where}: expected "timelock" or "key", got ${JSON.stringify(v)}`);
}

export function readGenesisFile(path: string): RootGenesis {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GenesisError(`cannot read genesis file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GenesisError(`genesis file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseGenesis(json, path);
}

/** Deterministic dev key i (keccak of a label): devnets and tests, never real networks. */
export function devKey(label: string): Uint8Array {
  return keccak256(new TextEncoder().encode(`bttc-node devnet ${label}`));
}

/** A genesis for `n` validators with deterministic dev keys: owner i = devKey("owner i"), signer i = devKey("signer i"). */
export function devnetGenesis(opts: { validators: number; chainId?: number; borChainId?: number; rootChainId?: number; staking?: Partial<StakingParams>; stakingGovernance?: 'timelock' | 'key' }): {
  json: Record<string, unknown>;
  signerKeys: Uint8Array[];
  ownerKeys: Uint8Array[];
} {
  const signerKeys: Uint8Array[] = [];
  const ownerKeys: Uint8Array[] = [];
  const validators = [];
  const alloc: Record<string, { balance: string }> = {};
  const st = { ...DEFAULT_STAKING, ...opts.staking };
  for (let i = 0; i < opts.validators; i++) {
    const sk = devKey(`signer ${i}`);
    const ok = devKey(`owner ${i}`);
    signerKeys.push(sk);
    ownerKeys.push(ok);
    const owner = bytesToHex(addressFromPublicKey(publicKeyCreate(ok, false)));
    alloc[owner] = { balance: (10n ** 24n).toString() };
    alloc[bytesToHex(addressFromPublicKey(publicKeyCreate(sk, false)))] = { balance: (10n ** 24n).toString() };
    validators.push({ owner, signerPubkey: bytesToHex(publicKeyCreate(sk, false)), stake: (st.minDeposit * 10n).toString(), fee: st.minHeimdallFee.toString() });
  }
  const json = {
    chainId: opts.chainId ?? 1337,
    rootChainId: opts.rootChainId ?? 2,
    borChainId: opts.borChainId ?? 1337199,
    gasLimit: 30_000_000,
    deployerKey: bytesToHex(devKey('deployer')),
    ...(opts.stakingGovernance ? { stakingGovernance: opts.stakingGovernance } : {}),
    alloc,
    staking: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])),
    validators,
  };
  return { json, signerKeys, ownerKeys };
}
