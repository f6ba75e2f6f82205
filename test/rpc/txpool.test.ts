/**
 * The pool as the RPC sees it, against a real pool behind a real server (poolchain.ts): the pending
 * nonce counts the sender's executable run, pool transactions are readable before inclusion, the
 * txpool_* shapes are geth's, and accepted transactions reach newPendingTransactions subscribers
 * (hashes, or whole transactions with geth's `true` flag) through the pool's onAdded hook.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { toChecksumAddress } from '../../src/crypto/address.ts';
import type { PoolTx } from '../../src/bttc/txpool/interface.ts';
import { inspectLine } from '../../src/rpc/txpool.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { signTx } from '../bttc/helpers.ts';
import { testAccounts } from '../evm/helpers.ts';
import { startPoolChain, type PoolChain } from './poolchain.ts';

const CHAIN_ID = 1029;
const accounts = testAccounts(4, 31);
const TO = new Uint8Array(20).fill(0x42);
let node: PoolChain;
let id = 0;

before(async () => {
  node = await startPoolChain({ chainId: CHAIN_ID, genesis: { gasLimit: 20_000_000n, time: 1_700_000_000n, alloc: accounts.map((a) => [a.address, { balance: 10n ** 22n }]) } });
});
after(() => node.close());

async function call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  const res = (await (await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) })).json()) as {
    result?: T;
    error?: { message: string };
  };
  if (res.error) throw new Error(res.error.message);
  return res.result as T;
}

const tx = (key: Uint8Array, nonce: bigint, extra: { to?: Uint8Array | null; value?: bigint; gasPrice?: bigint; gasLimit?: bigint } = {}) =>
  signTx(
    { nonce, gasPrice: extra.gasPrice ?? 1_000_000_000n, gasLimit: extra.gasLimit ?? 60_000n, to: extra.to === undefined ? TO : extra.to, value: extra.value ?? 1n, chainId: BigInt(CHAIN_ID) },
    key,
  );
const send = (raw: Uint8Array) => call<string>('eth_sendRawTransaction', [bytesToHex(raw)]);

test('the pool: onAdded once per intake with what it accepted; nextNonce is the account nonce plus the executable run', async () => {
  const [a, b] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
  const seen: PoolTx[][] = [];
  const off = node.pool.onAdded((txs) => seen.push([...txs]));
  const offBroken = node.pool.onAdded(() => {
    throw new Error('a broken listener');
  });
  assert.equal(node.pool.nextNonce(a.address), undefined, 'nothing of the sender in the pool');
  const res = await node.pool.addRaw([tx(a.key, 0n), tx(a.key, 1n), tx(a.key, 0n), tx(b.key, 2n)]);
  assert.deepEqual(
    res.map((r) => r.ok),
    [true, true, false, true],
  );
  assert.equal(seen.length, 1, 'one call for the intake batch');
  assert.deepEqual(
    seen[0]!.map((t) => [bytesToHex(t.sender), t.nonce]),
    [
      [bytesToHex(a.address), 0n],
      [bytesToHex(a.address), 1n],
      [bytesToHex(b.address), 2n],
    ],
  );
  assert.equal(node.pool.nextNonce(a.address), 2n);
  assert.equal(node.pool.nextNonce(b.address), 0n, 'a gap: the next nonce is still the account nonce');
  off();
  offBroken();
  await node.pool.addRaw([tx(a.key, 2n)]);
  assert.equal(seen.length, 1, 'unsubscribed');
  await node.mine();
  assert.equal(node.pool.nextNonce(a.address), undefined, 'included: the pool has nothing of a any more');
  await node.pool.remove([keccak256(tx(b.key, 2n))], 'test');
});

test('eth_getTransactionCount "pending" and eth_getTransactionByHash read the pool', async () => {
  const c = accounts[2]!;
  const addr = bytesToHex(c.address);
  const latest = BigInt(await call<string>('eth_getTransactionCount', [addr, 'latest']));
  const h1 = await send(tx(c.key, latest));
  await send(tx(c.key, latest + 1n));
  await send(tx(c.key, latest + 3n)); // gapped: does not count
  assert.equal(BigInt(await call<string>('eth_getTransactionCount', [addr, 'pending'])), latest + 2n);
  assert.equal(BigInt(await call<string>('eth_getTransactionCount', [addr, 'latest'])), latest);
  const pending = await call<{ hash: string; blockHash: null; blockNumber: null; transactionIndex: null; from: string; nonce: string }>('eth_getTransactionByHash', [h1]);
  assert.deepEqual([pending.hash, pending.blockHash, pending.blockNumber, pending.transactionIndex, pending.from, BigInt(pending.nonce)], [h1, null, null, null, addr, latest]);
  await node.mine();
  const mined = await call<{ blockHash: string | null }>('eth_getTransactionByHash', [h1]);
  assert.ok(mined.blockHash, 'from the chain once included');
  assert.equal(BigInt(await call<string>('eth_getTransactionCount', [addr, 'pending'])), latest + 2n, 'the state nonce once the pool has only the gapped one');
  await node.pool.remove([keccak256(tx(c.key, latest + 3n))], 'test');
});

test("txpool_status, txpool_content, txpool_contentFrom and txpool_inspect in geth's shapes", async () => {
  const d = accounts[3]!;
  const sender = toChecksumAddress(d.address);
  const base = BigInt(await call<string>('eth_getTransactionCount', [bytesToHex(d.address), 'latest']));
  const h0 = await send(tx(d.key, base, { value: 7n, gasLimit: 21_000n, gasPrice: 2_000_000_000n }));
  const h1 = await send(tx(d.key, base + 1n, { to: null, value: 0n, gasLimit: 100_000n }));
  const h3 = await send(tx(d.key, base + 3n));
  assert.deepEqual(await call('txpool_status'), { pending: '0x2', queued: '0x1' });

  type Content = { pending: Record<string, Record<string, { hash: string; blockHash: null; nonce: string }>>; queued: Record<string, Record<string, { hash: string }>> };
  const content = await call<Content>('txpool_content');
  assert.deepEqual(Object.keys(content.pending), [sender], 'keys are EIP-55 checksummed senders');
  assert.deepEqual(Object.keys(content.pending[sender]!), [String(base), String(base + 1n)], 'then decimal nonces');
  assert.equal(content.pending[sender]![String(base)]!.hash, h0);
  assert.equal(content.pending[sender]![String(base)]!.blockHash, null);
  assert.equal(content.pending[sender]![String(base + 1n)]!.hash, h1);
  assert.deepEqual(Object.keys(content.queued[sender]!), [String(base + 3n)]);
  assert.equal(content.queued[sender]![String(base + 3n)]!.hash, h3);
  const from = await call<{ pending: Record<string, unknown>; queued: Record<string, unknown> }>('txpool_contentFrom', [bytesToHex(d.address)]);
  assert.deepEqual([Object.keys(from.pending), Object.keys(from.queued)], [[String(base), String(base + 1n)], [String(base + 3n)]]);
  assert.deepEqual(await call('txpool_contentFrom', [bytesToHex(TO)]), { pending: {}, queued: {} });

  const inspect = await call<{ pending: Record<string, Record<string, string>>; queued: Record<string, Record<string, string>> }>('txpool_inspect');
  assert.equal(inspect.pending[sender]![String(base)], `${toChecksumAddress(TO)}: 7 wei + 21000 gas × 2000000000 wei`);
  assert.equal(inspect.pending[sender]![String(base + 1n)], 'contract creation: 0 wei + 100000 gas × 1000000000 wei');
  assert.equal(inspect.queued[sender]![String(base + 3n)], `${toChecksumAddress(TO)}: 1 wei + 60000 gas × 1000000000 wei`);
  assert.equal(inspectLine({ to: null, value: 1n, gasLimit: 2n, gasPrice: 3n }), 'contract creation: 1 wei + 2 gas × 3 wei');

  await node.mine();
  assert.deepEqual(await call('txpool_status'), { pending: '0x0', queued: '0x1' });
  await node.pool.remove([keccak256(tx(d.key, base + 3n))], 'test');
  assert.deepEqual(await call('txpool_content'), { pending: {}, queued: {} });
});

test('eth_subscribe newPendingTransactions: hashes, or whole transactions with true', async () => {
  const ws = new WebSocket(node.wsUrl);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const notes: { subscription: string; result: unknown }[] = [];
  const replies = new Map<number, unknown>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; method?: string; params?: { subscription: string; result: unknown } };
    if (m.method === 'eth_subscription') notes.push(m.params!);
    else replies.set(m.id!, m.result ?? m);
  });
  const wsCall = async (n: number, method: string, params: unknown[]) => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }));
    for (let i = 0; i < 200 && !replies.has(n); i++) await new Promise((r) => setTimeout(r, 10));
    return replies.get(n);
  };
  try {
    const hashes = (await wsCall(1, 'eth_subscribe', ['newPendingTransactions'])) as string;
    const full = (await wsCall(2, 'eth_subscribe', ['newPendingTransactions', true])) as string;
    assert.match(hashes, /^0x/);
    const a = accounts[0]!;
    const nonce = BigInt(await call<string>('eth_getTransactionCount', [bytesToHex(a.address), 'pending']));
    const h = await send(tx(a.key, nonce));
    for (let i = 0; i < 200 && notes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      notes.filter((n) => n.subscription === hashes).map((n) => n.result),
      [h],
    );
    const whole = notes.find((n) => n.subscription === full)!.result as { hash: string; from: string; blockHash: null };
    assert.deepEqual([whole.hash, whole.from, whole.blockHash], [h, bytesToHex(a.address), null]);
    assert.equal(await wsCall(3, 'eth_unsubscribe', [hashes]), true);
    await node.mine();
  } finally {
    ws.close();
  }
});
