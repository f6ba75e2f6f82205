/**
 * Client compatibility: one script of calls a wallet or tool makes, run through ethers v6 against a
 * real node backend (executor, chain store, the real txpool; test/rpc/poolchain.ts). Blocks are
 * mined by the script (`env.mine`), so transactions wait in the pool exactly as long as a step needs.
 *
 * Each step is a named function of (env, client). `CompatClient` is the little a step needs of a
 * client: send a transaction letting the client choose nonce, gas and price, and make a raw call.
 * A second client (Foundry's `cast send --async` / `cast rpc`) implements it and runs the same
 * `GENERIC_STEPS`; `ETHERS_STEPS` exercise ethers' own machinery (its filter-based listeners and
 * websocket subscriptions) and have no generic form.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, Interface, JsonRpcProvider, WebSocketProvider, Wallet, id as topicId } from 'ethers';
import { bytesToHex } from '../../src/util/bytes.ts';
import { compileFixture } from '../evm/fixtures/compile.ts';
import { testAccounts } from '../evm/helpers.ts';
import { startPoolChain, type PoolChain } from './poolchain.ts';

export interface CompatEnv {
  url: string;
  wsUrl: string;
  chainId: number;
  /** Funded private keys; each step uses its own so steps do not share nonces. */
  keys: Uint8Array[];
  /** Builds one block from the pool's executable transactions. */
  mine(): Promise<{ number: bigint; txs: number }>;
  token: { abi: unknown[]; bytecode: string };
}

export interface CompatClient {
  readonly name: string;
  /** Signs and sends with the client's own nonce ("pending"), gas and price; resolves with the hash once the node accepted it. */
  sendTx(key: Uint8Array, tx: { to?: string; value?: bigint; data?: string }): Promise<string>;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

interface RpcTx {
  hash: string;
  nonce: string;
  from: string;
  blockHash: string | null;
}
interface RpcReceipt {
  status: string;
  contractAddress: string | null;
  blockNumber: string;
}
interface RpcLog {
  address: string;
  topics: string[];
  transactionHash: string;
}

const TRANSFER = topicId('Transfer(address,address,uint256)');
const hexQ = (n: bigint | number) => '0x' + BigInt(n).toString(16);
const addressOf = (key: Uint8Array) => new Wallet(bytesToHex(key)).address;
const sink = Wallet.createRandom().address;

async function receipt(client: CompatClient, hash: string): Promise<RpcReceipt> {
  const r = await client.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
  assert.ok(r, `receipt of ${hash}`);
  return r;
}

async function deployToken(env: CompatEnv, client: CompatClient, key: Uint8Array, supply: bigint): Promise<string> {
  const iface = new Interface(env.token.abi as never);
  const hash = await client.sendTx(key, { data: env.token.bytecode + iface.encodeDeploy([supply]).slice(2) });
  await env.mine();
  const r = await receipt(client, hash);
  assert.equal(r.status, '0x1');
  return r.contractAddress!;
}

/** Two transactions in a row, neither mined: the second must get the next nonce, not the same one. */
export async function pendingNonceTwoInFlight(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[0]!;
  const from = addressOf(key);
  const latest = BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'latest']));
  const h1 = await client.sendTx(key, { to: sink, value: 1n });
  const h2 = await client.sendTx(key, { to: sink, value: 2n });
  assert.notEqual(h1, h2);
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'pending'])), latest + 2n, 'pending counts both in-flight transactions');
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'latest'])), latest, 'latest is the head state');
  // Before inclusion the node answers them from its pool, with no block (geth's shape).
  const t1 = await client.rpc<RpcTx>('eth_getTransactionByHash', [h1]);
  const t2 = await client.rpc<RpcTx>('eth_getTransactionByHash', [h2]);
  assert.deepEqual([BigInt(t1.nonce), BigInt(t2.nonce)], [latest, latest + 1n]);
  assert.equal(t1.blockHash, null);
  const mined = await env.mine();
  assert.equal(mined.txs, 2);
  for (const h of [h1, h2]) assert.equal((await receipt(client, h)).status, '0x1');
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'pending'])), latest + 2n);
}

