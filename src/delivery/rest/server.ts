/**
 * Delivery's REST API on node:http (loopback by default), answering as BTTC's Delivery (its Cosmos
 * SDK REST server and gorilla/mux router) answers, byte for byte:
 * - 200: `{"height":"<committed height>","result":<Go JSON>}` (the SDK's ResponseWithHeight through
 *   amino: the height is a string, the result the module's JSON as is), content-type
 *   application/json. A route Delivery answers without a query height says `"height":"0"`.
 * - an error its handler detects: the handler's status with `{"error":"<message>"}`.
 * - an unknown path: 404 `404 page not found` (text/plain, Go's http.NotFound); a known path with
 *   another method than GET: 405 with an empty body (mux's method mismatch).
 * - `?height=N` (the SDK's query height): a bad value is a 400 as the SDK words it; only the
 *   committed height is served (no historical state is kept), any other is a 400 naming it.
 * The paths are the modules' (each module's rest.ts), the chainmanager group (chainmanager.ts) and
 * any the node adds (`routes`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../../observability/metrics.ts';
import { goJson, goJsonString } from '../../protocol/delivery-rest/go-json.ts';
import { ROOT_CHAIN_TYPES } from '../../protocol/delivery-rest/format.ts';
import { chainManagerRoutes } from './chainmanager.ts';
import { HttpError } from './http-error.ts';
import type { RestRequest, RestRoute, RestServerOptions, RestSource } from './interface.ts';
import { RestRouter } from './router.ts';

const INT64_MAX = (1n << 63n) - 1n;

type Answer = { status: number; body: string; type: 'json' | 'text' | 'none' | string };

/** A fixed document at `path` (GET only), sent with its own content type. */
export interface RestPage {
  path: string;
  contentType: string;
  body: string;
}

export class DeliveryRestServer {
  private readonly app: RestSource;
  private readonly router: RestRouter;
  private readonly opts: Required<RestServerOptions>;
  private readonly logger: Logger | null;
  private readonly m: { requests: ReturnType<typeof counter>; seconds: ReturnType<typeof histogram> } | null;
  private server: Server | null = null;
  /** Fixed documents served as they are, outside the JSON envelope (the auditor's dashboard page). */
  private readonly pages: ReadonlyMap<string, { contentType: string; body: string }>;

  /** `routes`: routes served besides the modules' (ones that need the node's root-chain clients, such as the next span seed). */
  constructor(opts: RestServerOptions, deps: { app: RestSource; routes?: readonly RestRoute[]; pages?: readonly RestPage[]; metrics?: Registry | null; logger?: Logger | null }) {
    this.app = deps.app;
    this.pages = new Map((deps.pages ?? []).map((p) => [p.path, p]));
    this.router = new RestRouter([...deps.app.routes(), ...chainManagerRoutes(), ...(deps.routes ?? [])]);
    this.opts = { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, rootChainNames: opts.rootChainNames ?? {} };
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
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = this.router.match(url.pathname);
    const page = this.pages.get(url.pathname);
    const route = page ? url.pathname.slice(1) : (m?.label ?? 'unknown');
    let a: Answer;
    if (page && req.method === 'GET') a = { status: 200, body: page.body, type: page.contentType };
    else if (!m) a = { status: 404, body: '404 page not found\n', type: 'text' };
    else if (req.method !== 'GET' && !(req.method === 'POST' && m.route.post)) a = { status: 405, body: '', type: 'none' };
    else {
      try {
        const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
        a = { status: 200, body: await this.answer(url, m.route, m.params, body), type: 'json' };
      } catch (err) {
        if (err instanceof HttpError) a = { status: err.status, body: `{"error":${goJsonString(err.message)}}`, type: 'json' };
        else {
          this.logger?.error({ err: (err as Error).message, url: req.url }, 'delivery REST handler failed');
          a = { status: 500, body: `{"error":${goJsonString((err as Error).message)}}`, type: 'json' };
        }
      }
    }
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(a.body) };
    if (a.type === 'json') headers['content-type'] = 'application/json';
    if (a.type === 'text') {
      headers['content-type'] = 'text/plain; charset=utf-8';
      headers['x-content-type-options'] = 'nosniff';
    } else if (a.type !== 'json' && a.type !== 'none') headers['content-type'] = a.type;
    res.writeHead(a.status, headers);
    res.end(a.body);
    this.m?.requests.inc({ route, status: String(a.status) });
    this.m?.seconds.observe((performance.now() - t0) / 1000);
  }

  /** The SDK's ParseQueryHeightOrReturnBadRequest: null when the request names no height (or 0). */
  private queryHeight(url: URL): number | null {
    const raw = url.searchParams.get('height');
    if (raw === null || raw === '') return null;
    if (!/^[+-]?\d+$/.test(raw)) throw new HttpError(400, `strconv.ParseInt: parsing ${goJsonString(raw)}: invalid syntax`);
    const h = BigInt(raw);
    if (h > INT64_MAX || h < -INT64_MAX - 1n) throw new HttpError(400, `strconv.ParseInt: parsing ${goJsonString(raw)}: value out of range`);
    if (h < 0n) throw new HttpError(400, 'height must be equal or greater than zero');
    if (h === 0n) return null;
    if (h !== BigInt(this.app.height)) throw new HttpError(400, `height ${h}: this node serves the committed height ${this.app.height} only (no historical state is kept)`);
    return this.app.height;
  }

  private async answer(url: URL, route: RestRoute, params: Record<string, string>, body?: { json: unknown }): Promise<string> {
    const asked = this.queryHeight(url);
    const app = this.app;
    const req: RestRequest = {
      url,
      params,
      config: app.config,
      stakingChainId: app.stakingChainId,
      height: app.height,
      time: app.time,
      rootChain: () => {
        const raw = url.searchParams.get('root-chain');
        return raw === null || raw === '' ? app.stakingChainId : this.rootChainId(raw, 'root-chain');
      },
      rootChainParam: (raw) => this.rootChainId(raw, 'root chain'),
    };
    // Read the height before the handler awaits: the answer is of this height even if a block commits meanwhile.
    const height = route.heightZero ? (asked ?? 0) : app.height;
    const result = body && route.post ? await route.post(req, body.json) : await route.handle(req);
    return `{"height":"${height}","result":${goJson(result)}}`;
  }

  private rootChainId(raw: string, what: string): number {
    const lower = raw.toLowerCase();
    const own = (o: Readonly<Record<string, number>>) => (Object.hasOwn(o, lower) ? o[lower] : undefined);
    const id = own(ROOT_CHAIN_TYPES) ?? own(this.opts.rootChainNames) ?? (/^\d+$/.test(raw) ? Number(raw) : NaN);
    const ids = this.app.rootChainIds();
    if (!ids.includes(id)) {
      const names = [...Object.keys(ROOT_CHAIN_TYPES).filter((n) => ids.includes(ROOT_CHAIN_TYPES[n]!)), ...Object.keys(this.opts.rootChainNames)];
      throw new HttpError(400, `${what} ${JSON.stringify(raw)} is not a configured root chain (ids ${ids.join(', ')}; names ${names.join(', ')})`);
    }
    return id;
  }
}

/** Bytes a POST body may have (evidence with two Bttc headers is a few KiB). */
const MAX_POST_BYTES = 256 * 1024;

/** A POST body as JSON; 413 when too large, 400 when not JSON. */
async function readJsonBody(req: IncomingMessage): Promise<{ json: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_POST_BYTES) throw new HttpError(413, `request body larger than ${MAX_POST_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return { json: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch (err) {
    throw new HttpError(400, `request body is not JSON: ${(err as Error).message}`);
  }
}
