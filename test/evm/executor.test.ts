import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { Executor } from '../../src/evm/executor.ts';
import { jumpAnalysisStats } from '../../src/evm/jumpAnalysisCache.ts';
import { BlockValidationError, CallRevertedError, type GenesisSpec, type HeaderFields } from '../../src/evm/interface.ts';
import { hashHeader, EMPTY_TRIE_ROOT } from '../../src/evm/block.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';
import { compileFixture } from './fixtures/compile.ts';
import { stockBuild, stockGenesis } from './stock.ts';
import { testAccounts } from './helpers.ts';
import { makeTempDir, tempDir } from '../helpers/tmp.ts';

const CHAIN_ID = 199;
const GWEI = 1_000_000_000n;
const accounts = testAccounts(8);
const author = testAccounts(1, 99)[0]!.address;
const token = compileFixture();
const iface = new Interface(token.abi as never);
const mainDir = makeTempDir('exec');

function genesis(): GenesisSpec {
  const slot = new Uint8Array(32);
  slot[31] = 7;
  return {
    gasLimit: 20_000_000n,
    time: 1_000n,
    alloc: [
      ...accounts.map((a) => [a.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]),
      // a contract with code and storage, to check genesis roots beyond plain balances
      [hexToBytes('0x000000000000000000000000000000000000c0de'), { balance: 1n, code: hexToBytes(token.deployedBytecode), storage: [[slot, Uint8Array.of(42)]] }],
    ],
  };
}

function openExecutor(dataDir: string): Promise<Executor> {
  return Executor.open({ chainId: CHAIN_ID, dataDir });
}

function parentOf(h: HeaderFields) {
  return { hash: hashHeader(h), number: h.number, stateRoot: h.stateRoot };
}

const nonces = new Map<number, number>();
function tx(from: number, fields: { to?: Uint8Array; value?: bigint; data?: Uint8Array; gasLimit?: bigint; nonce?: number }): Uint8Array {
  const nonce = fields.nonce ?? nonces.get(from) ?? 0;
  if (fields.nonce === undefined) nonces.set(from, nonce + 1);
  return signLegacyTx({ nonce, gasPrice: GWEI, gasLimit: fields.gasLimit ?? 21000n, to: fields.to, value: fields.value ?? 0n, data: fields.data }, CHAIN_ID, accounts[from]!.key);
}

function createAddress(sender: Uint8Array, nonce: number): Uint8Array {
  // rlp([sender, nonce]) for nonce < 128
  const n = nonce === 0 ? Uint8Array.of(0x80) : Uint8Array.of(nonce);
  const body = new Uint8Array([0x94, ...sender, ...n]);
  return keccak256(new Uint8Array([0xc0 + body.length, ...body])).slice(12);
}

let ex: Executor;
let gen: HeaderFields;

before(async () => {
  ex = await openExecutor(mainDir.path);
  gen = await ex.initGenesis(genesis());
});

after(async () => {
  await ex.close();
  mainDir.remove();
});

test('genesis state root equals the stock EthereumJS state manager on the same alloc; empty alloc gives the empty trie root', async (t) => {
  const stock = await stockGenesis(CHAIN_ID, genesis());
  assert.equal(bytesToHex(gen.stateRoot), bytesToHex(stock.stateRoot));
  const e2 = await openExecutor(tempDir(t, 'exec'));
  const empty = await e2.initGenesis({ alloc: [], gasLimit: 1n });
  assert.equal(bytesToHex(empty.stateRoot), vectors.emptyTrieRoot);
  assert.equal(bytesToHex(EMPTY_TRIE_ROOT), vectors.emptyTrieRoot);
  await e2.close();
});

