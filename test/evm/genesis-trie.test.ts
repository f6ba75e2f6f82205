/**
 * The bottom-up genesis writer (src/evm/genesisTrie.ts) against EthereumJS's own state manager:
 * the same roots for random allocs (code, storage with zero values, nonces, tiny and huge balances),
 * state readable back through the executor, and an alloc large enough that the old RLP encoding of
 * the genesis request overflowed the stack ("Maximum call stack size exceeded" from 200k accounts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, Address } from '@ethereumjs/util';
import { createExecutor } from '../../src/evm/index.ts';
import { writeGenesisState } from '../../src/evm/genesisTrie.ts';
import type { GenesisSpec } from '../../src/evm/interface.ts';
import * as codec from '../../src/evm/codec.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';

type Alloc = GenesisSpec['alloc'];

/** The root the state manager computes for `alloc`, putting each account as the executor used to. */
async function referenceRoot(alloc: Alloc): Promise<Uint8Array> {
  const sm = new MerkleStateManager();
  await sm.checkpoint();
  for (const [a, acc] of alloc) {
    const address = new Address(a);
    await sm.putAccount(address, new Account(acc.nonce ?? 0n, acc.balance ?? 0n));
    if (acc.code && acc.code.length > 0) await sm.putCode(address, acc.code);
    for (const [slot, value] of acc.storage ?? []) {
      if (value.every((x) => x === 0)) continue;
      const k = new Uint8Array(32);
      k.set(slot, 32 - slot.length);
      await sm.putStorage(address, k, value);
    }
  }
  await sm.commit();
  return sm.getStateRoot();
}

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const allocArb = fc
  .uniqueArray(
    fc.record({
      address: bytes(20, 20),
      balance: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 256n - 1n })),
      nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      code: fc.option(bytes(1, 80), { nil: undefined }),
      storage: fc.uniqueArray(fc.tuple(bytes(1, 32), bytes(0, 32)), { maxLength: 6, selector: ([k]) => bytesToHex(k.length === 32 ? k : new Uint8Array([...new Uint8Array(32 - k.length), ...k])) }),
    }),
    { maxLength: 40, selector: (r) => bytesToHex(r.address) },
  )
  .map((rs) => rs.map((r): Alloc[number] => [r.address, { balance: r.balance, nonce: r.nonce, ...(r.code ? { code: r.code } : {}), storage: r.storage }]));

test('genesis roots from the bottom-up writer equal the state manager roots', async () => {
  await fc.assert(
    fc.asyncProperty(allocArb, async (alloc) => {
      const written = new Map<string, Uint8Array>();
      const root = await writeGenesisState({ alloc }, (k, v) => void written.set(bytesToHex(k), v));
      assert.equal(bytesToHex(root), bytesToHex(await referenceRoot(alloc)));
      if (alloc.length > 0) assert.ok(written.has(bytesToHex(root)), 'the root node is written');
    }),
    { numRuns: 60 },
  );
});

test('an alloc naming an account twice is refused, naming it', async () => {
  const a = new Uint8Array(20).fill(7);
  await assert.rejects(
    writeGenesisState(
      {
        alloc: [
          [a, { balance: 1n }],
          [a, { balance: 2n }],
        ],
      },
      () => {},
    ),
    /lists account 0x0707070707070707070707070707070707070707 twice/,
  );
});

test('the executor serves the state it wrote at genesis', async (t) => {
  const ex = await createExecutor({ mode: 'worker', chainId: 1029, dataDir: tempDir(t, 'gen') });
  try {
    const contract = new Uint8Array(20).fill(0xc0);
    const user = new Uint8Array(20).fill(0x11);
    const code = new Uint8Array([0x60, 0x01, 0x60, 0x00, 0x55, 0x00]);
    const slot = new Uint8Array([5]);
    const alloc: Alloc = [
      [user, { balance: 10n ** 18n, nonce: 3n }],
      [contract, { balance: 0n, code, storage: [[slot, new Uint8Array([0x12, 0x34])]] }],
    ];
    const g = await ex.initGenesis({ alloc, gasLimit: 20_000_000n });
    assert.equal(bytesToHex(g.stateRoot), bytesToHex(await referenceRoot(alloc)));
    const acc = await ex.getAccount(g.stateRoot, user);
    assert.equal(acc?.balance, 10n ** 18n);
    assert.equal(acc?.nonce, 3n);
    assert.equal(bytesToHex(await ex.getCode(g.stateRoot, contract)), bytesToHex(code));
    assert.equal(BigInt(bytesToHex(await ex.getStorage(g.stateRoot, contract, slot))), 0x1234n);
  } finally {
    await ex.close();
  }
});

test('a 200k-account genesis goes through the worker path (its request used to overflow the stack)', async (t) => {
  const n = 200_000;
  const addr = (i: number) => {
    const a = new Uint8Array(20);
    new DataView(a.buffer).setUint32(16, i + 1);
    return a;
  };
  const alloc: Alloc = Array.from({ length: n }, (_, i) => [addr(i), { balance: 10n ** 18n }]);
  const spec: GenesisSpec = { alloc, gasLimit: 20_000_000n };
  // The request itself round-trips (RLP.encode of a 200k-item list threw RangeError here).
  assert.equal(codec.decodeGenesis(codec.encodeGenesis(spec)).alloc.length, n);
  const ex = await createExecutor({ mode: 'worker', chainId: 1029, dataDir: tempDir(t, 'big') });
  try {
    const g = await ex.initGenesis(spec);
    // Computed once by the state manager path (put by put; ~55 s and 4 GB here): an independent vector.
    assert.equal(bytesToHex(g.stateRoot), '0xaf1c32d961febca4cdcb6d1a587672bb720d8e196a1e8b49c4a9001ed51c0d00');
    for (const i of [0, 1, 77_777, n - 1]) assert.equal((await ex.getAccount(g.stateRoot, addr(i)))?.balance, 10n ** 18n);
    assert.equal(await ex.getAccount(g.stateRoot, addr(n)), undefined);
  } finally {
    await ex.close();
  }
});
