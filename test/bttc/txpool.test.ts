import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet, Transaction } from 'ethers';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { LevelStore } from '../../src/db/level.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { INLINE_RECOVER_MAX, TxPool, type TxPoolOptions } from '../../src/bttc/txpool/pool.ts';
import { decodeTx } from '../../src/bttc/txpool/tx.ts';
import type { AddResult } from '../../src/bttc/txpool/interface.ts';
import { RLP } from '@ethereumjs/rlp';
import { SECP256K1_N } from '../../src/crypto/secp256k1.ts';
import { bigintToMinimalBytes } from '../../src/bttc/engine/header.ts';
import { makeSigners, MemAccounts, signTx, testParams } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const users = makeSigners(6, 'pool-user');
const CHAIN = BigInt(testParams.chainId);
const RICH = 10n ** 24n;

function makePool(opts: Partial<TxPoolOptions> = {}, deps: { db?: LevelStore; accounts?: MemAccounts; metrics?: ReturnType<typeof createMetricsRegistry> } = {}) {
  const accounts = deps.accounts ?? new MemAccounts();
  if (!deps.accounts) for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const pool = new TxPool({ chainId: testParams.chainId, blockGasLimit: 20_000_000n, ...opts }, { verifier: new InlineVerifier(), accounts, db: deps.db ?? null, metrics: deps.metrics ?? null });
  return { pool, accounts };
}

function codeOf(r: AddResult): string {
  return r.ok ? 'ok' : r.code;
}

test('decoding and sender recovery agree with ethers for legacy and access-list transactions', async () => {
  const { pool } = makePool();
  const wallet = new Wallet(bytesToHex(users[0]!.key));
  const legacy = await wallet.signTransaction({ type: 0, chainId: CHAIN, nonce: 0, gasPrice: 5n, gasLimit: 21000n, to: '0x' + '11'.repeat(20), value: 7n });
  const al = await wallet.signTransaction({
    type: 1,
    chainId: CHAIN,
    nonce: 1,
    gasPrice: 5n,
    gasLimit: 30000n,
    to: '0x' + '22'.repeat(20),
    value: 1n,
    data: '0x00ff',
    accessList: [{ address: '0x' + '33'.repeat(20), storageKeys: ['0x' + '00'.repeat(31) + '01'] }],
  });
  const res = await pool.addRaw([hexToBytes(legacy), hexToBytes(al)]);
  assert.deepEqual(res.map(codeOf), ['ok', 'ok']);
  for (const [i, raw] of [legacy, al].entries()) {
    const r = res[i]!;
    assert.ok(r.ok);
    assert.equal(bytesToHex(r.sender), wallet.address.toLowerCase());
    assert.equal(bytesToHex(r.hash), Transaction.from(raw).hash);
  }
  // Our own test signer produces what ethers reads back.
  const mine = signTx({ nonce: 3n, gasPrice: 9n, value: 5n }, users[1]!.key);
  assert.equal(Transaction.from(bytesToHex(mine)).from!.toLowerCase(), bytesToHex(users[1]!.address));
  assert.equal(decodeTx(mine).gasPrice, 9n);
  const d = decodeTx(hexToBytes(al));
  assert.equal(d.accessListAddresses, 1);
  assert.equal(d.accessListKeys, 1);
});

