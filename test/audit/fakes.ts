/**
 * Stand-ins for the public endpoints an audit reads, on loopback over real HTTP: a Bttc JSON-RPC
 * serving synthetic blocks (counting requests and calls, with injectable failures, a batch cap and a
 * tampered block), a TRON wallet API answering the RootChain's view functions, a Delivery REST of
 * fixed answers, and the embedded root chain (the real RootChain contract) behind our JSON-RPC
 * server. They stand in for the networks, not for the code under test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Interface } from 'ethers';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { bytesToHex, uintToBytes } from '../../src/util/bytes.ts';
import type { HeaderBlock } from '../../src/audit/interface.ts';

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => void handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' }).end(text);
}

const hex = (n: number | bigint) => '0x' + n.toString(16);

/** Block n of the synthetic Bttc chain: roots derived from n, 2 s apart. */
export function syntheticBlock(n: number): Record<string, unknown> {
  return {
    number: hex(n),
    hash: bytesToHex(keccak256(uintToBytes(n))),
    timestamp: hex(1_700_000_000 + 2 * n),
    transactionsRoot: bytesToHex(keccak256(new TextEncoder().encode(`tx-${n}`))),
    receiptsRoot: bytesToHex(keccak256(new TextEncoder().encode(`receipts-${n}`))),
    miner: '0x' + '00'.repeat(20),
  };
}

export interface FakeBttcRpc {
  url: string;
  /** HTTP requests received, and the JSON-RPC calls in them (a batch of 10 is 1 request, 10 calls). */
  requests: number;
  calls: number;
  /** Batch sizes as received. */
  batches: number[];
  maxInFlight: number;
  /** Next N requests answer HTTP 503. */
  fail503: number;
  /** Next N eth_getBlockByNumber calls answer -32005 "rate limit exceeded". */
  rateLimit: number;
  /** A batch longer than this is refused whole with one error object (as capped servers do). */
  batchCap: number;
  /** Fields overriding a block's (a tampered node). */
  tamper: Map<number, Record<string, unknown>>;
  /** Highest block served; above it eth_getBlockByNumber answers null. */
  head: number;
  close(): Promise<void>;
}

export async function startFakeBttcRpc(opts: { chainId?: number; head?: number; delayMs?: number; block?: (n: number) => Record<string, unknown> } = {}): Promise<FakeBttcRpc> {
  let inFlight = 0;
  const answer = (c: { id: unknown; method: string; params: unknown[] }): unknown => {
    fake.calls++;
    if (c.method === 'eth_chainId') return { jsonrpc: '2.0', id: c.id, result: hex(opts.chainId ?? 199) };
    if (c.method === 'eth_getBlockByNumber') {
      if (fake.rateLimit > 0) {
        fake.rateLimit--;
        return { jsonrpc: '2.0', id: c.id, error: { code: -32005, message: 'rate limit exceeded' } };
      }
      const n = Number(BigInt(c.params[0] as string));
      const block = n <= fake.head ? { ...(opts.block ?? syntheticBlock)(n), ...fake.tamper.get(n) } : null;
      return { jsonrpc: '2.0', id: c.id, result: block };
    }
    return { jsonrpc: '2.0', id: c.id, error: { code: -32601, message: `the method ${c.method} does not exist/is not available` } };
  };
  const srv = await listen(async (_req, body, res) => {
    fake.requests++;
    inFlight++;
    fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
    try {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (fake.fail503 > 0) {
        fake.fail503--;
        return send(res, 503, '<html>503 Service Temporarily Unavailable</html>');
      }
      const parsed = JSON.parse(body) as { id: unknown; method: string; params: unknown[] } | { id: unknown; method: string; params: unknown[] }[];
      if (!Array.isArray(parsed)) return send(res, 200, answer(parsed));
      fake.batches.push(parsed.length);
      if (parsed.length > fake.batchCap) return send(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32600, message: `batch too large (max ${fake.batchCap})` } });
      send(res, 200, parsed.map(answer));
    } finally {
      inFlight--;
    }
  });
  const fake: FakeBttcRpc = {
    url: srv.url,
    requests: 0,
    calls: 0,
    batches: [],
    maxInFlight: 0,
    fail503: 0,
    rateLimit: 0,
    batchCap: Infinity,
    tamper: new Map(),
    head: opts.head ?? 100_000,
    close: srv.close,
  };
  return fake;
}