test('a built block matches stock buildBlock (state, tx and receipt roots, bloom, gas) and re-executes on a fresh executor', async (t) => {
  nonces.clear();
  const deployer = accounts[0]!.address;
  const tokenAddr = createAddress(deployer, 0);
  const txs = [
    tx(0, { data: hexToBytes(token.bytecode + iface.encodeDeploy([1_000_000n]).slice(2)), gasLimit: 2_000_000n }),
    tx(0, { to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[1]!.address), 500n])), gasLimit: 100_000n }),
    tx(1, { to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[2]!.address), 200n])), gasLimit: 100_000n }),
    // a failing transfer: included with status 0 (it pays gas)
    tx(2, { to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[3]!.address), 10_000n])), gasLimit: 100_000n }),
    ...[3, 4, 5, 6, 7].map((i) => tx(i, { to: accounts[(i + 1) % 8]!.address, value: 12345n })),
  ];
  const senders = [0, 0, 1, 2, 3, 4, 5, 6, 7].map((i) => accounts[i]!.address);
  const res = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs, senders, budgetMs: 10_000 });
  assert.deepEqual(res.rejected, []);
  assert.deepEqual(res.included, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    res.receipts.map((r) => r.status),
    [1, 1, 1, 0, 1, 1, 1, 1, 1],
  );
  assert.equal(bytesToHex(res.receipts[0]!.contractAddress!), bytesToHex(tokenAddr));
  assert.equal(res.receipts[1]!.logs.length, 1);
  assert.equal(res.receipts[1]!.logs[0]!.topics[0] && bytesToHex(res.receipts[1]!.logs[0]!.topics[0]), iface.getEvent('Transfer')!.topicHash);

  const { vm } = await stockGenesis(CHAIN_ID, genesis());
  const stock = await stockBuild(vm, { number: 0n, gasLimit: 20_000_000n, stateRoot: gen.stateRoot, time: 1000n }, txs, author, 1002n);
  assert.equal(bytesToHex(res.header.stateRoot), bytesToHex(stock.stateRoot), 'stateRoot');
  assert.equal(bytesToHex(res.header.txRoot), bytesToHex(stock.txRoot), 'txRoot');
  assert.equal(bytesToHex(res.header.receiptRoot), bytesToHex(stock.receiptRoot), 'receiptRoot');
  assert.equal(bytesToHex(res.header.bloom), bytesToHex(stock.bloom), 'bloom');
  assert.equal(res.header.gasUsed, stock.gasUsed);

  const other = await openExecutor(tempDir(t, 'exec'));
  const gen2 = await other.initGenesis(genesis());
  const ok = await other.executeBlock({ parent: parentOf(gen2), header: res.header, txs, senders, author });
  assert.equal(ok.receipts.length, 9);
  // the fee recipient is the author (Bor pays the signer), the header coinbase stays zero
  const acc = await other.getAccount(res.header.stateRoot, author);
  assert.equal(acc!.balance, res.header.gasUsed * GWEI);
  await other.close();
});

test('token calls after the first reuse its jump analysis (src/evm/jumpAnalysisCache.ts)', async () => {
  // the first test ran a deployment and three transfers of one token: one analysis, two reuses at least
  assert.ok(jumpAnalysisStats.misses >= 1, JSON.stringify(jumpAnalysisStats));
  assert.ok(jumpAnalysisStats.hits >= 2, JSON.stringify(jumpAnalysisStats));
});

test('a received block with a wrong root is rejected and leaves the state at its parent', async (t) => {
  nonces.clear();
  const txs = [tx(3, { to: accounts[4]!.address, value: 1n })];
  const senders = [accounts[3]!.address];
  const built = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs, senders, budgetMs: 10_000 });
  const other = await openExecutor(tempDir(t, 'exec'));
  const g2 = await other.initGenesis(genesis());
  const bad = { ...built.header, stateRoot: new Uint8Array(32).fill(1) };
  await assert.rejects(other.executeBlock({ parent: parentOf(g2), header: bad, txs, senders, author }), (e: unknown) => e instanceof BlockValidationError && e.field === 'stateRoot');
  const badGas = { ...built.header, gasUsed: 1n };
  await assert.rejects(other.executeBlock({ parent: parentOf(g2), header: badGas, txs, senders, author }), (e: unknown) => e instanceof BlockValidationError && e.field === 'gasUsed');
  // a sender that is not the signer makes a different state: caught by the roots
  await assert.rejects(other.executeBlock({ parent: parentOf(g2), header: built.header, txs, senders: [accounts[5]!.address], author }), BlockValidationError);
  // the honest block still executes: the failed attempts left nothing behind
  await other.executeBlock({ parent: parentOf(g2), header: built.header, txs, senders, author });
  assert.equal((await other.getAccount(built.header.stateRoot, accounts[4]!.address))!.balance, 10n ** 21n + 1n);
  await other.close();
});

