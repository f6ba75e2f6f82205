import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ContractFactory, Contract, JsonRpcProvider, WebSocketProvider, Wallet, Interface, type Log } from 'ethers';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { compileFixture } from '../evm/fixtures/compile.ts';
import { testAccounts } from '../evm/helpers.ts';
import { startDevChain, type DevChain } from './devchain.ts';
import { sleep } from '../helpers/until.ts';

const CHAIN_ID = 1029;
const accounts = testAccounts(3, 42);
const token = compileFixture();
const metrics = createMetricsRegistry({ defaultMetrics: false });
let dev: DevChain;
let provider: JsonRpcProvider;

before(async () => {
  dev = await startDevChain(CHAIN_ID, { gasLimit: 20_000_000n, time: 1_700_000_000n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 22n }]) }, { metrics });
  // cacheTimeout -1: ethers caches identical calls for 250 ms, longer than an instamine block takes
  provider = new JsonRpcProvider(dev.url, undefined, { pollingInterval: 50, cacheTimeout: -1 });
});

after(async () => {
  provider.destroy();
  await dev.close();
});

async function rpc(body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test('a dapp with ethers: deploy an ERC-20, transfer, read balances and Transfer logs, wait for receipts, handle a revert', async () => {
  const net = await provider.getNetwork();
  assert.equal(net.chainId, BigInt(CHAIN_ID));
  const wallet = new Wallet(bytesToHex(accounts[0]!.key), provider);
  const to = Wallet.createRandom().address;

  const factory = new ContractFactory(token.abi as never, token.bytecode, wallet);
  const deployed = await factory.deploy(1_000_000n);
  await deployed.waitForDeployment();
  const addr = await deployed.getAddress();
  const erc20 = new Contract(addr, token.abi as never, wallet);
  assert.equal(await erc20.getFunction('totalSupply')(), 1_000_000n);
  assert.equal(await provider.getCode(addr), token.deployedBytecode);

  const tx = await erc20.getFunction('transfer')(to, 250n);
  const receipt = await tx.wait();
  assert.equal(receipt!.status, 1);
  assert.equal(receipt!.from, wallet.address);
  assert.equal(receipt!.to, addr);
  assert.equal(receipt!.logs.length, 1);
  const parsed = erc20.interface.parseLog(receipt!.logs[0] as Log)!;
  assert.equal(parsed.name, 'Transfer');
  assert.equal(parsed.args[0], wallet.address);
  assert.equal(parsed.args[1], to);
  assert.equal(parsed.args[2], 250n);
  assert.equal(await erc20.getFunction('balanceOf')(to), 250n);
  assert.equal(await erc20.getFunction('balanceOf')(wallet.address), 1_000_000n - 250n);

  const events = await erc20.queryFilter(erc20.filters.Transfer!(wallet.address), 0, 'latest');
  assert.equal(events.length, 1);
  assert.equal(events[0]!.transactionHash, tx.hash);
  const mint = await erc20.queryFilter(erc20.filters.Transfer!('0x0000000000000000000000000000000000000000'));
  assert.equal(mint.length, 1);

  const seen = await provider.getTransaction(tx.hash);
  assert.equal(seen!.from, wallet.address);
  assert.equal(seen!.blockNumber, receipt!.blockNumber);
  assert.equal(seen!.type, 0, 'no base fee on the chain: ethers sends legacy transactions');
  const block = await provider.getBlock(receipt!.blockNumber);
  assert.equal(block!.hash, receipt!.blockHash);
  assert.deepEqual(block!.transactions, [tx.hash]);
  assert.equal(block!.baseFeePerGas, null);
  assert.equal((await provider.getBlock('earliest'))!.number, 0);
  assert.ok((await provider.getBlock('finalized'))!.number <= block!.number - 2);
  const blockReceipts = (await provider.send('eth_getBlockReceipts', [receipt!.blockHash === block!.hash ? '0x' + receipt!.blockNumber.toString(16) : 'latest'])) as { transactionHash: string }[];
  assert.equal(blockReceipts[0]!.transactionHash, tx.hash);
  assert.ok((await provider.getBalance(wallet.address)) < 10n ** 22n);
  assert.equal(await provider.getTransactionCount(wallet.address), 2);

  // a transfer beyond the balance: ethers' estimate fails with the contract's reason
  const poor = new Contract(addr, token.abi as never, new Wallet(bytesToHex(accounts[1]!.key), provider));
  await assert.rejects(poor.getFunction('transfer')(to, 1n), (e: { code?: string; reason?: string }) => e.code === 'CALL_EXCEPTION' && e.reason === 'TestToken: insufficient balance');
  // a nonce reused is refused by the chain with a reason
  const stale = await wallet.signTransaction({ to, value: 1n, nonce: 0, gasLimit: 21000n, gasPrice: 1_000_000_000n, chainId: CHAIN_ID });
  await assert.rejects(provider.broadcastTransaction(stale), /nonce/);
});

test('websocket: newHeads and contract event subscriptions deliver as blocks are mined', async () => {
  const ws = new WebSocketProvider(dev.wsUrl);
  try {
    const wallet = new Wallet(bytesToHex(accounts[2]!.key), provider);
    const factory = new ContractFactory(token.abi as never, token.bytecode, wallet);
    const c = await factory.deploy(500n);
    await c.waitForDeployment();
    const wsToken = new Contract(await c.getAddress(), token.abi as never, ws);
    const heads: number[] = [];
    const gotHead = new Promise<void>((resolve) => {
      void ws.on('block', (n: number) => {
        heads.push(n);
        resolve();
      });
    });
    const gotTransfer = new Promise<bigint>((resolve) => {
      void wsToken.on('Transfer', (_from: string, _to: string, value: bigint) => resolve(value));
    });
    // let the subscriptions reach the server before mining
    await sleep(300);
    const erc20 = new Contract(await c.getAddress(), token.abi as never, wallet);
    const tx = await erc20.getFunction('transfer')(Wallet.createRandom().address, 7n);
    const r = await tx.wait();
    await gotHead;
    assert.ok(heads.includes(r!.blockNumber), `heads ${heads} include ${r!.blockNumber}`);
    assert.equal(await gotTransfer, 7n);
  } finally {
    await ws.destroy();
  }
});

test('malformed JSON-RPC gets the right error codes; batches and notifications behave', async () => {
  const parse = await rpc('{"jsonrpc":"2.0","method":');
  assert.equal((parse.json as { error: { code: number } }).error.code, -32700);
  assert.equal(((await rpc({})).json as { error: { code: number } }).error.code, -32600);
  assert.equal(((await rpc({ jsonrpc: '1.0', id: 1, method: 'eth_chainId' })).json as { error: { code: number } }).error.code, -32600);
  assert.equal(((await rpc([])).json as { error: { code: number } }).error.code, -32600);
  const nf = (await rpc({ jsonrpc: '2.0', id: 7, method: 'eth_nope' })).json as { id: number; error: { code: number } };
  assert.equal(nf.id, 7);
  assert.equal(nf.error.code, -32601);
  const bad = (await rpc({ jsonrpc: '2.0', id: 'x', method: 'eth_getBalance', params: ['0x1234', 'latest'] })).json as { error: { code: number; message: string } };
  assert.equal(bad.error.code, -32602);
  assert.match(bad.error.message, /argument 0 .*20 bytes/);
  assert.equal(((await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0xzz'] })).json as { error: { code: number } }).error.code, -32602);
  const unknownBlock = (await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: ['0x' + '11'.repeat(20), '0xffffff'] })).json as { error: { code: number; message: string } };
  assert.deepEqual([unknownBlock.error.code, unknownBlock.error.message], [-32000, 'header not found']);

  const batch = (await rpc([{ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }, { jsonrpc: '2.0', method: 'eth_chainId' }, { jsonrpc: '2.0', id: 2, method: 'nope' }, 5])).json as {
    id: number | null;
    result?: string;
    error?: { code: number };
  }[];
  assert.equal(batch.length, 3, 'the notification gets no response');
  assert.deepEqual(batch[0], { jsonrpc: '2.0', id: 1, result: '0x' + CHAIN_ID.toString(16) });
  assert.equal(batch[1]!.error!.code, -32601);
  assert.equal(batch[2]!.error!.code, -32600);
  const note = await rpc({ jsonrpc: '2.0', method: 'eth_chainId' });
  assert.equal(note.json, null);

  // eth_call revert: code 3, message with the reason, data = the revert bytes (geth's shape)
  const wallet = new Wallet(bytesToHex(accounts[0]!.key), provider);
  const c = await new ContractFactory(token.abi as never, token.bytecode, wallet).deploy(1n);
  await c.waitForDeployment();
  const iface = new Interface(token.abi as never);
  const revert = (
    await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ from: wallet.address, to: await c.getAddress(), data: iface.encodeFunctionData('transfer', [wallet.address, 2n]) }, 'latest'] })
  ).json as { error: { code: number; message: string; data: string } };
  assert.equal(revert.error.code, 3);
  assert.equal(revert.error.message, 'execution reverted: TestToken: insufficient balance');
  assert.equal(iface.parseError(revert.error.data)!.args[0], 'TestToken: insufficient balance');
  const sub = (await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })).json as { error: { code: number } };
  assert.equal(sub.error.code, -32601, 'subscriptions need a websocket');
  assert.equal((await rpc({ jsonrpc: '2.0', id: 1, method: 'web3_clientVersion' })).json && true, true);

  const text = await metrics.metrics();
  assert.match(text, /bttc_rpc_requests_total\{method="eth_chainId"\} \d+/);
  assert.match(text, /bttc_rpc_errors_total\{method="unknown",code="-32601"\} \d+/);
  assert.match(text, /bttc_rpc_request_seconds_count\{method="eth_call"\} \d+/);
});
