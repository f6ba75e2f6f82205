/**
 * decodeTransferTx against EthereumJS's createTxFromRLP on the executor's Common: random legacy
 * encodings, valid and invalid (leading zeros, oversized quantities, recipients of every length,
 * data, unsigned and foreign-chain `v`, wrong field counts, nested fields, typed prefixes, mutated
 * and truncated bytes). Whenever the light decode returns fields, EthereumJS must accept the bytes
 * with the same fields; whenever EthereumJS accepts a signed plain legacy transfer, the light decode
 * must return it (so the fast path keeps taking it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { createTxFromRLP, type LegacyTx, type TypedTransaction } from '@ethereumjs/tx';
import { createBttcCommon } from '../../src/evm/common.ts';
import { decodeTransferTx } from '../../src/evm/transferTx.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { testAccounts } from './helpers.ts';

const CHAIN_ID = 199n;
const common = createBttcCommon({ chainId: CHAIN_ID });

const minimal = (v: bigint) => (v === 0n ? new Uint8Array(0) : Uint8Array.from(Buffer.from(v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0'), 'hex')));

/** A quantity field: mostly minimal, sometimes with a leading zero byte or huge. */
const quantityField = (max: bigint) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.bigInt({ min: 0n, max }).map(minimal) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max }).map((v) => Uint8Array.of(0, ...minimal(v))) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 34 }) },
    { weight: 1, arbitrary: fc.constantFrom((1n << 64n) - 1n, (1n << 64n) - 2n, 1n << 64n, (1n << 256n) - 1n, 1n << 256n).map(minimal) },
  );

const vField = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(27n, 28n, CHAIN_ID * 2n + 35n, CHAIN_ID * 2n + 36n).map(minimal) },
  fc.constantFrom(0n, 1n, 26n, 29n, 35n, 36n, 37n, 38n, 1n * 2n + 37n, CHAIN_ID * 2n + 37n, CHAIN_ID * 2n + 35n + (1n << 53n), 1n << 60n).map(minimal),
  fc.constant(Uint8Array.of(0, 27)),
  fc.constant(new Uint8Array(0)),
);

const fields = fc.record({
  nonce: quantityField((1n << 64n) + 5n),
  gasPrice: quantityField(1n << 200n),
  gasLimit: quantityField((1n << 64n) + 5n),
  to: fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ minLength: 20, maxLength: 20 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 21 }) }),
  value: quantityField(1n << 100n),
  data: fc.oneof({ weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  v: vField,
  r: fc.oneof({ weight: 6, arbitrary: fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }).map(minimal) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 33 }) }),
  s: fc.oneof({ weight: 6, arbitrary: fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }).map(minimal) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 33 }) }),
});

/** Field lists re-shaped: dropped or extra fields, a nested field. */
const shaped = fc.tuple(fields, fc.constantFrom('nine', 'nine', 'nine', 'nine', 'nine', 'nine', 'nine', 'nine', 'six', 'eight', 'ten', 'nested')).map(([f, shape]) => {
  const list: (Uint8Array | Uint8Array[])[] = [f.nonce, f.gasPrice, f.gasLimit, f.to, f.value, f.data, f.v, f.r, f.s];
  if (shape === 'six') return list.slice(0, 6);
  if (shape === 'eight') return list.slice(0, 8);
  if (shape === 'ten') return [...list, new Uint8Array(1)];
  if (shape === 'nested') list[4] = [f.value];
  return list;
});

/** Encodings: the list as is, with a type byte in front, with a byte flipped, cut short or extended. */
const encodings = fc
  .tuple(shaped, fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'plain', 'typed', 'flip', 'cut', 'extend'), fc.nat(), fc.integer({ min: 1, max: 255 }))
  .map(([list, how, at, byte]) => {
    const raw = RLP.encode(list as never);
    if (how === 'typed') return Uint8Array.of(1, ...raw);
    if (how === 'flip') {
      const c = raw.slice();
      const k = at % c.length;
      c[k] = c[k]! ^ byte;
      return c;
    }
    if (how === 'cut') return raw.subarray(0, at % raw.length);
    if (how === 'extend') return Uint8Array.of(...raw, byte);
    return raw;
  });

