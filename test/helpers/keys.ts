/**
 * The one place tests make secp256k1 keys: deterministic ones by index or label, and a random one for
 * a test that wants a key nobody else derives. Each comes with its 65-byte public key and address.
 *
 * - `testKey(i, seed)` is `simKey(seed, i)`, the key SimCluster and ScriptedCluster give validator i of
 *   a cluster with that seed, so a test can name a simulated validator's key.
 * - `testKey(label)` is keccak256(label), the scheme the contract and Bttc fixtures have always used;
 *   keeping it keeps their addresses, signer order and gas figures where the assertions expect them.
 */
import { keccak256 } from '../../src/crypto/keccak.ts';
import { isValidSecretKey, publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { simKey } from '../../src/delivery/consensus/sim/cluster.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

export interface TestKey {
  /** 32-byte secret key. */
  readonly secret: Uint8Array;
  /** 65-byte uncompressed public key, 0x04 ‖ x ‖ y. */
  readonly publicKey: Uint8Array;
  /** 20-byte address. */
  readonly address: Uint8Array;
  /** The address as 0x-prefixed lower-case hex. */
  readonly addressHex: string;
}

/** The public key and address of a given secret (a vector's key, a devnet key). */
export function keyFromSecret(secret: Uint8Array): TestKey {
  if (!isValidSecretKey(secret)) throw new RangeError('keyFromSecret: not a valid secp256k1 secret key');
  const publicKey = publicKeyCreate(secret, false);
  const address = addressFromPublicKey(publicKey);
  return { secret, publicKey, address, addressHex: bytesToHex(address) };
}

/** Validator `index` of a simulated cluster with `seed` (default 0). */
export function testKey(index: number, seed?: number): TestKey;
/** The key named `label`: keccak256 of its UTF-8 bytes. */
export function testKey(label: string): TestKey;
export function testKey(id: number | string, seed = 0): TestKey {
  if (typeof id === 'number') return keyFromSecret(simKey(seed, id));
  // keccak256 lands outside [1, n) with probability ~2^-128; rehashing keeps the label → key map total.
  let secret = keccak256(new TextEncoder().encode(id));
  while (!isValidSecretKey(secret)) secret = keccak256(secret);
  return keyFromSecret(secret);
}

/** Keys 0 … n-1 of a simulated cluster with `seed` (default 0). */
export function testKeys(n: number, seed?: number): TestKey[];
/** The keys labelled `${prefix}-0` … `${prefix}-${n - 1}`. */
export function testKeys(n: number, prefix: string): TestKey[];
export function testKeys(n: number, ns: number | string = 0): TestKey[] {
  return Array.from({ length: n }, (_, i) => (typeof ns === 'number' ? testKey(i, ns) : testKey(`${ns}-${i}`)));
}

/** A fresh random key, different on every call. */
export function randomKey(): TestKey {
  for (;;) {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    if (isValidSecretKey(secret)) return keyFromSecret(secret);
  }
}