test('building skips invalid transactions with a reason and respects the gas limit and the time budget', async () => {
  nonces.clear();
  const txs = [
    tx(0, { to: accounts[1]!.address, value: 1n }),
    tx(0, { to: accounts[1]!.address, value: 1n, nonce: 0 }), // nonce too low now
    tx(1, { to: accounts[2]!.address, value: 10n ** 30n }), // more than the balance
    tx(2, { to: accounts[2]!.address, value: 1n, gasLimit: 30_000_000n }), // above the block gas limit
    new Uint8Array([0xf8, 0x01, 0x02]), // garbage
  ];
  const senders = [0, 0, 1, 2, 2].map((i) => accounts[i]!.address);
  const res = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs, senders, budgetMs: 10_000 });
  assert.deepEqual(res.included, [0]);
  assert.equal(res.notTried, 1);
  const reasons = new Map(res.rejected.map((r) => [r.index, r.reason]));
  assert.match(reasons.get(1)!, /nonce/);
  assert.match(reasons.get(2)!, /enough funds|balance/i);
  assert.match(reasons.get(4)!, /malformed/);

  const none = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs: txs.slice(0, 1), senders: senders.slice(0, 1), budgetMs: 0 });
  assert.deepEqual(none.included, []);
  assert.equal(none.notTried, 1);
  assert.equal(bytesToHex(none.header.stateRoot), bytesToHex(gen.stateRoot));
});

test('call, estimateGas, revert data, state reads and two forks of one parent', async () => {
  nonces.clear();
  const tokenAddr = createAddress(accounts[0]!.address, 0);
  const deploy = tx(0, { data: hexToBytes(token.bytecode + iface.encodeDeploy([1000n]).slice(2)), gasLimit: 2_000_000n });
  const b1 = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs: [deploy], senders: [accounts[0]!.address], budgetMs: 10_000 });
  const ref = { stateRoot: b1.header.stateRoot, number: 1n, time: 1002n, gasLimit: 20_000_000n };
  const bal = await ex.call({ to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('balanceOf', [bytesToHex(accounts[0]!.address)])) }, ref);
  assert.equal(bal.success, true);
  assert.equal(BigInt(bytesToHex(bal.returnValue)), 1000n);

  const tooMuch = hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[1]!.address), 5000n]));
  const rv = await ex.call({ from: accounts[0]!.address, to: tokenAddr, data: tooMuch }, ref);
  assert.equal(rv.success, false);
  assert.equal(rv.error, 'revert');
  assert.equal(iface.parseError(bytesToHex(rv.returnValue))!.args[0], 'TestToken: insufficient balance');
  await assert.rejects(ex.estimateGas({ from: accounts[0]!.address, to: tokenAddr, data: tooMuch }, ref), (e: unknown) => e instanceof CallRevertedError && e.data.length > 4);

  const okData = hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[1]!.address), 5n]));
  const est = await ex.estimateGas({ from: accounts[0]!.address, to: tokenAddr, data: okData }, ref);
  // the estimate is enough for the real transaction, and not wildly more than it uses
  const real = tx(0, { to: tokenAddr, data: okData, gasLimit: est });
  const b2 = await ex.buildBlock({ parent: parentOf(b1.header), header: { number: 2n, time: 1004n, gasLimit: 20_000_000n }, author, txs: [real], senders: [accounts[0]!.address], budgetMs: 10_000 });
  assert.equal(b2.receipts[0]!.status, 1);
  assert.ok(est >= b2.receipts[0]!.gasUsed && est < b2.receipts[0]!.gasUsed + 5000n, `estimate ${est} vs used ${b2.receipts[0]!.gasUsed}`);

  // a sibling of b2 on the same parent: the executor moves back to b1's state
  const sib = await ex.buildBlock({
    parent: parentOf(b1.header),
    header: { number: 2n, time: 1004n, gasLimit: 20_000_000n },
    author,
    txs: [tx(5, { to: accounts[6]!.address, value: 9n })],
    senders: [accounts[5]!.address],
    budgetMs: 10_000,
  });
  assert.notEqual(bytesToHex(sib.header.stateRoot), bytesToHex(b2.header.stateRoot));
  const slot = keccak256(new Uint8Array([...new Uint8Array(12), ...accounts[1]!.address, ...new Uint8Array(31), 1]));
  assert.equal(BigInt(bytesToHex(await ex.getStorage(b2.header.stateRoot, tokenAddr, slot))), 5n);
  assert.equal(BigInt(bytesToHex(await ex.getStorage(sib.header.stateRoot, tokenAddr, slot))), 0n);
  assert.equal((await ex.getAccount(sib.header.stateRoot, accounts[6]!.address))!.balance, 10n ** 21n + 9n);
  assert.equal((await ex.getAccount(b2.header.stateRoot, accounts[6]!.address))!.balance, 10n ** 21n);
  assert.equal(bytesToHex(await ex.getCode(b2.header.stateRoot, tokenAddr)), token.deployedBytecode);
  assert.equal(await ex.hasState(b2.header.stateRoot), true);
  assert.equal(await ex.hasState(new Uint8Array(32).fill(9)), false);

  // BLOCKHASH comes from the ancestor hashes the caller passes
  const info = await ex.call({ to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('blockInfo', [])) }, { ...ref, number: 2n });
  const decoded = iface.decodeFunctionResult('blockInfo', bytesToHex(info.returnValue));
  assert.equal(decoded[0], 2n);
});

