/**
 * Delivery's REST API on node:http (loopback by default), with Heimdall/Delivery's paths and its
 * `{"height": "...", "result": ...}` envelope. The paths are the modules' (each module's rest.ts);
 * the server mounts them, parses `?root-chain=` for them and answers errors. Bad paths answer 404 and
 * bad parameters 400, both with a JSON `{"error": "..."}` that names what is wrong; only GET (and
 * HEAD) are served.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';
import { HttpError } from './http-error.ts';
import type { RestRequest, RestServerOptions, RestSource } from './interface.ts';
import { RestRouter } from './router.ts';

export class DeliveryRestServer {
  private readonly app: RestSource;
  private readonly router: RestRouter;
  private readonly opts: Required<RestServerOptions>;
  private readonly logger: Logger | null;
  private readonly m: { requests: ReturnType<typeof counter>; seconds: ReturnType<typeof histogram> } | null;
  private server: Server | null = null;

  constructor(opts: RestServerOptions, deps: { app: RestSource; metrics?: Registry | null; logger?: Logger | null }) {
    this.app = deps.app;
    this.router = new RestRouter(deps.app.routes());
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
    const m = this.router.match(url.pathname);
    if (!m) throw new HttpError(404, `no such path: ${url.pathname}`);
    const req: RestRequest = { url, params: m.params, rootChain: () => this.rootChain(url), maxListLimit: this.opts.maxListLimit };
    return { route: m.label, result: await m.route.handle(req) };
  }
}