test('rejects with a reason: chain id, signature, nonce, funds, gas, size, price, type, duplicates', async () => {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const { pool, accounts } = makePool({ minGasPrice: 2n, maxTxBytes: 2000 }, { metrics });
  const [a, b] = users;
  accounts.set(a!.address, { nonce: 3n, balance: RICH });
  accounts.set(b!.address, { nonce: 0n, balance: 21000n * 2n });
  const good = signTx({ nonce: 3n, gasPrice: 2n }, a!.key);
  const badSig = good.slice();
  badSig[badSig.length - 5]! ^= 0xff;
  const cases: [string, Uint8Array][] = [
    ['wrong-chain-id', signTx({ nonce: 3n, gasPrice: 2n, chainId: 1n }, a!.key)],
    ['nonce-too-low', signTx({ nonce: 2n, gasPrice: 2n }, a!.key)],
    ['insufficient-funds', signTx({ nonce: 0n, gasPrice: 2n, value: 1n }, b!.key)],
    ['gas-limit-exceeds-block', signTx({ nonce: 3n, gasPrice: 2n, gasLimit: 20_000_001n }, a!.key)],
    ['intrinsic-gas-too-low', signTx({ nonce: 3n, gasPrice: 2n, gasLimit: 20_999n }, a!.key)],
    ['oversized', signTx({ nonce: 3n, gasPrice: 2n, gasLimit: 1_000_000n, data: new Uint8Array(2000).fill(1) }, a!.key)],
    ['underpriced', signTx({ nonce: 3n, gasPrice: 1n }, a!.key)],
    ['unsupported-type', Uint8Array.from([2, 0xc0])],
    ['malformed', Uint8Array.from([0xc3, 1, 2])],
    ['ok', good],
    ['already-known', good],
  ];
  const res = await pool.addRaw(cases.map((c) => c[1]));
  assert.deepEqual(
    res.map(codeOf),
    cases.map((c) => c[0]),
  );
  for (const r of res) if (!r.ok) assert.ok(r.reason.length > 10, `a reason is given for ${r.code}`);
  const sig = await pool.addRaw([badSig]);
  // A flipped byte in s either fails recovery or recovers someone else (who has no funds): never `a`.
  assert.ok(!sig[0]!.ok || bytesToHex(sig[0]!.sender) !== bytesToHex(a!.address));
  assert.ok(sig[0]!.ok || ['bad-signature', 'insufficient-funds'].includes(sig[0]!.code));
  // The same signature in its high-s form (s' = n − s, parity flipped) recovers the same key: EIP-2 refuses it.
  const f = RLP.decode(good) as Uint8Array[];
  const sHigh = SECP256K1_N - BigInt(bytesToHex(f[8]!));
  const v = BigInt(bytesToHex(f[6]!));
  const malleable = RLP.encode([...f.slice(0, 6), bigintToMinimalBytes(v % 2n === 0n ? v - 1n : v + 1n), f[7]!, bigintToMinimalBytes(sHigh)]);
  const hs = (await pool.addRaw([malleable]))[0]!;
  assert.ok(!hs.ok && hs.code === 'bad-signature' && /EIP-2/.test(hs.reason));
  const text = await metrics.getSingleMetricAsString('bttc_txpool_rejected_total');
  assert.match(text, /reason="wrong-chain-id"} 1/);
  assert.match(text, /reason="already-known"} 1/);
  assert.equal(pool.size, 1);
});

test('pending: best price first across senders, nonce order within a sender, gaps wait', async () => {
  const metrics = createMetricsRegistry();
  const { pool } = makePool({}, { metrics });
  const [a, b, c] = users;
  await pool.addRaw([
    signTx({ nonce: 1n, gasPrice: 100n }, a!.key), // waits for nonce 0
    signTx({ nonce: 0n, gasPrice: 10n }, a!.key),
    signTx({ nonce: 0n, gasPrice: 50n }, b!.key),
    signTx({ nonce: 1n, gasPrice: 5n }, b!.key),
    signTx({ nonce: 0n, gasPrice: 20n }, c!.key),
    signTx({ nonce: 2n, gasPrice: 99n }, c!.key), // gap at nonce 1: not executable
  ]);
  const order = [...pool.pending()].map((t) => `${users.indexOf(users.find((u) => bytesToHex(u.address) === t.senderHex)!)}:${t.nonce}`);
  assert.deepEqual(order, ['1:0', '2:0', '0:0', '0:1', '1:1']);
  assert.deepEqual(pool.stats(), { pending: 5, queued: 1, senders: 3 });
  const scraped = await metrics.metrics();
  assert.match(scraped, /^bttc_txpool_pending 5$/m);
  assert.match(scraped, /^bttc_txpool_queued 1$/m);
  assert.match(scraped, /^bttc_txpool_senders 3$/m);
  // maxGas skips transactions that could never fit, with their sender's later nonces.
  await pool.addRaw([signTx({ nonce: 0n, gasPrice: 1000n, gasLimit: 100_000n }, users[3]!.key), signTx({ nonce: 1n, gasPrice: 1000n }, users[3]!.key)]);
  assert.ok([...pool.pending(50_000n)].every((t) => t.senderHex !== bytesToHex(users[3]!.address)));
});

