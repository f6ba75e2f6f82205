/**
 * The executor's plain-transfer fast path against runTx: random blocks of transfers, built twice
 * from the same genesis (fast path on and off), must include and reject the same transactions with
 * the same reasons and give the same state root, receipts and gas. The blocks mix in everything the
 * fast path must hand to runTx: zero value, zero gas price, gas limit below 21,000, wrong nonces,
 * too little balance, a precompile (which costs gas above 21,000), a contract that reverts, the
 * block's fee recipient and the sender itself as recipients, and fresh addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Executor } from '../../src/evm/executor.ts';
import type { BuildBlockResult, GenesisSpec, HeaderFields } from '../../src/evm/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { testAccounts } from './helpers.ts';
import { tempDir, withTempDir } from '../helpers/tmp.ts';

const CHAIN_ID = 199;
const GWEI = 1_000_000_000n;
const accounts = testAccounts(5, 7);
const author = testAccounts(1, 98)[0]!.address;
// PUSH1 0 PUSH1 0 REVERT: any call into it fails, so the transaction is included with status 0.
const REVERTER = hexToBytes('0x00000000000000000000000000000000000baddd');
const SHA256_PRECOMPILE = hexToBytes('0x0000000000000000000000000000000000000002');

function genesis(balances: bigint[]): GenesisSpec {
  return {
    gasLimit: 30_000_000n,
    time: 1_000n,
    alloc: [
      ...accounts.map((a, i) => [a.address, { balance: balances[i]! }] as [Uint8Array, { balance: bigint }]),
      [REVERTER, { balance: 0n, code: hexToBytes('0x60006000fd') }],
      // The fee recipient starts with a balance on some runs and absent on others (see balances[5]).
      ...(balances[5]! > 0n ? [[author, { balance: balances[5]! }] as [Uint8Array, { balance: bigint }]] : []),
    ],
  };
}

interface TxPlan {
  from: number;
  to: number; // index into recipientChoices
  value: 0 | 1 | 2 | 3; // 0, 1 wei, a share of the balance, more than the balance
  gasPrice: 0 | 1;
  gasLimit: 0 | 1 | 2; // 21000, 30000, 20999
  nonceShift: -1 | 0 | 0 | 1;
}

const fresh = hexToBytes('0x00000000000000000000000000000000f1e5f1e5');
// Low addresses without code: the load generator's sink, one just above the reserved range, Bor's
// P256 precompile address (a plain account under these rules) and the zero address.
const DEAD = hexToBytes('0x000000000000000000000000000000000000dead');
const LOW = hexToBytes('0x0000000000000000000000000000000000000400');
const P256 = hexToBytes('0x0000000000000000000000000000000000000100');
const ZERO = new Uint8Array(20);
const recipientChoices = (from: number): Uint8Array[] => [...accounts.map((a) => a.address), fresh, REVERTER, SHA256_PRECOMPILE, author, accounts[from]!.address, DEAD, LOW, P256, ZERO];

async function build(fastPath: boolean, balances: bigint[], plans: TxPlan[]): Promise<{ res: BuildBlockResult; fast: number }> {
  return withTempDir('fastpath', async (dataDir) => {
    const ex = await Executor.open({ chainId: CHAIN_ID, dataDir, transferFastPath: fastPath });
    try {
      const gen: HeaderFields = await ex.initGenesis(genesis(balances));
      const nonces = accounts.map(() => 0);
      const txs: Uint8Array[] = [];
      const senders: Uint8Array[] = [];
      for (const p of plans) {
        const nonce = Math.max(0, nonces[p.from]! + p.nonceShift);
        if (p.nonceShift === 0) nonces[p.from]!++;
        const balance = balances[p.from]!;
        const value = [0n, 1n, balance / 7n, balance + 1n][p.value]!;
        txs.push(
          signLegacyTx({ nonce, gasPrice: p.gasPrice ? GWEI : 0n, gasLimit: [21_000n, 30_000n, 20_999n][p.gasLimit]!, to: recipientChoices(p.from)[p.to]!, value }, CHAIN_ID, accounts[p.from]!.key),
        );
        senders.push(accounts[p.from]!.address);
      }
      const res = await ex.buildBlock({
        parent: { hash: hashHeader(gen), number: 0n, stateRoot: gen.stateRoot },
        header: { number: 1n, time: 1002n, gasLimit: 30_000_000n },
        author,
        txs,
        senders,
        budgetMs: 60_000,
      });
      return { res, fast: ex.fastTransfers };
    } finally {
      await ex.close();
    }
  });
}

const planArb = fc.record<TxPlan>({
  from: fc.integer({ min: 0, max: accounts.length - 1 }),
  to: fc.integer({ min: 0, max: accounts.length + 8 }),
  value: fc.constantFrom(0, 1, 2, 2, 2, 3),
  gasPrice: fc.constantFrom(0, 1, 1, 1),
  gasLimit: fc.constantFrom(0, 0, 1, 2),
  nonceShift: fc.constantFrom(-1, 0, 0, 0, 0, 0, 0, 0, 0, 1),
});
// Balances from none to plenty: 0, below one transfer's fee, a few fees, a lot.
const balanceArb = fc.constantFrom(0n, 20_000n * GWEI, 100_000n * GWEI, 10n ** 20n, 10n ** 20n, 10n ** 20n);

function summary(r: BuildBlockResult) {
  return {
    stateRoot: bytesToHex(r.header.stateRoot),
    receiptRoot: bytesToHex(r.header.receiptRoot),
    gasUsed: r.header.gasUsed,
    included: r.included,
    rejected: r.rejected,
    receipts: r.receipts.map((x) => [x.status, x.gasUsed, x.cumulativeGasUsed, x.logs.length]),
  };
}

test('fast path and runTx build identical blocks from random transfers', { timeout: 240_000 }, async () => {
  let fastTotal = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(balanceArb, { minLength: 6, maxLength: 6 }), fc.array(planArb, { minLength: 1, maxLength: 24 }), async (balances, plans) => {
      const [fast, slow] = await Promise.all([build(true, balances, plans), build(false, balances, plans)]);
      assert.equal(slow.fast, 0, 'the reference executor took the fast path');
      fastTotal += fast.fast;
      assert.deepEqual(summary(fast.res), summary(slow.res));
    }),
    { numRuns: 150, seed: 20261122 },
  );
  // Not a vacuous comparison: many transactions went through the fast path.
  assert.ok(fastTotal > 60, `only ${fastTotal} transactions took the fast path`);
});

test('a block of ordinary transfers goes entirely through the fast path and re-executes through runTx', async (t) => {
  const plans: TxPlan[] = Array.from({ length: 20 }, (_, i) => ({ from: i % 5, to: (i + 1) % 5, value: 2, gasPrice: 1, gasLimit: (i % 2) as 0 | 1, nonceShift: 0 }));
  const balances = [...accounts.map(() => 10n ** 20n), 0n];
  const fast = await build(true, balances, plans);
  assert.equal(fast.fast, 20);
  assert.deepEqual(fast.res.rejected, []);
  // The runTx executor accepts the fast-built header (executeBlock checks every root).
  const ex = await Executor.open({ chainId: CHAIN_ID, dataDir: tempDir(t, 'fastpath-exec'), transferFastPath: false });
  try {
    const gen = await ex.initGenesis(genesis(balances));
    const txs: Uint8Array[] = [];
    const nonces = accounts.map(() => 0);
    for (const p of plans)
      txs.push(
        signLegacyTx(
          { nonce: nonces[p.from]!++, gasPrice: GWEI, gasLimit: [21_000n, 30_000n][p.gasLimit]!, to: accounts[p.to]!.address, value: balances[p.from]! / 7n },
          CHAIN_ID,
          accounts[p.from]!.key,
        ),
      );
    const out = await ex.executeBlock({
      parent: { hash: hashHeader(gen), number: 0n, stateRoot: gen.stateRoot },
      header: fast.res.header,
      txs,
      senders: plans.map((p) => accounts[p.from]!.address),
      author,
    });
    assert.equal(out.receipts.length, 20);
    assert.equal(ex.fastTransfers, 0);
  } finally {
    await ex.close();
  }
});

test("transfers to low addresses without code (the load generator's 0x…dead sink) take the fast path; precompile-range ones do not", async () => {
  const balances = [...accounts.map(() => 10n ** 20n), 0n];
  const choices = recipientChoices(0);
  const plans = (to: Uint8Array, n: number): TxPlan[] => Array.from({ length: n }, (_, i) => ({ from: i % 5, to: choices.indexOf(to), value: 2, gasPrice: 1, gasLimit: 0, nonceShift: 0 }));
  const toDead = await build(true, balances, [...plans(DEAD, 6), ...plans(LOW, 4)]);
  assert.equal(toDead.fast, 10);
  const toReserved = await build(true, balances, [...plans(P256, 3), ...plans(ZERO, 3), ...plans(SHA256_PRECOMPILE, 3)]);
  assert.equal(toReserved.fast, 0);
  assert.deepEqual(summary(toReserved.res), summary((await build(false, balances, [...plans(P256, 3), ...plans(ZERO, 3), ...plans(SHA256_PRECOMPILE, 3)])).res));
});
