/** TRON addresses in the three forms the node meets: base58 "T…", hex "41…" (21 bytes), and 0x 20-byte hex. */
import { fromTronAddress, toTronAddress } from '../crypto/address.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

/** Any TRON or EVM form → 0x-prefixed 20-byte lower-case hex; the error names what was wrong. */
export function tronToEvmHex(address: string, what = 'address'): string {
  const a = address.trim();
  if (/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(a)) return bytesToHex(fromTronAddress(a));
  const h = a.replace(/^0x/i, '');
  if (/^41[0-9a-fA-F]{40}$/.test(h)) return '0x' + h.slice(2).toLowerCase();
  if (/^[0-9a-fA-F]{40}$/.test(h)) return '0x' + h.toLowerCase();
  throw new Error(`${what}: ${JSON.stringify(address)} is not a TRON address (base58 T…, 41-prefixed hex) or a 20-byte hex address`);
}

/** 0x 20-byte hex → TRON hex form "41…" (no 0x), as TRON's HTTP API takes it. */
export function evmToTronHex(address: string): string {
  const raw = hexToBytes(address);
  if (raw.length !== 20) throw new Error(`evmToTronHex: expected 20 bytes, got ${raw.length}`);
  return '41' + bytesToHex(raw).slice(2);
}

export function evmToTronBase58(address: string): string {
  return toTronAddress(address);
}