test('system calls run after the transactions from the system address without touching its nonce', async () => {
  nonces.clear();
  const tokenAddr = createAddress(accounts[0]!.address, 0);
  const deploy = tx(0, { data: hexToBytes(token.bytecode + iface.encodeDeploy([1000n]).slice(2)), gasLimit: 2_000_000n });
  const b1 = await ex.buildBlock({ parent: parentOf(gen), header: { number: 1n, time: 1002n, gasLimit: 20_000_000n }, author, txs: [deploy], senders: [accounts[0]!.address], budgetMs: 10_000 });
  const system = hexToBytes('0xfffffffffffffffffffffffffffffffffffffffe');
  const approve = hexToBytes(iface.encodeFunctionData('approve', [bytesToHex(accounts[1]!.address), 77n]));
  const b2 = await ex.buildBlock({
    parent: parentOf(b1.header),
    header: { number: 2n, time: 1004n, gasLimit: 20_000_000n },
    author,
    txs: [],
    senders: [],
    budgetMs: 10_000,
    systemCalls: [
      { from: system, to: tokenAddr, data: approve },
      { from: system, to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('transfer', [bytesToHex(accounts[1]!.address), 1n])) },
    ],
  });
  assert.equal(b2.systemResults[0]!.success, true);
  assert.equal(b2.systemResults[0]!.logs.length, 1);
  assert.equal(b2.systemResults[1]!.success, false, 'the system address holds no tokens: that call reverts and the block goes on');
  assert.equal(b2.header.gasUsed, 0n);
  const ref = { stateRoot: b2.header.stateRoot, number: 2n, time: 1004n, gasLimit: 20_000_000n };
  const allowance = await ex.call({ to: tokenAddr, data: hexToBytes(iface.encodeFunctionData('allowance', [bytesToHex(system), bytesToHex(accounts[1]!.address)])) }, ref);
  assert.equal(BigInt(bytesToHex(allowance.returnValue)), 77n);
  assert.equal(await ex.getAccount(b2.header.stateRoot, system), undefined, 'the empty system account is not left in the state');
});

test('state survives a restart of the executor', async (t) => {
  const dir = tempDir(t, 'exec-restart');
  const e1 = await openExecutor(dir);
  const g = await e1.initGenesis(genesis());
  nonces.clear();
  const b1 = await e1.buildBlock({
    parent: parentOf(g),
    header: { number: 1n, time: 1002n, gasLimit: 20_000_000n },
    author,
    txs: [tx(1, { to: accounts[2]!.address, value: 5n })],
    senders: [accounts[1]!.address],
    budgetMs: 10_000,
  });
  await e1.close();
  const e2 = await openExecutor(dir);
  assert.equal((await e2.getAccount(b1.header.stateRoot, accounts[2]!.address))!.balance, 10n ** 21n + 5n);
  const b2 = await e2.buildBlock({
    parent: parentOf(b1.header),
    header: { number: 2n, time: 1004n, gasLimit: 20_000_000n },
    author,
    txs: [tx(1, { to: accounts[2]!.address, value: 5n })],
    senders: [accounts[1]!.address],
    budgetMs: 10_000,
  });
  assert.deepEqual(b2.included, [0]);
  assert.equal((await e2.getAccount(b2.header.stateRoot, accounts[2]!.address))!.balance, 10n ** 21n + 10n);
  await e2.close();
});
