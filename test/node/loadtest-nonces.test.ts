/**
 * The load generator against a node that answers sends slowly (as a devnet node under ≥ 400 tx/s
 * does, with 500-transaction batches taking seconds): every transaction it counts as sent must reach
 * the node, so each account's nonces arrive without gaps. A picked-but-unsent transaction is a nonce
 * gap that no node can fill: its account's later transactions wait in every pool as future nonces
 * and the chain seals empty blocks (the devnet "stall" at high rates).
 *
 * The node here is a small fake JSON-RPC server (the thing under test is the load generator): it
 * includes, every 200 ms, each account's transactions that continue its nonce sequence, as a txpool
 * and producer would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeTx } from '../../src/bttc/txpool/tx.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { recover } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { accountFromKey } from '../../src/loadtest/accounts.ts';
import { LoadTest } from '../../src/loadtest/runner.ts';

interface Call {
  id: number;
  method: string;
  params: unknown[];
}

/** Returns a refusal message for a send the node should refuse this time, or null to accept it. */
type Refuse = (from: string, nonce: bigint, attempt: number) => string | null;

class Refusal extends Error {}

function fakeNode(sendDelayMs: number, refuse: Refuse = () => null) {
  const attempts = new Map<string, number>();
  const received = new Map<string, bigint[]>();
  // Which request (numbered in arrival order) carried each send, and for each request how many had
  // arrived when its answer was written: what the client could have known when it sent the next.
  const arrivals: { from: string; nonce: bigint; request: number; refused: boolean }[] = [];
  const arrivedBeforeAnswer = new Map<number, number>();
  let requests = 0;
  const waiting = new Map<string, Map<bigint, string>>();
  const next = new Map<string, bigint>();
  const blocks: { number: number; timestamp: number; txs: string[] }[] = [{ number: 0, timestamp: 1000, txs: [] }];
  const seal = setInterval(() => {
    const txs: string[] = [];
    for (const [from, byNonce] of waiting) {
      let n = next.get(from) ?? 0n;
      for (let h = byNonce.get(n); h; h = byNonce.get(n)) {
        byNonce.delete(n);
        txs.push(h);
        n++;
      }
      next.set(from, n);
    }
    const last = blocks[blocks.length - 1]!;
    blocks.push({ number: last.number + 1, timestamp: last.timestamp + 2, txs });
  }, 200);
  const answer = (c: Call, request: number): unknown => {
    switch (c.method) {
      case 'eth_chainId':
        return '0x7a69';
      case 'eth_gasPrice':
        return '0x1';
      case 'eth_getTransactionCount':
        return '0x0';
      case 'eth_getBalance':
        return '0xde0b6b3a7640000';
      case 'eth_blockNumber':
        return '0x' + (blocks.length - 1).toString(16);
      case 'eth_getBlockByNumber': {
        const b = blocks[Number(BigInt(c.params[0] as string))];
        return b ? { number: '0x' + b.number.toString(16), timestamp: '0x' + b.timestamp.toString(16), gasUsed: '0x' + (b.txs.length * 21000).toString(16), transactions: b.txs } : null;
      }
      case 'eth_sendRawTransaction': {
        // Native recovery: the server shares the test's event loop, which must keep ticking.
        const tx = decodeTx(hexToBytes(c.params[0] as string));
        const from = bytesToHex(addressFromPublicKey(recover(tx.signature.subarray(0, 64), tx.signature[64]!, tx.sigHash)));
        const hash = bytesToHex(tx.hash);
        const attempt = (attempts.get(hash) ?? 0) + 1;
        attempts.set(hash, attempt);
        const refusal = refuse(from, tx.nonce, attempt);
        arrivals.push({ from, nonce: tx.nonce, request, refused: refusal !== null });
        if (refusal) throw new Refusal(refusal);
        const list = received.get(from) ?? [];
        list.push(tx.nonce);
        received.set(from, list);
        if (!waiting.has(from)) waiting.set(from, new Map());
        waiting.get(from)!.set(tx.nonce, hash);
        return hash;
      }
      default:
        throw new Error(`fake node: unexpected method ${c.method}`);
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // An HTTP-only endpoint: the load generator's ws newHeads attempt gets a refusal and it polls.
    if (req.method !== 'POST') {
      res.statusCode = 405;
      res.end();
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as Call | Call[];
      const calls = Array.isArray(parsed) ? parsed : [parsed];
      const request = ++requests;
      const out = calls.map((c) => {
        try {
          return { jsonrpc: '2.0', id: c.id, result: answer(c, request) };
        } catch (err) {
          if (err instanceof Refusal) return { jsonrpc: '2.0', id: c.id, error: { code: -32000, message: err.message } };
          throw err;
        }
      });
      const slow = calls.some((c) => c.method === 'eth_sendRawTransaction');
      setTimeout(
        () => {
          arrivedBeforeAnswer.set(request, requests);
          res.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
        },
        slow ? sendDelayMs : 0,
      );
    });
  });
  return {
    received,
    arrivals,
    arrivedBeforeAnswer,
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => {
      clearInterval(seal);
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('a slow node: every send reaches it, each account nonce-contiguous, all included', { timeout: 60_000 }, async () => {
  // 600 ms per send batch and one batch per 20 ms tick: more than 16 batches would be in flight.
  const node = fakeNode(600);
  const url = await node.listen();
  try {
    const accounts = Array.from({ length: 40 }, (_, i) => accountFromKey(Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? i + 1 : k === 0 ? 7 : 0))));
    const lt = new LoadTest({ rpc: url, mode: 'transfer', rate: 3000, durationSec: 2, accounts, drainSec: 5, pollMs: 50, maxPendingPerAccount: 400 });
    const r = await lt.run();
    let arrived = 0;
    for (const a of accounts) {
      const nonces = (node.received.get(a.address.toLowerCase()) ?? []).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      arrived += nonces.length;
      nonces.forEach((n, i) => assert.equal(n, BigInt(i), `account ${a.address}: nonce ${n} arrived where ${i} was expected (a gap the node can never fill)`));
    }
    assert.equal(arrived, r.sent, 'every transaction counted as sent reached the node');
    // The node includes every 200 ms, so the per-account cap never binds: everything signed is sent.
    assert.equal(r.notSent, 0, `${r.notSent} pre-signed transactions never sent`);
    assert.equal(r.accepted, r.sent);
    assert.equal(r.included, r.sent, `${r.sent - r.included} sent transactions never included`);
    assert.deepEqual(r.errors, {});
  } finally {
    await node.close();
  }
});

