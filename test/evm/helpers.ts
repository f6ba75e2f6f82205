/** Deterministic accounts and small builders shared by the executor, chain and RPC tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';

export interface TestAccount {
  key: Uint8Array;
  address: Uint8Array;
}

export function testAccounts(n: number, seed = 1): TestAccount[] {
  const out: TestAccount[] = [];
  for (let i = 0; i < n; i++) {
    const key = new Uint8Array(32);
    const v = seed * 1_000_003 + i + 1;
    new DataView(key.buffer).setUint32(28, v);
    key[0] = 0x11;
    out.push({ key, address: addressFromPublicKey(publicKeyCreate(key, false)) });
  }
  return out;
}

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `bttc-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
