/**
 * Funded accounts for the load: a keys file (a JSON array of private keys, or `{ "keys": [...] }` as
 * the devnet writes it), or accounts derived from a mnemonic (BIP-44 m/44'/60'/0'/0/i, as wallets do).
 */
import { readFileSync } from 'node:fs';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { addressFromPublicKey } from '../crypto/address.ts';
import { isValidSecretKey, publicKeyCreate } from '../crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

export interface LoadAccount {
  key: Uint8Array;
  address: string;
}

export function accountFromKey(key: Uint8Array): LoadAccount {
  return { key, address: bytesToHex(addressFromPublicKey(publicKeyCreate(key, false))) };
}

export function readKeysFile(path: string): LoadAccount[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--keys ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const list = Array.isArray(json) ? json : (json as { keys?: unknown })?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`--keys ${path}: expected a non-empty JSON array of private keys or {"keys": [...]}`);
  return list.map((k, i) => {
    if (typeof k !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(k)) throw new Error(`--keys ${path}: keys[${i}]: expected a 32-byte hex private key`);
    const key = hexToBytes(k.startsWith('0x') ? k : '0x' + k);
    if (!isValidSecretKey(key)) throw new Error(`--keys ${path}: keys[${i}]: not a valid secp256k1 private key`);
    return accountFromKey(key);
  });
}

export function mnemonicAccounts(phrase: string, count: number): LoadAccount[] {
  let m: Mnemonic;
  try {
    m = Mnemonic.fromPhrase(phrase.trim());
  } catch (err) {
    throw new Error(`--mnemonic: ${(err as Error).message}`);
  }
  return Array.from({ length: count }, (_, i) => accountFromKey(hexToBytes(HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).privateKey)));
}
