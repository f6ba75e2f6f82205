/**
 * A fake node for test/devnet/call-isolation.test.ts, run as a worker thread: what a node would be
 * if eth_call ran on its block-import thread. One thread imports a block every `blockMs` (a timer
 * that bumps the head and sends newHeads to websocket subscribers) and serves JSON-RPC; eth_call
 * busy-runs on that same thread until its deadline (arrival + `evmTimeoutMs`), then answers geth's
 * -32000 "execution aborted (timeout = …)". Its identity-precompile call answers at once, and
 * eth_getBalance answers 0x0, but only when the thread is free. The isolation checks must fail here.
 *
 * workerData: { blockMs, evmTimeoutMs }; posts { port } once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocketServer, type WebSocket } from 'ws';

const { blockMs, evmTimeoutMs } = workerData as { blockMs: number; evmTimeoutMs: number };
let head = 1;
const subscribers = new Set<WebSocket>();

setInterval(() => {
  head++;
  const msg = JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0x1', result: { number: '0x' + head.toString(16) } } });
  for (const ws of subscribers) ws.send(msg);
}, blockMs);

interface Req {
  id: unknown;
  method: string;
  params?: unknown[];
}

function answer(req: Req, arrived: number, ws?: WebSocket): unknown {
  const ok = (result: unknown) => ({ jsonrpc: '2.0', id: req.id, result });
  switch (req.method) {
    case 'eth_subscribe':
      if (ws) subscribers.add(ws);
      return ok('0x1');
    case 'eth_getBalance':
      return ok('0x0');
    case 'eth_call': {
      const tx = (req.params?.[0] ?? {}) as { to?: string; data?: string };
      if (tx.to === '0x0000000000000000000000000000000000000004') return ok(tx.data ?? '0x');
      // The looping call, on the import thread: nothing else runs until its deadline.
      while (Date.now() < arrived + evmTimeoutMs);
      return { jsonrpc: '2.0', id: req.id, error: { code: -32000, message: `execution aborted (timeout = ${evmTimeoutMs / 1000}s)` } };
    }
    default:
      return { jsonrpc: '2.0', id: req.id, error: { code: -32601, message: `the method ${req.method} does not exist/is not available` } };
  }
}

function handle(body: string, ws?: WebSocket): string {
  const arrived = Date.now();
  const msg = JSON.parse(body) as Req | Req[];
  return JSON.stringify(Array.isArray(msg) ? msg.map((r) => answer(r, arrived, ws)) : answer(msg, arrived, ws));
}

const server = createServer((req, res) => {
  if (req.url === '/metrics') return void res.end('bttc_call_timeouts_total{kind="call"} 0\n');
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(handle(body));
  });
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('message', (d) => ws.send(handle(String(d), ws)));
  ws.on('close', () => subscribers.delete(ws));
});
server.listen(0, '127.0.0.1', () => parentPort!.postMessage({ port: (server.address() as AddressInfo).port }));