test('replacement needs the price bump; limits per sender and in total evict the cheapest tail', async () => {
  const { pool } = makePool({ maxPerSender: 3, maxTotal: 5 });
  const [a, b, c] = users;
  assert.equal(codeOf((await pool.addRaw([signTx({ nonce: 0n, gasPrice: 100n }, a!.key)]))[0]!), 'ok');
  assert.equal(codeOf((await pool.addRaw([signTx({ nonce: 0n, gasPrice: 109n }, a!.key)]))[0]!), 'replacement-underpriced');
  const rep = (await pool.addRaw([signTx({ nonce: 0n, gasPrice: 110n }, a!.key)]))[0]!;
  assert.ok(rep.ok && rep.replaced);
  assert.equal(pool.size, 1);
  assert.equal(pool.get(rep.replaced!), undefined);
  const more = await pool.addRaw([signTx({ nonce: 1n, gasPrice: 110n }, a!.key), signTx({ nonce: 2n, gasPrice: 110n }, a!.key), signTx({ nonce: 3n, gasPrice: 110n }, a!.key)]);
  assert.deepEqual(more.map(codeOf), ['ok', 'ok', 'sender-limit']);
  const bRes = await pool.addRaw([signTx({ nonce: 0n, gasPrice: 30n }, b!.key), signTx({ nonce: 1n, gasPrice: 20n }, b!.key)]);
  assert.deepEqual(bRes.map(codeOf), ['ok', 'ok']);
  assert.equal(pool.size, 5);
  // Full: a cheaper newcomer is refused, a dearer one evicts b's tail (nonce 1 at 20), not b's head.
  assert.equal(codeOf((await pool.addRaw([signTx({ nonce: 0n, gasPrice: 20n }, c!.key)]))[0]!), 'pool-full');
  const c0 = (await pool.addRaw([signTx({ nonce: 0n, gasPrice: 25n }, c!.key)]))[0]!;
  assert.ok(c0.ok);
  assert.equal(pool.size, 5);
  const left = [...pool.pending()].map((t) => `${t.senderHex === bytesToHex(b!.address) ? 'b' : t.senderHex === bytesToHex(c!.address) ? 'c' : 'a'}${t.nonce}`);
  assert.deepEqual(left.sort(), ['a0', 'a1', 'a2', 'b0', 'c0']);
});