const ROOT_CHAIN = new Interface([
  'function headerBlocks(uint256) view returns (bytes32 root, uint256 start, uint256 end, uint256 createdAt, address proposer)',
  'function currentHeaderBlock() view returns (uint256)',
  'function CHAINID() view returns (uint256)',
]);

/** An EVM RootChain behind a JSON-RPC (eth_call only), holding `headers`. */
export async function startFakeEvmRootChain(opts: { headers: HeaderBlock[]; chainId?: number }): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = await listen((_req, body, res) => {
    const c = JSON.parse(body) as { id: unknown; method: string; params: [{ to: string; data: string }] };
    if (c.method !== 'eth_call') return send(res, 200, { jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'no such method' } });
    send(res, 200, { jsonrpc: '2.0', id: c.id, result: rootChainCall(c.params[0].data, opts.headers, opts.chainId ?? 199) });
  });
  return { url: srv.url, close: srv.close };
}

function rootChainCall(data: string, headers: HeaderBlock[], chainId: number): string {
  const tx = ROOT_CHAIN.parseTransaction({ data });
  if (!tx) throw new Error(`unknown call ${data}`);
  if (tx.name === 'CHAINID') return ROOT_CHAIN.encodeFunctionResult('CHAINID', [chainId]);
  if (tx.name === 'currentHeaderBlock') return ROOT_CHAIN.encodeFunctionResult('currentHeaderBlock', [headers.map((h) => h.id).sort((a, b) => (a < b ? 1 : -1))[0] ?? 0n]);
  const h = headers.find((x) => x.id === (tx.args[0] as bigint));
  return ROOT_CHAIN.encodeFunctionResult('headerBlocks', h ? [h.root, h.start, h.end, h.createdAt, h.proposer] : ['0x' + '00'.repeat(32), 0, 0, 0, '0x' + '00'.repeat(20)]);
}

export interface FakeTronApi {
  url: string;
  calls: { path: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/**
 * TRON's wallet/triggerconstantcontract for a RootChain at `address` (41-hex): function_selector +
 * parameter in, `constant_result` out; another contract answers TRON's "no contract" refusal.
 */
export async function startFakeTronApi(opts: { address: string; headers: HeaderBlock[]; chainId?: number }): Promise<FakeTronApi> {
  const calls: FakeTronApi['calls'] = [];
  const srv = await listen((req, body, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const b = JSON.parse(body || '{}') as Record<string, unknown>;
    calls.push({ path, body: b, headers: req.headers });
    if (path !== '/wallet/triggerconstantcontract') return send(res, 404, { Error: `no such path ${path}` });
    if (String(b.contract_address).toLowerCase() !== opts.address.toLowerCase()) {
      return send(res, 200, { result: { code: 'CONTRACT_VALIDATE_ERROR', message: Buffer.from('Smart contract is not exist.').toString('hex') } });
    }
    const fn = ROOT_CHAIN.getFunction(String(b.function_selector));
    if (!fn) return send(res, 200, { result: { result: false, message: 'REVERT opcode executed' } });
    const out = rootChainCall(fn.selector + String(b.parameter ?? ''), opts.headers, opts.chainId ?? 199);
    send(res, 200, { result: { result: true }, energy_used: 1234, constant_result: [out.slice(2)], transaction: { txID: '00'.repeat(32) } });
  });
  return { url: srv.url, calls, close: srv.close };
}

/** A Delivery REST of fixed answers: path → [status, body]; other paths 404 like BTTC's. */
export async function startFakeRest(routes: Map<string, [number, unknown]>): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const srv = await listen((req, _body, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    paths.push(path);
    const r = routes.get(path);
    if (!r) return send(res, 404, { error: `no such path: ${path}` });
    send(res, r[0], r[1]);
  });
  return { url: srv.url, paths, close: srv.close };
}

/** A loopback URL nothing listens on (a port just freed), for "unreachable". */
export async function deadUrl(): Promise<string> {
  const srv = await listen((_req, _body, res) => void res.end());
  await srv.close();
  return srv.url;
}
