import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { createExecutor } from '../../src/evm/index.ts';
import { BlockValidationError, CallRevertedError, type GenesisSpec, type HeaderFields } from '../../src/evm/interface.ts';
import { hashHeader, encodeHeader } from '../../src/evm/block.ts';
import * as codec from '../../src/evm/codec.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { compileFixture } from './fixtures/compile.ts';
import { testAccounts } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const accounts = testAccounts(4, 7);
const author = testAccounts(1, 98)[0]!.address;
const token = compileFixture();
const iface = new Interface(token.abi as never);
const spec: GenesisSpec = { gasLimit: 20_000_000n, time: 10n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 20n }]) };
const parentOf = (h: HeaderFields) => ({ hash: hashHeader(h), number: h.number, stateRoot: h.stateRoot });

test('the worker executor gives the same blocks as the in-process one, and errors keep their type across the boundary', async (t) => {
  const worker = await createExecutor({ mode: 'worker', chainId: 1029, dataDir: tempDir(t, 'w1') });
  const inline = await createExecutor({ mode: 'inline', chainId: 1029, dataDir: tempDir(t, 'w2') });
  try {
    const g1 = await worker.initGenesis(spec);
    const g2 = await inline.initGenesis(spec);
    assert.equal(bytesToHex(encodeHeader(g1)), bytesToHex(encodeHeader(g2)));
    const deployer = accounts[0]!;
    const tokenAddr = keccak256(new Uint8Array([0xd6, 0x94, ...deployer.address, 0x80])).slice(12);
    const txs = [
      signLegacyTx({ nonce: 0, gasPrice: 1n, gasLimit: 2_000_000n, data: hexToBytes(token.bytecode + iface.encodeDeploy([100n]).slice(2)) }, 1029, deployer.key),
      signLegacyTx({ nonce: 1, gasPrice: 1n, gasLimit: 100_000n, to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[1]!.address), 7n])) }, 1029, deployer.key),
      signLegacyTx({ nonce: 5, gasPrice: 1n, gasLimit: 21_000n, to: accounts[2]!.address, value: 1n }, 1029, accounts[1]!.key),
    ];
    const senders = [deployer.address, deployer.address, accounts[1]!.address];
    const req = { parent: parentOf(g1), header: { number: 1n, time: 12n, gasLimit: 20_000_000n, extra: new Uint8Array(32) }, author, txs, senders, budgetMs: 5000 };
    const w = await worker.buildBlock(req);
    const i = await inline.buildBlock(req);
    assert.equal(bytesToHex(encodeHeader(w.header)), bytesToHex(encodeHeader(i.header)));
    assert.deepEqual(w.included, [0, 1]);
    assert.equal(w.rejected[0]!.index, 2);
    assert.match(w.rejected[0]!.reason, /nonce/);
    assert.deepEqual(w.receipts, i.receipts);

    const ref = { stateRoot: w.header.stateRoot, number: 1n, time: 12n, gasLimit: 20_000_000n };
    const bal = await worker.call({ to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('balanceOf', [bytesToHex(accounts[1]!.address)])) }, ref);
    assert.equal(BigInt(bytesToHex(bal.returnValue)), 7n);
    await assert.rejects(
      worker.estimateGas({ from: accounts[1]!.address, to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[2]!.address), 8n])) }, ref),
      (e: unknown) => e instanceof CallRevertedError && iface.parseError(bytesToHex(e.data))!.args[0] === 'TestToken: insufficient balance',
    );
    assert.equal((await worker.getAccount(w.header.stateRoot, accounts[1]!.address))!.nonce, 0n);
    assert.equal(bytesToHex(await worker.getCode(w.header.stateRoot, tokenAddr)), token.deployedBytecode);
    assert.equal(BigInt(bytesToHex(await worker.getStorage(w.header.stateRoot, tokenAddr, new Uint8Array(32)))), 100n);
    assert.equal(await worker.hasState(w.header.stateRoot), true);

    const bad = { ...i.header, gasUsed: i.header.gasUsed + 1n };
    await assert.rejects(
      worker.executeBlock({ parent: parentOf(g1), header: bad, txs: txs.slice(0, 2), senders: senders.slice(0, 2), author }),
      (e: unknown) => e instanceof BlockValidationError && e.field === 'gasUsed',
    );
    // concurrent calls are served in order
    const many = await Promise.all([1, 2, 3].map(() => worker.getAccount(w.header.stateRoot, deployer.address)));
    assert.ok(many.every((a) => a!.nonce === 2n));
    // One round trip for many accounts, in input order, an unknown account as undefined; same answers inline.
    const unknown = new Uint8Array(20).fill(0xee);
    const addrs = [deployer.address, unknown, accounts[1]!.address];
    const batch = await worker.getAccounts(w.header.stateRoot, addrs);
    const single = await Promise.all(addrs.map((a) => inline.getAccount(w.header.stateRoot, a)));
    assert.deepEqual(batch, single);
    assert.equal(batch[0]!.nonce, 2n);
    assert.equal(batch[1], undefined);
    assert.deepEqual(await worker.getAccounts(w.header.stateRoot, []), []);
  } finally {
    await worker.close();
    await inline.close();
  }
});