test('a refusal for a full list is resent (no nonce gap); any other refusal stops only that account', { timeout: 60_000 }, async () => {
  const accounts = Array.from({ length: 8 }, (_, i) => accountFromKey(Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? i + 1 : k === 0 ? 9 : 0))));
  const stopped = accounts[7]!.address.toLowerCase();
  // Every account's nonce 2 is refused twice as a node with a full list words it (after a reorg moved
  // its account nonce back); the last account's nonce 4 is refused for good.
  const node = fakeNode(0, (from, nonce, attempt) => {
    if (nonce === 2n && attempt <= 2) return `nonce 2 is 64 ahead of the account nonce 0; at most 64 may wait per sender`;
    if (from === stopped && nonce === 4n) return 'insufficient funds for gas * price + value';
    return null;
  });
  const url = await node.listen();
  try {
    // 20 transactions per account; the two 500 ms pauses before nonce 2 goes in leave time to send the rest.
    const lt = new LoadTest({ rpc: url, mode: 'transfer', rate: 80, durationSec: 2, accounts, drainSec: 5, pollMs: 50 });
    const r = await lt.run();
    let stoppedReceived = 0;
    for (const a of accounts) {
      const nonces = [...(node.received.get(a.address.toLowerCase()) ?? [])].sort((x, y) => (x < y ? -1 : 1));
      if (a.address.toLowerCase() === stopped) {
        // 0–3 whole (its refused nonce 2 was still resent); 4 never got in.
        assert.deepEqual(nonces.slice(0, 4), [0n, 1n, 2n, 3n], `stopped account: ${nonces.join(',')}`);
        assert.ok(!nonces.includes(4n), `stopped account: ${nonces.join(',')}`);
        // Newer nonces already on their way when the refusal came back may arrive (how many depends
        // on how far behind the schedule the client ran); nothing newer is sent once the client has
        // the refusal. Its answer is written in a timer that may run just after one more send tick,
        // so a request sent then still counts as sent before the refusal was seen.
        const refusedIn = node.arrivals.find((x) => x.from === stopped && x.nonce === 4n && x.refused)!.request;
        const lastUnaware = node.arrivedBeforeAnswer.get(refusedIn)! + 1;
        const late = node.arrivals.filter((x) => x.from === stopped && x.nonce > 4n && x.request > lastUnaware);
        assert.deepEqual(late, [], `sent after the refusal of nonce 4 was answered (in request ${refusedIn}, answered after ${lastUnaware - 1})`);
        assert.ok(nonces.length < 20, `the stopped account stopped: ${nonces.join(',')}`);
        stoppedReceived = nonces.length;
      } else
        assert.deepEqual(
          nonces,
          Array.from({ length: 20 }, (_, i) => BigInt(i)),
          `account ${a.address}`,
        );
    }
    assert.equal(r.resent, 16, 'each of 8 refused nonce-2 transactions resent twice');
    assert.equal(r.included, 7 * 20 + 4);
    // Everything of the stopped account that neither arrived nor was refused was never sent.
    assert.equal(r.notSent, 20 - stoppedReceived - 1, `the stopped account sends nothing after its refused nonce 4 (not sent: ${r.notSent})`);
    assert.deepEqual(
      Object.values(r.errors).reduce((x, y) => x + y, 0),
      17,
    );
  } finally {
    await node.close();
  }
});