function full(raw: Uint8Array): TypedTransaction | null {
  try {
    return createTxFromRLP(raw, { common, freeze: false }) as TypedTransaction;
  } catch {
    return null;
  }
}

function compare(raw: Uint8Array, stats: { light: number; fullTransfers: number }): void {
  const light = decodeTransferTx(raw, CHAIN_ID);
  const tx = full(raw);
  if (light) {
    stats.light++;
    assert.ok(tx, `light decode accepted what EthereumJS refuses: ${Buffer.from(raw).toString('hex')}`);
    assert.equal(tx.type, 0);
    const legacy = tx as LegacyTx;
    assert.deepEqual(
      { nonce: light.nonce, gasPrice: light.gasPrice, gasLimit: light.gasLimit, to: Buffer.from(light.to).toString('hex'), value: light.value },
      { nonce: legacy.nonce, gasPrice: legacy.gasPrice, gasLimit: legacy.gasLimit, to: Buffer.from(legacy.to!.bytes).toString('hex'), value: legacy.value },
    );
    assert.equal(legacy.data.length, 0);
    assert.ok(legacy.isSigned());
  }
  if (tx && tx.type === 0 && tx.to !== undefined && tx.data.length === 0 && tx.isSigned()) {
    stats.fullTransfers++;
    assert.ok(light, `EthereumJS accepts a signed plain transfer the light decode declines: ${Buffer.from(raw).toString('hex')}`);
  }
}

test('decodeTransferTx returns fields only for what createTxFromRLP accepts, with the same fields, and takes every signed plain transfer', () => {
  const stats = { light: 0, fullTransfers: 0 };
  fc.assert(
    fc.property(encodings, (raw) => compare(raw, stats)),
    { numRuns: 10_000 },
  );
  // The generators reach both sides: many accepted transfers, many refusals.
  assert.ok(stats.light > 300, `only ${stats.light} light decodes`);
  assert.ok(stats.light === stats.fullTransfers, `${stats.light} light vs ${stats.fullTransfers} EthereumJS transfers`);
});

test('decodeTransferTx reads really signed transfers as EthereumJS does, and declines other shapes', () => {
  const [a] = testAccounts(1, 3);
  const stats = { light: 0, fullTransfers: 0 };
  for (const [i, value] of [1n, 10n ** 18n, (1n << 255n) + 7n].entries()) {
    const raw = signLegacyTx({ nonce: BigInt(i), gasPrice: 30_000_000_000n, gasLimit: 21_000n, to: new Uint8Array(20).fill(0xab), value, data: new Uint8Array(0) }, CHAIN_ID, a!.key);
    compare(raw, stats);
  }
  assert.equal(stats.light, 3);
  const call = signLegacyTx({ nonce: 0n, gasPrice: 1n, gasLimit: 50_000n, to: new Uint8Array(20).fill(1), value: 0n, data: Uint8Array.of(0xa9, 0x05) }, CHAIN_ID, a!.key);
  assert.equal(decodeTransferTx(call, CHAIN_ID), null, 'data: not a plain transfer');
  const create = signLegacyTx({ nonce: 0n, gasPrice: 1n, gasLimit: 50_000n, value: 0n, data: Uint8Array.of(0) }, CHAIN_ID, a!.key);
  assert.equal(decodeTransferTx(create, CHAIN_ID), null, 'creation');
  const other = signLegacyTx({ nonce: 0n, gasPrice: 1n, gasLimit: 21_000n, to: new Uint8Array(20).fill(1), value: 1n, data: new Uint8Array(0) }, 1029n, a!.key);
  assert.equal(decodeTransferTx(other, CHAIN_ID), null, 'another chain');
  assert.equal(full(other), null, 'EthereumJS refuses it too');
});
