/**
 * Delivery's REST API on node:http (loopback by default), with Heimdall/Delivery's paths and its
 * `{"height": "...", "result": ...}` envelope. Bad paths answer 404 and bad parameters 400, both with
 * a JSON `{"error": "..."}` that names what is wrong; only GET (and HEAD) are served.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';
import type { DeliveryQuery, RestServerOptions } from './interface.ts';

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const DEFAULT_LIST_LIMIT = 50;

function uintParam(raw: string | null, name: string, opts: { required?: boolean; min?: number } = {}): number | null {
  if (raw === null || raw === '') {
    if (opts.required) throw new HttpError(400, `query parameter ${name} is required`);
    return null;
  }
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${name} is too large: ${raw}`);
  if (opts.min !== undefined && n < opts.min) throw new HttpError(400, `${name} must be at least ${opts.min}, got ${n}`);
  return n;
}

function pathId(raw: string, what: string): number {
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${what} must be a non-negative integer, got ${JSON.stringify(decodeURIComponent(raw))}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${what} is too large: ${raw}`);
  return n;
}

export class DeliveryRestServer {
  private readonly app: DeliveryQuery;
  private readonly opts: Required<RestServerOptions>;
  private readonly logger: Logger | null;
  private readonly m: { requests: ReturnType<typeof counter>; seconds: ReturnType<typeof histogram> } | null;
  private server: Server | null = null;

  constructor(opts: RestServerOptions, deps: { app: DeliveryQuery; metrics?: Registry | null; logger?: Logger | null }) {
    this.app = deps.app;
    this.opts = { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, rootChainNames: opts.rootChainNames ?? {}, maxListLimit: opts.maxListLimit ?? 1000 };
    this.logger = deps.logger ? deps.logger.child({ module: 'delivery-rest' }) : null;
    this.m = deps.metrics
      ? {
          requests: counter(deps.metrics, 'bttc_delivery_rest_requests_total', 'Delivery REST requests by route and status', ['route', 'status']),
          seconds: histogram(deps.metrics, 'bttc_delivery_rest_request_seconds', 'Delivery REST request handling time', SECONDS_BUCKETS),
        }
      : null;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    if (this.server) throw new Error('delivery REST server already listening');
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.logger?.info({ host: addr.address, port: addr.port }, 'delivery REST listening');
    return addr;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    let status = 200;
    let body: unknown;
    let route = 'unknown';
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        throw new HttpError(405, `method ${req.method} not allowed; use GET`);
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const r = await this.route(url);
      route = r.route;
      body = { height: String(this.app.height), result: r.result };
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        body = { error: err.message };
      } else {
        status = 500;
        body = { error: 'internal error' };
        this.logger?.error({ err: (err as Error).message, url: req.url }, 'delivery REST handler failed');
      }
    }
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(req.method === 'HEAD' ? undefined : json);
    this.m?.requests.inc({ route, status: String(status) });
    this.m?.seconds.observe((performance.now() - t0) / 1000);
  }

  private rootChain(url: URL): number {
    const raw = url.searchParams.get('root-chain');
    if (raw === null || raw === '') return this.app.stakingChainId;
    const byName = this.opts.rootChainNames[raw.toLowerCase()];
    const id = byName ?? (/^\d+$/.test(raw) ? Number(raw) : NaN);
    if (!this.app.rootChainIds().includes(id)) throw new HttpError(400, `root-chain ${JSON.stringify(raw)} is not a configured root chain (ids ${this.app.rootChainIds().join(', ')}${Object.keys(this.opts.rootChainNames).length ? '; names ' + Object.keys(this.opts.rootChainNames).join(', ') : ''})`);
    return id;
  }

  private async route(url: URL): Promise<{ route: string; result: unknown }> {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const [a, b, c] = parts;
    if (a === 'checkpoints' && parts.length === 2) {
      const chain = this.rootChain(url);
      if (b === 'latest') {
        const cp = await this.app.latestCheckpoint(chain);
        if (!cp) throw new HttpError(404, `no checkpoint acked yet on root chain ${chain}`);
        return { route: 'checkpoints/latest', result: cp };
      }
      if (b === 'count') return { route: 'checkpoints/count', result: { result: this.app.ackCount(chain) } };
      if (b === 'buffer') return { route: 'checkpoints/buffer', result: this.app.checkpointBuffer(chain) };
      const n = pathId(b!, 'checkpoint number');
      const cp = n === 0 ? null : await this.app.getCheckpoint(chain, n);
      if (!cp) throw new HttpError(404, `checkpoint ${n} not found on root chain ${chain} (${this.app.ackCount(chain)} acked)`);
      return { route: 'checkpoints/:number', result: cp };
    }
    if (a === 'bor' && b === 'span' && parts.length === 3) {
      const id = pathId(c!, 'span id');
      const span = await this.app.getSpanJson(id);
      if (!span) throw new HttpError(404, `span ${id} not found (latest is ${this.app.lastSpanId})`);
      return { route: 'bor/span/:id', result: span };
    }
    if (a === 'bor' && b === 'latest-span' && parts.length === 2) {
      const span = await this.app.latestSpanJson();
      if (!span) throw new HttpError(404, 'no span yet');
      return { route: 'bor/latest-span', result: span };
    }
    if (a === 'clerk' && b === 'event-record' && parts.length === 3) {
      if (c === 'list') {
        const fromId = uintParam(url.searchParams.get('from-id'), 'from-id', { required: true, min: 1 })!;
        const toTime = uintParam(url.searchParams.get('to-time'), 'to-time') ?? Number.MAX_SAFE_INTEGER;
        const limit = uintParam(url.searchParams.get('limit'), 'limit', { min: 1 }) ?? DEFAULT_LIST_LIMIT;
        if (limit > this.opts.maxListLimit) throw new HttpError(400, `limit must be at most ${this.opts.maxListLimit}, got ${limit}`);
        return { route: 'clerk/event-record/list', result: await this.app.eventRecords(fromId, toTime, limit) };
      }
      const id = pathId(c!, 'event record id');
      const rec = await this.app.getEventRecord(id);
      if (!rec) throw new HttpError(404, `event record ${id} not found`);
      return { route: 'clerk/event-record/:id', result: rec };
    }
    if (a === 'staking' && parts.length === 2 && b === 'validator-set') return { route: 'staking/validator-set', result: this.app.validatorSetJson() };
    if (a === 'staking' && parts.length === 2 && b === 'proposer') return { route: 'staking/proposer', result: { signer: this.app.checkpointProposer() } };
    if (a === 'staking' && b === 'validator' && parts.length === 3) {
      const id = pathId(c!, 'validator id');
      const v = this.app.validatorJson(id);
      if (!v) throw new HttpError(404, `validator ${id} not found`);
      return { route: 'staking/validator/:id', result: v };
    }
    throw new HttpError(404, `no such path: ${url.pathname}`);
  }
}
