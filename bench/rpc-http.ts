/**
 * What one JSON-RPC HTTP request costs the serving process: the node's RpcServer (MethodRegistry with
 * its prom-client metrics, a trivial eth_sendRawTransaction handler) against a bare node:http server
 * that parses the same JSON and answers the same bytes. Each server runs in its own child process
 * and reports its CPU (user + system, all threads) around N requests from the loadtest's own client
 * (JsonRpcClient: fetch/undici, keep-alive), each a batch of --calls (default 4, what `loadtest`
 * sends per 20 ms tick at 200 tx/s) 110-byte raw transactions, one request in flight, 2 ms apart.
 * The servers alternate (bare, ours, bare, ours) because the machine's load drifts. The child also
 * counts TCP connections, to show the client reuses one (keep-alive).
 * Options: --requests N (2000), --calls N (4), --rounds N (2).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { report, round } from './lib/harness.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const HASH = `0x${'ab'.repeat(32)}`;

async function serve(kind: string): Promise<void> {
  let conns = 0;
  let url: string;
  if (kind === 'bare') {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id: number }[];
        const out = JSON.stringify(msg.map((m) => ({ jsonrpc: '2.0', id: m.id, result: HASH })));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
      });
    });
    s.on('connection', () => conns++);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  } else {
    const { Registry } = await import('prom-client');
    const { RpcServer } = await import('../src/rpc/server.ts');
    const { MethodRegistry } = await import('../src/rpc/registry.ts');
    const metrics = new Registry();
    const registry = new MethodRegistry({ metrics });
    registry.register('eth_sendRawTransaction', async () => HASH);
    const srv = new RpcServer({ port: 0 }, { registry, metrics });
    url = (await srv.start()).url;
    // RpcServer keeps its http.Server private; the bench reads it to count connections.
    (srv as unknown as { server: Server }).server.on('connection', () => conns++);
  }
  process.on('message', () => {
    const u = process.cpuUsage();
    process.send!({ cpu: (u.user + u.system) / 1e6, conns });
  });
  process.send!({ url });
}

async function drive(kind: string, requests: number, calls: number): Promise<{ cpuUsPerRequest: number; connections: number }> {
  const { JsonRpcClient } = await import('../src/loadtest/rpc.ts');
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', kind]);
  const inbox: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m) => {
    inbox.push(m as Record<string, unknown>);
    wake?.();
  });
  const next = async () => {
    while (!inbox.length) await new Promise<void>((r) => (wake = r));
    return inbox.shift()!;
  };
  try {
    const { url } = (await next()) as { url: string };
    const rpc = new JsonRpcClient(url);
    const raw = `0x${'f86b'.padEnd(220, 'a')}`;
    const batch = Array.from({ length: calls }, () => ({ method: 'eth_sendRawTransaction', params: [raw] }));
    for (let i = 0; i < 200; i++) await rpc.batch(batch); // warm-up (JIT)
    child.send('cpu');
    const a = (await next()) as { cpu: number };
    for (let i = 0; i < requests; i++) {
      const res = await rpc.batch(batch);
      if (!res.every((r) => r.ok)) throw new Error(`${kind}: a call failed`);
      await new Promise((r) => setTimeout(r, 2));
    }
    child.send('cpu');
    const b = (await next()) as { cpu: number; conns: number };
    return { cpuUsPerRequest: round(((b.cpu - a.cpu) / requests) * 1e6), connections: b.conns };
  } finally {
    child.kill();
  }
}

const serveIdx = process.argv.indexOf('--serve');
if (serveIdx >= 0) await serve(process.argv[serveIdx + 1]!);
else {
  const requests = arg('--requests', 2000);
  const calls = arg('--calls', 4);
  const rounds = arg('--rounds', 2);
  const runs: { server: string; cpuUsPerRequest: number; connections: number }[] = [];
  for (let r = 0; r < rounds; r++)
    for (const kind of ['bare', 'ours']) {
      const res = await drive(kind, requests, calls);
      console.log(`${kind}: ${res.cpuUsPerRequest} µs of server CPU per request, ${res.connections} TCP connection(s)`);
      runs.push({ server: kind, ...res });
    }
  const mean = (k: string) => runs.filter((x) => x.server === k).reduce((s, x) => s + x.cpuUsPerRequest, 0) / rounds;
  report('rpc-http', {
    rows: runs.map((x) => ({ name: x.server, meanMs: x.cpuUsPerRequest / 1000, opsPerSec: 1e6 / x.cpuUsPerRequest, samples: requests })),
    ratios: { 'RpcServer CPU per request / bare node:http': mean('ours') / mean('bare') },
    load: { requests, callsPerRequest: calls, rounds },
    runs,
    loadAverage: loadavg(),
    notes: ['meanMs: server process CPU (user + system, all threads) per HTTP request, in ms', 'the loadtest client (fetch, keep-alive) in this process; each server in a child process'],
  });
}