/** txpool_status/content/inspect while one sender has two executable transactions and another a gapped one. */
export async function txpoolShapes(env: CompatEnv, client: CompatClient, rawGapped: (key: Uint8Array) => Promise<string>): Promise<void> {
  const key = env.keys[1]!;
  const from = addressOf(key);
  const h1 = await client.sendTx(key, { to: sink, value: 5n });
  const h2 = await client.sendTx(key, { to: sink, value: 6n });
  const gapKey = env.keys[2]!;
  await rawGapped(gapKey);
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x2', queued: '0x1' });
  const content = await client.rpc<{ pending: Record<string, Record<string, RpcTx>>; queued: Record<string, Record<string, RpcTx>> }>('txpool_content');
  const mine = content.pending[from]!;
  assert.ok(mine, `pending keyed by the checksummed sender ${from}: ${Object.keys(content.pending)}`);
  const nonces = Object.keys(mine);
  assert.deepEqual(
    nonces.map((n) => mine[n]!.hash),
    [h1, h2],
  );
  assert.ok(nonces.every((n) => /^[0-9]+$/.test(n)), 'nonce keys are decimal');
  assert.ok(content.queued[addressOf(gapKey)], 'the gapped transaction is queued');
  const inspect = await client.rpc<{ pending: Record<string, Record<string, string>> }>('txpool_inspect');
  const line = inspect.pending[from]![nonces[0]!]!;
  assert.match(line, new RegExp(`^${sink}: 5 wei \\+ \\d+ gas × \\d+ wei$`));
  await env.mine();
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x0', queued: '0x1' });
}

/** eth_newBlockFilter: each poll returns the hashes of blocks since the last; uninstall ends it. */
export async function blockFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const id = await client.rpc<string>('eth_newBlockFilter');
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  const a = await env.mine();
  const b = await env.mine();
  const hashes = await client.rpc<string[]>('eth_getFilterChanges', [id]);
  const want = await Promise.all([a.number, b.number].map(async (n) => (await client.rpc<{ hash: string }>('eth_getBlockByNumber', [hexQ(n), false])).hash));
  assert.deepEqual(hashes, want);
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), [], 'a second poll has nothing new');
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), false);
  await assert.rejects(client.rpc('eth_getFilterChanges', [id]), /filter not found/);
}

/** eth_newFilter on a contract's Transfer logs: changes since the last poll, and the whole range with eth_getFilterLogs. */
export async function logFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[3]!;
  const token = await deployToken(env, client, key, 1000n);
  const id = await client.rpc<string>('eth_newFilter', [{ fromBlock: '0x0', address: token, topics: [TRANSFER] }]);
  const iface = new Interface(env.token.abi as never);
  const h = await client.sendTx(key, { to: token, data: iface.encodeFunctionData('transfer', [sink, 9n]) });
  await env.mine();
  const changes = await client.rpc<RpcLog[]>('eth_getFilterChanges', [id]);
  assert.deepEqual(
    changes.map((l) => l.transactionHash),
    [h],
  );
  assert.equal(changes[0]!.address.toLowerCase(), token.toLowerCase());
  const all = await client.rpc<RpcLog[]>('eth_getFilterLogs', [id]);
  assert.equal(all.length, 2, 'the mint at deployment and the transfer');
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
}

/** eth_newPendingTransactionFilter: hashes of transactions the pool accepted since the last poll. */
export async function pendingFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const id = await client.rpc<string>('eth_newPendingTransactionFilter');
  const h = await client.sendTx(env.keys[4]!, { to: sink, value: 3n });
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), [h]);
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  await env.mine();
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
}

export const GENERIC_STEPS = { pendingNonceTwoInFlight, blockFilter, logFilter, pendingFilter } as const;

/** ethers' JsonRpcProvider listeners run on filters: contract.on(event) on eth_newFilter, on('pending') on the pending filter. */
export async function ethersFilterListeners(env: CompatEnv): Promise<void> {
  const provider = new JsonRpcProvider(env.url, env.chainId, { pollingInterval: 50, cacheTimeout: -1, staticNetwork: true });
  try {
    const key = env.keys[5]!;
    const wallet = new Wallet(bytesToHex(key), provider);
    const client = ethersClient(provider);
    const tokenAddr = await deployToken(env, client, key, 77n);
    const token = new Contract(tokenAddr, env.token.abi as never, provider);
    const gotTransfer = new Promise<bigint>((resolve) => void token.on('Transfer', (_f: string, _t: string, v: bigint) => resolve(v)));
    const pending: string[] = [];
    const gotPending = new Promise<void>((resolve) =>
      void provider.on('pending', (hash: string) => {
        pending.push(hash);
        resolve();
      }),
    );
    // ethers installs its filters on its first poll and polls again on each new block
    await waitFor(async () => (await provider.listenerCount()) >= 2);
    await sleep(300);
    const tx = await new Contract(tokenAddr, env.token.abi as never, wallet).getFunction('transfer')(sink, 4n);
    await env.mine();
    await env.mine();
    assert.equal(await withTimeout(gotTransfer, 10_000, 'Transfer via eth_newFilter'), 4n);
    await withTimeout(gotPending, 10_000, 'pending via eth_newPendingTransactionFilter');
    assert.ok(pending.includes(tx.hash), `pending ${pending} include ${tx.hash}`);
  } finally {
    provider.destroy();
  }
}

