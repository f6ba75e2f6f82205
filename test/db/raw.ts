/** Layout tests read a store's raw bytes: every entry of a KeyValueStore as hex key → hex value. */
import type { KeyValueStore } from '../../src/db/interface.ts';

export async function rawEntries(db: KeyValueStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // 0xff is never a bucket (the registry test checks it), so [0x00, 0xff) is every record.
  for await (const [k, v] of db.entries({ gte: Uint8Array.of(0), lt: Uint8Array.of(0xff) })) out.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
  return out;
}

/** Big-endian fixed-width hex of a number, for writing expected keys by hand. */
export function beHex(n: number | bigint, bytes: number): string {
  return BigInt(n)
    .toString(16)
    .padStart(bytes * 2, '0');
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
