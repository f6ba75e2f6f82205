/** Deterministic accounts and small builders shared by the executor, chain and RPC tests. */
import { testKeys } from '../helpers/keys.ts';
import { makeTempDir } from '../helpers/tmp.ts';

export interface TestAccount {
  key: Uint8Array;
  address: Uint8Array;
}

/** `n` accounts; a different `seed` gives a disjoint set (an author, a second party). */
export function testAccounts(n: number, seed = 1): TestAccount[] {
  return testKeys(n, `evm-account-${seed}`).map((k) => ({ key: k.secret, address: k.address }));
}

/** Kept only for test/chain/store.test.ts until it moves to test/helpers/tmp.ts; new tests use that. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const d = makeTempDir(prefix);
  return { path: d.path, cleanup: d.remove };
}
