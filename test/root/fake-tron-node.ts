/**
 * A TRON full node's HTTP wallet API on loopback, answering the few paths the node uses, so the TRON
 * client is exercised over real HTTP (tronweb → axios → socket) without a TRON node. Blocks are
 * synthetic: blockID = 8-byte number ‖ 24 bytes of sha256("block-<n>"), as TRON lays out its ids; no
 * block has transactions, and RootChain reads answer 0. A broadcast transaction is kept (`broadcast`)
 * and reported as executed in the head block by `gettransactioninfobyid`; the StakeManager's
 * `getCurrentSyncedCheckpoint(chainId)` answers from `synced`. It stands in for TRON, not for the
 * code under test, and says nothing about how a real TRON node formats an answer beyond what
 * test/root/tron.test.ts already pins.
 */
import { createHash } from 'node:crypto';
import { id as selectorOf } from 'ethers';
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
  /** Signed transactions handed to wallet/broadcasttransaction, as sent. */
  broadcast: FakeTronTx[];
  /** StakeManager state: root chain id → last synced checkpoint number. */
  synced: Map<number, bigint>;
  close(): Promise<void>;
}

/** A broadcast transaction's JSON, as tronweb sends it. */
export interface FakeTronTx {
  txID: string;
  raw_data: { contract: { parameter: { value: { data?: string; owner_address: string; contract_address: string } } }[]; fee_limit?: number };
  raw_data_hex: string;
  signature?: string[];
}

const SYNCED_SELECTOR = selectorOf('getCurrentSyncedCheckpoint(uint256)').slice(2, 10);
const word = (v: bigint) => v.toString(16).padStart(64, '0');

export async function startFakeTronNode(opts: { head?: number; advanceEveryMs?: number } = {}): Promise<FakeTronNode> {
  const calls: FakeTronNode['calls'] = [];
  let timer: NodeJS.Timeout | null = null;
  const block = (n: number) => ({ blockID: tronBlockId(n), block_header: { raw_data: { ...(n > 0 ? { number: n } : {}), timestamp: 1_700_000_000_000 + n * 3000 } } });
  const node: FakeTronNode = {
    url: '',
    head: opts.head ?? 1000,
    calls,
    broadcast: [],
    synced: new Map(),
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
      case '/wallet/getblock':
        return block(node.head);
      case '/wallet/getblockbynum': {
        const num = Number(body.num ?? 0);
        return num <= node.head ? block(num) : {};
      }
      case '/wallet/gettransactioninfobyblocknum':
        return [];
      case '/wallet/gettransactioninfobyid': {
        const tx = node.broadcast.find((t) => t.txID === body.value);
        return tx ? { id: tx.txID, blockNumber: node.head, receipt: { result: 'SUCCESS', energy_usage_total: 54321 } } : {};
      }
      case '/wallet/triggerconstantcontract': {
        const data = String(body.data ?? '');
        if (data.startsWith(SYNCED_SELECTOR)) return { result: { result: true }, constant_result: [word(node.synced.get(Number(BigInt('0x' + data.slice(8)))) ?? 0n)], energy_used: 900 };
        return { result: { result: true }, constant_result: ['00'.repeat(32)], energy_used: data.length > 8 ? 150_000 : 0 };
      }
      case '/wallet/broadcasttransaction': {
        const tx = body as unknown as FakeTronTx;
        node.broadcast.push(tx);
        return { result: true, txid: tx.txID };
      }
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
