/**
 * The network's genesis file, shared by every node of a network: the Bttc genesis (time and funded
 * accounts; the system contracts and span 0 follow from the Delivery validators), and the Delivery
 * genesis (time and validators with their public keys, ids as the StakingNFT numbers them).
 *
 * ```json
 * { "network": "devnet",
 *   "bttc": { "time": 1700000000, "alloc": { "0xaddr": { "balance": "1000…" } } },
 *   "delivery": { "time": 1700000000000, "validators": [{ "id": 1, "signer": "0x…", "pubKey": "0x04…" }] } }
 * ```
 */
import { readFileSync } from 'node:fs';
import { addressFromPublicKey } from '../crypto/address.ts';
import type { GenesisAccount } from '../evm/interface.ts';
import type { DeliveryGenesis } from '../delivery/app/app.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

export interface NetworkGenesis {
  network: string;
  bttc: { time: bigint; alloc: [Uint8Array, GenesisAccount][] };
  delivery: DeliveryGenesis;
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

export function readNetworkGenesis(path: string): NetworkGenesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GenesisFileError(`genesis file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNetworkGenesis(json, path);
}