test('codec round-trips a build request and result', () => {
  const req = {
    parent: { hash: new Uint8Array(32).fill(1), number: 41n, stateRoot: new Uint8Array(32).fill(2) },
    header: { number: 42n, time: 99n, gasLimit: 5n, difficulty: 3n, extra: Uint8Array.of(1, 2) },
    author: new Uint8Array(20).fill(3),
    ancestorHashes: [new Uint8Array(32).fill(4)],
    systemCalls: [{ from: new Uint8Array(20).fill(5), to: new Uint8Array(20).fill(6), data: Uint8Array.of(9), gasLimit: 7n }],
    txs: [Uint8Array.of(0xc0), Uint8Array.of(1, 2, 3)],
    senders: [new Uint8Array(20).fill(7), new Uint8Array(20).fill(8)],
    budgetMs: 1234.5,
  };
  const back = codec.decodeBuildRequest(codec.encodeBuildRequest(req));
  assert.deepEqual(back, req);
  assert.throws(() => codec.encodeBuildRequest({ ...req, senders: [new Uint8Array(19), new Uint8Array(20)] }), /sender 0 is 19 bytes/);
  // A top-up source stays on the caller's side: the worker only learns that it may ask.
  const withMore = codec.decodeBuildRequest(codec.encodeBuildRequest({ ...req, more: async () => null }));
  assert.equal(withMore.topUp, true);
  assert.deepEqual({ ...withMore, topUp: undefined }, { ...req, topUp: undefined });
  const batch = { txs: [Uint8Array.of(0xc1, 0x80)], senders: [new Uint8Array(20).fill(9)], budgetMs: 12.25 };
  assert.deepEqual(codec.decodeTopUp(codec.encodeTopUp(batch)), batch);
  assert.equal(codec.decodeTopUp(codec.encodeTopUp(null)), null);
});

test('top-up: transactions handed over while a block builds join it, across the worker boundary, and the block re-executes on another executor', async (t) => {
  const worker = await createExecutor({ mode: 'worker', chainId: 1029, dataDir: tempDir(t, 't1') });
  const inline = await createExecutor({ mode: 'inline', chainId: 1029, dataDir: tempDir(t, 't2') });
  const importer = await createExecutor({ mode: 'worker', chainId: 1029, dataDir: tempDir(t, 't3') });
  try {
    const g = await worker.initGenesis(spec);
    await inline.initGenesis(spec);
    await importer.initGenesis(spec);
    const [a, b, c] = accounts;
    const pay = (from: typeof a, nonce: number, value: bigint) => signLegacyTx({ nonce, gasPrice: 1n, gasLimit: 21_000n, to: c!.address, value }, 1029, from!.key);
    const first = [pay(a, 0, 1n)];
    // Batch 2 continues a's nonces and adds b; batch 3 has a gap (a nonce 5): refused with its index.
    const batches = [
      { txs: [pay(a, 1, 2n), pay(b, 0, 3n)], senders: [a!.address, b!.address], budgetMs: 5000 },
      { txs: [pay(a, 5, 4n)], senders: [a!.address], budgetMs: 5000 },
    ];
    const header = { number: 1n, time: 12n, gasLimit: 20_000_000n, extra: new Uint8Array(32) };
    const build = async (ex: typeof worker) => {
      let asked = 0;
      const r = await ex.buildBlock({
        parent: parentOf(g),
        header,
        author,
        txs: first,
        senders: [a!.address],
        budgetMs: 5000,
        more: async () => batches[asked++] ?? null,
      });
      return { r, asked };
    };
    const w = await build(worker);
    const i = await build(inline);
    assert.equal(w.asked, 3, 'asked until the source answered null');
    assert.deepEqual(w.r.included, [0, 1, 2], 'the first snapshot, then the top-up in order');
    assert.deepEqual(
      w.r.rejected.map((x) => x.index),
      [3],
    );
    assert.match(w.r.rejected[0]!.reason, /nonce/);
    assert.equal(w.r.header.gasUsed, 3n * 21_000n);
    assert.equal(w.r.timings.topUps, 2);
    assert.equal(bytesToHex(encodeHeader(w.r.header)), bytesToHex(encodeHeader(i.r.header)), 'worker and inline build the same block');
    const all = [...first, ...batches.flatMap((x) => x.txs)];
    const allSenders = [a!.address, ...batches.flatMap((x) => x.senders)];
    const txs = w.r.included.map((k) => all[k]!);
    const senders = w.r.included.map((k) => allSenders[k]!);
    const imported = await importer.executeBlock({ parent: parentOf(g), header: w.r.header, txs, senders, author });
    assert.deepEqual(imported.receipts, w.r.receipts, 'another validator importing the block gets the same receipts and roots');
    const cAcc = await importer.getAccount(w.r.header.stateRoot, c!.address);
    assert.equal(cAcc!.balance, 10n ** 20n + 6n);
    // A top-up whose budget is spent is not run (counted as not tried), and the block still finalises.
    const late = await inline.buildBlock({
      parent: parentOf(g),
      header,
      author,
      txs: [],
      senders: [],
      budgetMs: 5000,
      more: (() => {
        let n = 0;
        return async () => (n++ === 0 ? { txs: [pay(a, 0, 1n)], senders: [a!.address], budgetMs: 0 } : null);
      })(),
    });
    assert.deepEqual(late.included, []);
    assert.equal(late.notTried, 1);
    assert.deepEqual(late.header.stateRoot, g.stateRoot);
  } finally {
    await worker.close();
    await inline.close();
    await importer.close();
  }
});