test('restart: accepted transactions survive, included ones are dropped, evicted ones stay gone', async (t) => {
  const dir = tempDir(t, 'bttc-txpool');
  let db = await LevelStore.open(dir);
  const accounts = new MemAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const { pool } = makePool({ maxTotal: 6 }, { db, accounts });
  const raws = users.map((u, i) => signTx({ nonce: 0n, gasPrice: BigInt(10 + i) }, u.key));
  raws.push(signTx({ nonce: 1n, gasPrice: 50n }, users[0]!.key));
  const res = await pool.addRaw(raws);
  assert.deepEqual(res.map(codeOf), ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  assert.equal(pool.size, 6, 'the seventh evicted the cheapest tail (users[1] at 11)');
  const evicted = res[1]!;
  assert.ok(evicted.ok && pool.get(evicted.hash) === undefined);
  // users[5]'s transaction is included in a block: the account nonce moves on.
  accounts.set(users[5]!.address, { nonce: 1n, balance: RICH });
  await db.close(); // a crash right after the acks: nothing flushed later is needed
  db = await LevelStore.open(dir);
  const { pool: again } = makePool({ maxTotal: 6 }, { db, accounts });
  const { loaded, dropped } = await again.open();
  assert.equal(loaded, 5);
  assert.equal(dropped, 1);
  for (const [i, r] of res.entries()) {
    assert.ok(r.ok);
    const expectPresent = i !== 1 && i !== 5;
    assert.equal(again.get(r.hash) !== undefined, expectPresent, `tx ${i}`);
  }
  assert.equal(bytesToHex(again.get(res[6]!.ok ? res[6]!.hash : new Uint8Array())!.sender), bytesToHex(users[0]!.address), 'sender kept, not recovered again');
  // Same price/nonce order after the reload (users[0]'s nonce 1 at 50 waits behind its nonce 0 at 10).
  assert.deepEqual(
    [...again.pending()].map((t) => t.gasPrice),
    [14n, 13n, 12n, 10n, 50n],
  );
  await again.close();
  await db.close();
});

test('onNewHead drops included transactions; remove() drops executor rejections', async () => {
  const { pool, accounts } = makePool();
  const [a, b] = users;
  const res = await pool.addRaw([signTx({ nonce: 0n, gasPrice: 5n }, a!.key), signTx({ nonce: 1n, gasPrice: 5n }, a!.key), signTx({ nonce: 0n, gasPrice: 5n }, b!.key)]);
  accounts.set(a!.address, { nonce: 1n, balance: RICH });
  await pool.onNewHead([a!.address]);
  assert.equal(pool.size, 2);
  assert.equal(pool.get(res[0]!.ok ? res[0]!.hash : new Uint8Array()), undefined);
  await pool.remove([res[2]!.ok ? res[2]!.hash : new Uint8Array()], 'rejected');
  assert.equal(pool.size, 1);
  assert.deepEqual(
    [...pool.pending()].map((t) => t.nonce),
    [1n],
  );
});

test('executor refusals: the next-in-line one is dropped, later nonces stay queued (no gap)', async () => {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const { pool, accounts } = makePool({}, { metrics });
  const [a, b] = users;
  const res = await pool.addRaw([0n, 1n, 2n, 3n].map((nonce) => signTx({ nonce, gasPrice: 5n }, a!.key)).concat([0n, 1n, 2n].map((nonce) => signTx({ nonce, gasPrice: 5n }, b!.key))));
  const h = res.map((r) => (r.ok ? r.hash : assert.fail(`not accepted: ${r.code}`)));
  // A block on the head included a's nonce 0; nonce 1 did not fit (gas left, time budget), so the
  // executor refused 2 and 3 as nonce-too-high. b's nonce 0 was refused as it stood (funds), 1 and 2 after it.
  accounts.set(a!.address, { nonce: 1n, balance: RICH });
  await pool.onNewHead([a!.address]);
  const out = await pool.dropRejected([h[2]!, h[3]!, h[4]!, h[5]!, h[6]!]);
  assert.deepEqual(out, { dropped: 1, kept: 4 });
  assert.equal(pool.get(h[4]!), undefined, "b's refused next-in-line transaction left the pool");
  assert.deepEqual(
    [...pool.pending()].map((t) => `${bytesToHex(t.sender) === bytesToHex(a!.address) ? 'a' : 'b'}${t.nonce}`),
    ['a1', 'a2', 'a3'],
    "a's later nonces are still executable once 1 is",
  );
  assert.deepEqual(pool.stats(), { pending: 3, queued: 2, senders: 2 }, "b's later nonces wait for a replacement of 0");
  // A replacement for b's nonce 0 fills the gap: 1 and 2 are promoted.
  await pool.addRaw([signTx({ nonce: 0n, gasPrice: 6n }, b!.key)]);
  assert.equal(pool.stats().pending, 6);
  assert.match(await metrics.getSingleMetricAsString('bttc_txpool_rejected_kept_total'), / 4$/m);
  // A refusal already included by the time the pool looks is simply gone (another producer's block).
  accounts.set(a!.address, { nonce: 4n, balance: RICH });
  assert.deepEqual(await pool.dropRejected([h[1]!, h[2]!, h[3]!]), { dropped: 0, kept: 0 });
  assert.equal(pool.stats().pending, 3);
});

test('intake reads a sender account once per state version; a new head state reads it again', async () => {
  class VersionedAccounts extends MemAccounts {
    version = 'root-1';
    read: string[] = [];
    stateVersion(): string {
      return this.version;
    }
    override getAccounts(addresses: readonly Uint8Array[]) {
      this.read.push(...addresses.map((x) => bytesToHex(x)));
      return super.getAccounts(addresses);
    }
  }
  const accounts = new VersionedAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const metrics = createMetricsRegistry();
  const { pool } = makePool({}, { accounts, metrics });
  const [a, b] = users;
  assert.ok((await pool.addRaw([signTx({ nonce: 0n, gasPrice: 10n }, a!.key)]))[0]!.ok);
  assert.equal(accounts.calls, 1);
  // Same state: the account read for the first batch still holds; only the new sender is read.
  assert.ok((await pool.addRaw([signTx({ nonce: 1n, gasPrice: 10n }, a!.key), signTx({ nonce: 0n, gasPrice: 10n }, b!.key)])).every((r) => r.ok));
  assert.deepEqual(accounts.read, [bytesToHex(a!.address), bytesToHex(b!.address)], 'a was not read again');
  assert.match(await metrics.metrics(), /^bttc_txpool_account_reads_total\{source="current"\} 1$/m);
  // A block moved the state: a's nonce is now 2 and the next intake must see it (nonce 1 is too low).
  accounts.set(a!.address, { nonce: 2n, balance: RICH });
  accounts.version = 'root-2';
  const [low] = await pool.addRaw([signTx({ nonce: 1n, gasPrice: 20n }, a!.key)]);
  assert.equal(codeOf(low!), 'nonce-too-low');
  assert.equal(accounts.read.length, 3);
});

test('a sender whose transactions a block included keeps its head-state account: its next transaction needs no read', async () => {
  class VersionedAccounts extends MemAccounts {
    version = 'root-1';
    reads = 0;
    stateVersion(): string {
      return this.version;
    }
    override getAccounts(addresses: readonly Uint8Array[]) {
      this.reads += addresses.length;
      return super.getAccounts(addresses);
    }
  }
  const accounts = new VersionedAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const { pool } = makePool({}, { accounts });
  const [a, b] = users;
  assert.ok((await pool.addRaw([signTx({ nonce: 0n, gasPrice: 10n }, a!.key), signTx({ nonce: 0n, gasPrice: 10n }, b!.key)])).every((r) => r.ok));
  assert.equal(accounts.reads, 2);
  // A block includes both: the head's one batched refresh reads them, their lists are empty.
  accounts.set(a!.address, { nonce: 1n, balance: RICH });
  accounts.set(b!.address, { nonce: 1n, balance: RICH });
  accounts.version = 'root-2';
  await pool.onNewHead([a!.address, b!.address]);
  assert.equal(accounts.reads, 4);
  assert.deepEqual(pool.stats(), { pending: 0, queued: 0, senders: 0 }, 'an empty list is not a sender with transactions');
  assert.equal(pool.size, 0);
  assert.equal(pool.nextNonce(a!.address), undefined, 'the pending nonce still comes from the head state');
  // Their next transactions are checked against the kept head-state nonce without a read.
  const next = await pool.addRaw([signTx({ nonce: 1n, gasPrice: 10n }, a!.key), signTx({ nonce: 0n, gasPrice: 11n }, b!.key)]);
  assert.deepEqual(next.map(codeOf), ['ok', 'nonce-too-low']);
  assert.equal(accounts.reads, 4, 'no read for a sender refreshed at this head');
  // A head that does not touch a sender leaves its kept account stale: dropped, read again on demand.
  accounts.set(a!.address, { nonce: 2n, balance: RICH });
  accounts.version = 'root-3';
  await pool.onNewHead([a!.address]);
  accounts.version = 'root-4';
  await pool.onNewHead([]);
  const again = await pool.addRaw([signTx({ nonce: 2n, gasPrice: 10n }, a!.key), signTx({ nonce: 1n, gasPrice: 10n }, b!.key)]);
  assert.deepEqual(again.map(codeOf), ['ok', 'ok']);
  assert.equal(accounts.reads, 7, 'a (kept at root-3) and b (dropped at root-3) are read at root-4');
});

test("a reorg re-injects a removed block's transactions even when their sender is at its limit (no stranded nonces)", async () => {
  const { pool, accounts } = makePool({ maxPerSender: 4, maxTotal: 8 });
  const [a, b] = users;
  // A block on the old head included a's nonces 0–2; the pool then filled a's list with 3–6 and b's with 0–1.
  accounts.set(a!.address, { nonce: 3n, balance: RICH });
  const later = await pool.addRaw([3n, 4n, 5n, 6n].map((nonce) => signTx({ nonce, gasPrice: 5n }, a!.key)).concat([0n, 1n].map((nonce) => signTx({ nonce, gasPrice: 5n }, b!.key))));
  assert.ok(later.every((r) => r.ok));
  assert.equal(pool.size, 6);
  // New intake at the limit is still refused.
  assert.equal(codeOf((await pool.addRaw([signTx({ nonce: 7n, gasPrice: 5n }, a!.key)]))[0]!), 'sender-limit');
  // The reorg: the new head's state is before that block, and its transactions come back.
  accounts.set(a!.address, { nonce: 0n, balance: RICH });
  await pool.onNewHead([a!.address]);
  const removed = [0n, 1n, 2n].map((nonce) => signTx({ nonce, gasPrice: 5n }, a!.key));
  const back = await pool.addRecovered(removed.map((raw) => ({ raw, sender: a!.address })));
  assert.deepEqual(back.map(codeOf), ['ok', 'ok', 'ok']);
  // a's whole sequence is executable again; the pool-wide cap made room by evicting b's tail, never a's.
  const pendingA = [...pool.pending()].filter((t) => bytesToHex(t.sender) === bytesToHex(a!.address)).map((t) => t.nonce);
  assert.deepEqual(pendingA, [0n, 1n, 2n, 3n, 4n, 5n, 6n]);
  assert.equal(pool.size, 8);
  assert.deepEqual(
    [...pool.pending()].filter((t) => bytesToHex(t.sender) === bytesToHex(b!.address)).map((t) => t.nonce),
    [0n],
  );
  assert.deepEqual(pool.stats().queued, 0, 'no transaction waits behind a gap');
});

test('addChecked (gossip: decoded, senders recovered) applies the same checks as addRaw without recovering again', async () => {
  const { pool: viaRaw, accounts } = makePool({ minGasPrice: 2n });
  const [a, b] = users;
  accounts.set(a!.address, { nonce: 3n, balance: RICH });
  let recoveries = 0;
  const counting = new InlineVerifier();
  const pool = new TxPool(
    { chainId: testParams.chainId, blockGasLimit: 20_000_000n, minGasPrice: 2n },
    {
      verifier: {
        verifyBatch: (items) => {
          recoveries += items.length;
          return counting.verifyBatch(items);
        },
      } as InlineVerifier,
      accounts,
      db: null,
      metrics: null,
    },
  );
  const raws = [
    signTx({ nonce: 3n, gasPrice: 2n }, a!.key),
    signTx({ nonce: 2n, gasPrice: 2n }, a!.key),
    signTx({ nonce: 4n, gasPrice: 1n }, a!.key),
    signTx({ nonce: 3n, gasPrice: 2n, chainId: 1n }, a!.key),
    signTx({ nonce: 0n, gasPrice: 2n, gasLimit: 20_999n }, b!.key),
  ];
  raws.push(raws[0]!);
  const expected = (await viaRaw.addRaw(raws)).map(codeOf);
  const senders = [a, a, a, a, b, a].map((u) => u!.address);
  const got = await pool.addChecked(raws.map((raw, i) => ({ tx: decodeTx(raw), sender: senders[i]! })));
  assert.deepEqual(got.map(codeOf), expected);
  assert.deepEqual(expected, ['ok', 'nonce-too-low', 'underpriced', 'wrong-chain-id', 'intrinsic-gas-too-low', 'already-known']);
  assert.equal(recoveries, 0, 'no sender recovered a second time');
  assert.equal(bytesToHex(pool.get(decodeTx(raws[0]!).hash)!.sender), bytesToHex(a!.address));
});

test('small intake batches recover senders inline, big ones in the verifier; both agree, bad signatures included', async () => {
  let pooled = 0;
  const inner = new InlineVerifier();
  const verifier = {
    verifyBatch: (items: Parameters<InlineVerifier['verifyBatch']>[0]) => {
      pooled += items.length;
      return inner.verifyBatch(items);
    },
  } as InlineVerifier;
  const metrics = createMetricsRegistry();
  const accounts = new MemAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const mk = (inlineRecoverMax?: number) =>
    new TxPool({ chainId: testParams.chainId, blockGasLimit: 20_000_000n, ...(inlineRecoverMax === undefined ? {} : { inlineRecoverMax }) }, { verifier, accounts, db: null, metrics });
  const raws = (n: number, salt: bigint) => Array.from({ length: n }, (_, i) => signTx({ nonce: BigInt(i), gasPrice: 5n + salt }, users[i % users.length]!.key));
  // A signature whose r is not on the curve recovers nobody: the same refusal on both paths.
  const good = signTx({ nonce: 0n, gasPrice: 7n }, users[0]!.key);
  const f = RLP.decode(good) as Uint8Array[];
  const broken = RLP.encode([...f.slice(0, 7), new Uint8Array(32).fill(0xff), f[8]!]);

  const small = [...raws(7, 0n), broken];
  const inlineRes = await mk(8).addRaw(small);
  assert.equal(pooled, 0, '8 senders: recovered on the calling thread');
  const viaPool = await mk(0).addRaw(small);
  assert.equal(pooled, 8, 'inlineRecoverMax 0: every recovery goes to the verifier');
  assert.deepEqual(inlineRes, viaPool);
  const last = inlineRes[7]!;
  assert.ok(!last.ok && last.code === 'bad-signature', `broken r refused: ${JSON.stringify(last)}`);
  assert.deepEqual(
    inlineRes.slice(0, 7).map((r) => (r.ok ? bytesToHex(r.sender) : r.code)),
    small.slice(0, 7).map((_, i) => bytesToHex(users[i % users.length]!.address)),
  );

  pooled = 0;
  const big = await mk(8).addRaw(raws(9, 1n));
  assert.equal(pooled, 9, '9 senders over a limit of 8: one verifier batch');
  assert.ok(big.every((r) => r.ok));
  // The default keeps an intake batch of the journal's write interval (≈ 10–40 senders) inline.
  assert.ok(INLINE_RECOVER_MAX >= 32);
  const byDefault = await mk().addRaw(raws(32, 2n));
  assert.equal(pooled, 9, '32 senders under the default limit: no verifier batch');
  assert.ok(byDefault.every((r) => r.ok));
  const text = await metrics.getSingleMetricAsString('bttc_txpool_sender_recoveries_total');
  assert.match(text, /where="inline"} 40/);
  assert.match(text, /where="verify-pool"} 17/);
});