/** ethers' WebSocketProvider: newHeads, contract logs and newPendingTransactions subscriptions. */
export async function ethersSubscriptions(env: CompatEnv): Promise<void> {
  const ws = new WebSocketProvider(env.wsUrl, env.chainId);
  const provider = new JsonRpcProvider(env.url, env.chainId, { cacheTimeout: -1, staticNetwork: true });
  try {
    const key = env.keys[6]!;
    const client = ethersClient(provider);
    const tokenAddr = await deployToken(env, client, key, 50n);
    const blocks: number[] = [];
    const pending: string[] = [];
    const gotBlock = new Promise<void>((resolve) =>
      void ws.on('block', (n: number) => {
        blocks.push(n);
        resolve();
      }),
    );
    const gotPending = new Promise<void>((resolve) =>
      void ws.on('pending', (h: string) => {
        pending.push(h);
        resolve();
      }),
    );
    const gotTransfer = new Promise<bigint>((resolve) => void new Contract(tokenAddr, env.token.abi as never, ws).on('Transfer', (_f: string, _t: string, v: bigint) => resolve(v)));
    await sleep(300);
    const iface = new Interface(env.token.abi as never);
    const h = await client.sendTx(key, { to: tokenAddr, data: iface.encodeFunctionData('transfer', [sink, 8n]) });
    await withTimeout(gotPending, 10_000, 'newPendingTransactions');
    assert.ok(pending.includes(h));
    const m = await env.mine();
    await withTimeout(gotBlock, 10_000, 'newHeads');
    assert.equal(await withTimeout(gotTransfer, 10_000, 'logs'), 8n);
    await waitFor(async () => blocks.includes(Number(m.number)));
  } finally {
    await ws.destroy();
    provider.destroy();
  }
}

export const ETHERS_STEPS = { ethersFilterListeners, ethersSubscriptions } as const;

export function ethersClient(provider: JsonRpcProvider): CompatClient {
  return {
    name: 'ethers',
    async sendTx(key, tx) {
      const wallet = new Wallet(bytesToHex(key), provider);
      const sent = await wallet.sendTransaction({ to: tx.to ?? null, value: tx.value ?? 0n, data: tx.data ?? '0x' });
      return sent.hash;
    },
    rpc: (method, params = []) => provider.send(method, params),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

// ---- the run against ethers ----

const CHAIN_ID = 1029;
const accounts = testAccounts(8, 77);
let node: PoolChain;
let env: CompatEnv;
let provider: JsonRpcProvider;
let client: CompatClient;

before(async () => {
  node = await startPoolChain({ chainId: CHAIN_ID, genesis: { gasLimit: 20_000_000n, time: 1_700_000_000n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 22n }]) } });
  env = { url: node.url, wsUrl: node.wsUrl, chainId: CHAIN_ID, keys: accounts.map((a) => a.key), mine: () => node.mine(), token: compileFixture() };
  // cacheTimeout -1: ethers caches identical calls for 250 ms, and these steps read right after writing
  provider = new JsonRpcProvider(node.url, CHAIN_ID, { cacheTimeout: -1, staticNetwork: true });
  client = ethersClient(provider);
});

after(async () => {
  provider.destroy();
  await node.close();
});

for (const [name, step] of Object.entries(GENERIC_STEPS)) test(`ethers: ${name}`, () => step(env, client));

test('ethers: txpoolShapes', () =>
  txpoolShapes(env, client, async (key) => {
    // A nonce two ahead of the account: ethers would fill the gap, so this one is signed by hand.
    const w = new Wallet(bytesToHex(key));
    const nonce = await provider.getTransactionCount(w.address, 'pending');
    const raw = await w.signTransaction({ to: sink, value: 1n, nonce: nonce + 2, gasLimit: 21000n, gasPrice: 1_000_000_000n, chainId: CHAIN_ID });
    return provider.send('eth_sendRawTransaction', [raw]);
  }));

for (const [name, step] of Object.entries(ETHERS_STEPS)) test(`ethers: ${name}`, () => step(env));
