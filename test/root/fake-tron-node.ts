/**
 * A TRON full node's HTTP wallet API on loopback, answering the few paths the node uses, so the TRON
 * client is exercised over real HTTP (tronweb → axios → socket) without a TRON node. Blocks are
 * synthetic: blockID = 8-byte number ‖ 24 bytes of sha256("block-<n>"), as TRON lays out its ids; no
 * block has transactions, and RootChain reads answer 0. It stands in for TRON, not for the code
 * under test, and says nothing about how a real TRON node formats an answer beyond what
 * test/root/tron.test.ts already pins.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function tronBlockId(n: number): string {
  return n.toString(16).padStart(16, '0') + createHash('sha256').update(`block-${n}`).digest('hex').slice(0, 48);
}

export interface FakeTronNode {
  url: string;
  /** Head block number; tests move it (or `advanceEveryMs` does). */
  head: number;
  /** Every request: path and parsed body. */
  calls: { path: string; body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }[];
  close(): Promise<void>;
}

export async function startFakeTronNode(opts: { head?: number; advanceEveryMs?: number } = {}): Promise<FakeTronNode> {
  const calls: FakeTronNode['calls'] = [];
  let timer: NodeJS.Timeout | null = null;
  const block = (n: number) => ({ blockID: tronBlockId(n), block_header: { raw_data: { ...(n > 0 ? { number: n } : {}), timestamp: 1_700_000_000_000 + n * 3000 } } });
  const node: FakeTronNode = {
    url: '',
    head: opts.head ?? 1000,
    calls,
    close: () =>
      new Promise((res) => {
        if (timer) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
  const answer = (path: string, body: Record<string, unknown>): unknown => {
    switch (path) {
      case '/wallet/getnowblock':
        return block(node.head);
      case '/wallet/getblockbynum': {
        const num = Number(body.num ?? 0);
        return num <= node.head ? block(num) : {};
      }
      case '/wallet/gettransactioninfobyblocknum':
        return [];
      case '/wallet/gettransactioninfobyid':
        return {};
      case '/wallet/triggerconstantcontract':
        return { result: { result: true }, constant_result: ['00'.repeat(32)], energy_used: 0 };
      case '/wallet/getchainparameters':
        return { chainParameter: [{ key: 'getEnergyFee', value: 420 }] };
      default:
        return null;
    }
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        /* TRON answers garbage with an error too; the client never sends it */
      }
      calls.push({ path, body, headers: req.headers });
      const out = answer(path, body);
      if (out === null) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ Error: `no such path ${path}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (opts.advanceEveryMs) {
    timer = setInterval(() => node.head++, opts.advanceEveryMs);
    timer.unref();
  }
  return node;
}