test('a crash before queued deletions reach the disk brings back nothing the chain included', async (t) => {
  const dir = tempDir(t, 'bttc-txpool');
  let db = await LevelStore.open(dir);
  const accounts = new MemAccounts();
  for (const u of users) accounts.set(u.address, { nonce: 0n, balance: RICH });
  const { pool } = makePool({}, { db, accounts });
  const [a, b] = users;
  const res = await pool.addRaw([signTx({ nonce: 0n, gasPrice: 5n }, a!.key), signTx({ nonce: 0n, gasPrice: 5n }, b!.key)]);
  assert.ok(res.every((r) => r.ok));
  // a's transaction is included: the pool drops it, and its deletion waits for a batch to ride with.
  accounts.set(a!.address, { nonce: 1n, balance: RICH });
  await pool.onNewHead([a!.address]);
  assert.equal(pool.size, 1);
  await db.close(); // the crash: the deletion never reached the disk
  db = await LevelStore.open(dir);
  const { pool: again } = makePool({}, { db, accounts });
  const { loaded, dropped } = await again.open();
  assert.deepEqual({ loaded, dropped }, { loaded: 1, dropped: 1 }, 'the included one is back on disk only to be dropped on reload');
  assert.ok(res[1]!.ok && again.get(res[1]!.hash));
  await again.close();
  await db.close();
});
