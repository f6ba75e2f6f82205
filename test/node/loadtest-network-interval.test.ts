/**
 * The load generator's two block intervals: "seen" at the RPC node (its newHeads, which a node sends
 * only after importing a block) and "network" (a block's first newHeads at any watched node). A fake
 * chain seals a block every 400 ms; the RPC node announces every even block 300 ms late, as a node
 * does whose import of other producers' blocks is slow, while a second node announces each block at
 * once, as its producer does. The network interval must stay at the sealing cadence while the RPC
 * node's intervals alternate 0.7 s / 0.1 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeTx } from '../../src/bttc/txpool/tx.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { accountFromKey } from '../../src/loadtest/accounts.ts';
import { LoadTest } from '../../src/loadtest/runner.ts';

const BLOCK_MS = 400;

/** Blocks sealed every BLOCK_MS; each sent transaction goes into the next one. */
function fakeChain() {
  const blocks: { number: number; timestamp: number; txs: string[] }[] = [{ number: 0, timestamp: 1000, txs: [] }];
  let pending: string[] = [];
  const listeners: ((n: number) => void)[] = [];
  const timer = setInterval(() => {
    const last = blocks[blocks.length - 1]!;
    blocks.push({ number: last.number + 1, timestamp: last.timestamp + 2, txs: pending });
    pending = [];
    for (const l of listeners) l(last.number + 1);
  }, BLOCK_MS);
  return { blocks, send: (hash: string) => pending.push(hash), onBlock: (l: (n: number) => void) => listeners.push(l), stop: () => clearInterval(timer) };
}

/** A node over the chain that has a block (and announces it over ws newHeads) `delayMs(n)` after it is sealed. */
function fakeNode(chain: ReturnType<typeof fakeChain>, delayMs: (n: number) => number) {
  let head = 0;
  const subscribers = new Set<WebSocket>();
  const timers = new Set<NodeJS.Timeout>();
  chain.onBlock((n) => {
    const t = setTimeout(() => {
      timers.delete(t);
      head = Math.max(head, n);
      const note = JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0x1', result: { number: '0x' + n.toString(16) } } });
      for (const ws of subscribers) ws.send(note);
    }, delayMs(n));
    timers.add(t);
  });
  const answer = (method: string, params: unknown[]): unknown => {
    if (method === 'eth_chainId') return '0x7a69';
    if (method === 'eth_gasPrice') return '0x1';
    if (method === 'eth_getTransactionCount') return '0x0';
    if (method === 'eth_getBalance') return '0xde0b6b3a7640000';
    if (method === 'eth_blockNumber') return '0x' + head.toString(16);
    if (method === 'eth_getBlockByNumber') {
      const n = Number(BigInt(params[0] as string));
      const b = n <= head ? chain.blocks[n] : undefined;
      return b ? { number: '0x' + n.toString(16), timestamp: '0x' + b.timestamp.toString(16), gasUsed: '0x' + (b.txs.length * 21000).toString(16), transactions: b.txs } : null;
    }
    if (method === 'eth_sendRawTransaction') {
      const hash = bytesToHex(decodeTx(hexToBytes(params[0] as string)).hash);
      chain.send(hash);
      return hash;
    }
    throw new Error(`fake node: unexpected method ${method}`);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { id: number; method: string; params: unknown[] } | { id: number; method: string; params: unknown[] }[];
      const out = (Array.isArray(parsed) ? parsed : [parsed]).map((c) => ({ jsonrpc: '2.0', id: c.id, result: answer(c.method, c.params) }));
      res.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id: number; method: string };
      if (m.method !== 'eth_subscribe') return;
      subscribers.add(ws);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: '0x1' }));
    });
    ws.on('close', () => subscribers.delete(ws));
  });
  return {
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => {
      for (const t of timers) clearTimeout(t);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const accounts = Array.from({ length: 4 }, (_, i) => accountFromKey(Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? i + 1 : k === 0 ? 9 : 0))));

test('network interval follows the sealing cadence; the RPC node interval carries its import delay', { timeout: 60_000 }, async () => {
  const chain = fakeChain();
  const rpcNode = fakeNode(chain, (n) => (n % 2 === 0 ? 300 : 0));
  const producer = fakeNode(chain, () => 0);
  const [rpc, other] = await Promise.all([rpcNode.listen(), producer.listen()]);
  try {
    const r = await new LoadTest({ rpc, watch: [other], mode: 'transfer', rate: 10, durationSec: 4, accounts, drainSec: 3, pollMs: 50 }).run();
    assert.equal(r.included, r.sent);
    assert.equal(r.headTiming, 'newHeads');
    assert.deepEqual(r.watched, [rpc, other]);
    const net = r.blockIntervalNetwork;
    assert.ok(net && net.count >= 5, `network intervals measured: ${net?.count}`);
    // Sealing every 0.4 s: the first arrival anywhere keeps that cadence (timer jitter allowed).
    assert.ok(net.p50! > 0.3 && net.p50! < 0.5, `network p50 ${net.p50}`);
    assert.ok(net.max! < 0.6, `network max ${net.max}: the RPC node's late announcements leaked in`);
    // The RPC node alone: every other interval is 0.4 + 0.3 s.
    assert.ok(r.blockInterval.max! > 0.6, `seen max ${r.blockInterval.max}: the RPC node's own delay is missing`);
  } finally {
    chain.stop();
    await Promise.all([rpcNode.close(), producer.close()]);
  }
});

test('without watched nodes there is no network interval', { timeout: 60_000 }, async () => {
  const chain = fakeChain();
  const node = fakeNode(chain, () => 0);
  const rpc = await node.listen();
  try {
    const r = await new LoadTest({ rpc, mode: 'transfer', rate: 10, durationSec: 1, accounts, drainSec: 2, pollMs: 50 }).run();
    assert.equal(r.blockIntervalNetwork, null);
    assert.deepEqual(r.watched, []);
    assert.ok(r.blockInterval.count > 0);
  } finally {
    chain.stop();
    await node.close();
  }
});
