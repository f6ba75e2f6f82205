/**
 * A validator's key file: the owner key (stakes on the root chain, owns the StakingNFT) and the
 * signer key (signs Bttc blocks, Delivery votes and checkpoints). Separate keys as in BTTC: the
 * owner can stay cold while the signer lives on the node.
 *
 * ```json
 * { "version": 1,
 *   "owner":  { "address": "0x…", "tronAddress": "T…", "privateKey": "0x…" },
 *   "signer": { "address": "0x…", "tronAddress": "T…", "publicKey": "0x04…", "privateKey": "0x…" } }
 * ```
 * Written with mode 0600 and never over an existing file (a lost signer key cannot be recovered).
 */
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { addressFromPublicKey, toChecksumAddress, toTronAddress } from '../crypto/address.ts';
import { isValidSecretKey, publicKeyCreate } from '../crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

export interface KeyPair {
  privateKey: Uint8Array;
  /** 65-byte uncompressed public key. */
  publicKey: Uint8Array;
  address: Uint8Array;
}

export interface ValidatorKeys {
  owner: KeyPair;
  signer: KeyPair;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

export function keyPairFromSecret(privateKey: Uint8Array): KeyPair {
  if (privateKey.length !== 32 || !isValidSecretKey(privateKey)) throw new KeyFileError('not a valid secp256k1 private key (32 bytes, 0 < k < n)');
  const publicKey = publicKeyCreate(privateKey, false);
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) };
}

function freshSecret(): Uint8Array {
  for (;;) {
    const k = new Uint8Array(randomBytes(32));
    if (isValidSecretKey(k)) return k;
  }
}

export function generateValidatorKeys(): ValidatorKeys {
  return { owner: keyPairFromSecret(freshSecret()), signer: keyPairFromSecret(freshSecret()) };
}

export function keysToJson(k: ValidatorKeys): Record<string, unknown> {
  return {
    version: 1,
    owner: { address: toChecksumAddress(k.owner.address), tronAddress: toTronAddress(k.owner.address), privateKey: bytesToHex(k.owner.privateKey) },
    signer: { address: toChecksumAddress(k.signer.address), tronAddress: toTronAddress(k.signer.address), publicKey: bytesToHex(k.signer.publicKey), privateKey: bytesToHex(k.signer.privateKey) },
  };
}

/** Creates the file exclusively (O_EXCL) with mode 0600: refuses to overwrite an existing key file. */
export function writeKeyFile(path: string, keys: ValidatorKeys): void {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyFileError(`${path} already exists: refusing to overwrite a key file`);
    throw new KeyFileError(`cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    writeSync(fd, JSON.stringify(keysToJson(keys), null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
}

function secretField(o: unknown, path: string, source: string): Uint8Array {
  if (!o || typeof o !== 'object') throw new KeyFileError(`${source}: ${path.split('.')[0]}: expected an object`);
  const v = (o as Record<string, unknown>).privateKey;
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(v)) throw new KeyFileError(`${source}: ${path}: expected a 32-byte private key in hex`);
  try {
    return keyPairFromSecret(hexToBytes(v.startsWith('0x') ? v : '0x' + v)).privateKey;
  } catch (err) {
    throw new KeyFileError(`${source}: ${path}: ${(err as Error).message}`);
  }
}

/** Reads and checks a key file; addresses written in it must match the keys (a hand-edited file is caught). */
export function readKeyFile(path: string): ValidatorKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new KeyFileError(`key file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0 && process.platform !== 'win32') process.emitWarning(`key file ${path} is readable by group or others (mode ${(statSync(path).mode & 0o777).toString(8)}); chmod 600 it`);
  const owner = keyPairFromSecret(secretField(json.owner, 'owner.privateKey', path));
  const signer = keyPairFromSecret(secretField(json.signer, 'signer.privateKey', path));
  for (const [name, kp] of [
    ['owner', owner],
    ['signer', signer],
  ] as const) {
    const addr = (json[name] as Record<string, unknown>).address;
    if (addr !== undefined && (typeof addr !== 'string' || addr.toLowerCase() !== bytesToHex(kp.address))) {
      throw new KeyFileError(`${path}: ${name}.address: expected ${toChecksumAddress(kp.address)} (the address of ${name}.privateKey), got ${JSON.stringify(addr)}`);
    }
  }
  return { owner, signer };
}
