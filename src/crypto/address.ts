/** Ethereum and TRON addresses. TRON = base58check(0x41 ‖ ethereum address bytes). */
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak256 } from './keccak.ts';
import { publicKeyConvert } from './secp256k1.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

/** `keccak256(uncompressedPubkey[1:65])[12:]`; accepts 33- or 65-byte keys. */
export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  const uncompressed = publicKey.length === 65 ? publicKey : publicKeyConvert(publicKey, false);
  if (uncompressed.length !== 65 || uncompressed[0] !== 4) throw new Error('addressFromPublicKey: expected a 65-byte uncompressed key (0x04 ‖ x ‖ y)');
  return keccak256(uncompressed.subarray(1)).slice(12);
}

/** EIP-55 mixed-case checksum form. */
export function toChecksumAddress(address: string | Uint8Array): string {
  const hex = typeof address === 'string' ? address.toLowerCase().replace(/^0x/, '') : bytesToHex(address).slice(2);
  if (!/^[0-9a-f]{40}$/.test(hex)) throw new Error(`not a 20-byte address: ${String(address)}`);
  const hash = bytesToHex(keccak256(new TextEncoder().encode(hex))).slice(2);
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? hex[i]!.toUpperCase() : hex[i];
  return out;
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function base58Decode(text: string): Uint8Array {
  let n = 0n;
  for (const ch of text) {
    const i = ALPHABET.indexOf(ch);
    if (i < 0) throw new Error(`invalid base58 character ${JSON.stringify(ch)}`);
    n = n * 58n + BigInt(i);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

/** TRON base58check address (starts with "T") for a 20-byte address. */
export function toTronAddress(address: string | Uint8Array): string {
  const raw = typeof address === 'string' ? hexToBytes(address) : address;
  if (raw.length !== 20) throw new Error(`toTronAddress: expected 20 bytes, got ${raw.length}`);
  const payload = new Uint8Array(21);
  payload[0] = 0x41;
  payload.set(raw, 1);
  const check = sha256(sha256(payload)).subarray(0, 4);
  const full = new Uint8Array(25);
  full.set(payload);
  full.set(check, 21);
  return base58Encode(full);
}

/** The 20-byte address inside a TRON base58check address; throws on a bad checksum or prefix. */
export function fromTronAddress(tron: string): Uint8Array {
  const full = base58Decode(tron);
  if (full.length !== 25 || full[0] !== 0x41) throw new Error(`not a TRON address: ${tron}`);
  const check = sha256(sha256(full.subarray(0, 21))).subarray(0, 4);
  for (let i = 0; i < 4; i++) if (check[i] !== full[21 + i]) throw new Error(`TRON address checksum mismatch: ${tron}`);
  return full.slice(1, 21);
}
