/**
 * JSON-RPC 2.0 over http (POST) and websocket (same port, upgrade), loopback by default, with
 * batches, notifications, size limits and plain HTTP routes others can mount (REST, /metrics).
 *
 * Limits that keep one client from taking the node down:
 * - params nested deeper than `maxParamDepth` are -32602 before any handler sees them, and every
 *   echo of an input in an error is cut short (params.ts `show`), so a 100,000-deep array or a 4 MB
 *   string costs a walk, never a stack overflow or a multi-MB error.
 * - a batch runs at most `batchConcurrency` calls at a time and stops collecting results once they
 *   pass `batchResponseMaxSize` bytes: the calls left answer geth's -32003 "response too large"
 *   (geth's BatchResponseMaxSize), so a batch of 1,000 full blocks costs about the bound, not 1,000
 *   blocks' JSON at once.
 *
 * CORS (geth's --http.corsdomain): without `cors` no CORS header is sent. With a list, a request
 * whose Origin is listed gets it echoed (`*` in the list allows any origin and answers `*`), with
 * `Vary: Origin`; preflight OPTIONS answers the same way. Websocket upgrades carrying an Origin
 * header (browsers always send one) must match the list, or be a localhost origin when there is no
 * list, as geth's --ws.origins does; tools that send no Origin are not checked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, gauge } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import { INVALID_PARAMS, INVALID_REQUEST, LIMIT_EXCEEDED, PARSE_ERROR, RESPONSE_TOO_LARGE, RpcError } from './errors.ts';
import type { HttpRoute, RpcConnection, RpcContext } from './interface.ts';
import { nestingDepth, show } from './params.ts';
import type { MethodRegistry } from './registry.ts';

export interface RpcServerOptions {
  /** Default 127.0.0.1: the RPC is for the local machine unless an operator says otherwise. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  maxBodyBytes?: number;
  maxBatch?: number;
  /**
   * Origins browser dapps may call from ("https://app.example"; "*" for any). A single string is one
   * origin (the old form). Absent or empty: no CORS headers.
   */
  cors?: string | readonly string[];
  /** Bytes of results a batch response may collect before the rest answer -32003 (default 25 MB, as geth). 0 = no bound. */
  batchResponseMaxSize?: number;
  /** Calls of one batch running at once (default 64). */
  batchConcurrency?: number;
  /** Deepest nesting of params accepted (default 64). */
  maxParamDepth?: number;
}

export const DEFAULT_BATCH_RESPONSE_MAX_SIZE = 25_000_000;
/** Longest error message sent: messages built from input are cut well before this, this is the net. */
const MAX_ERROR_MESSAGE = 1024;
/** A string id longer than this is refused instead of echoed (an id is echoed whole in the response). */
const MAX_ID_LENGTH = 1024;

type Id = string | number | null;
interface Response {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function errorResponse(id: Id, e: RpcError): Response {
  const message = e.message.length > MAX_ERROR_MESSAGE ? e.message.slice(0, MAX_ERROR_MESSAGE) + '…' : e.message;
  const error: Response['error'] = { code: e.code, message };
  if (e.data !== undefined) error.data = e.data;
  return { jsonrpc: '2.0', id, error };
}

class WsConnection implements RpcConnection {
  readonly id: number;
  private readonly ws: WebSocket;
  private closers: (() => void)[] = [];
  constructor(id: number, ws: WebSocket) {
    this.id = id;
    this.ws = ws;
    ws.on('close', () => {
      for (const c of this.closers) c();
      this.closers = [];
    });
  }
  notify(method: string, params: unknown): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
    return true;
  }
  onClose(cb: () => void): void {
    this.closers.push(cb);
  }
}

/** The id of a request as its response must carry it; undefined for a notification. */
function requestId(m: unknown): Id | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return null;
  const req = m as Record<string, unknown>;
  if (!('id' in req)) return undefined;
  const id = req.id;
  return id === null || typeof id === 'number' || (typeof id === 'string' && id.length <= MAX_ID_LENGTH) ? id : null;
}

/** geth's --ws.origins default: browsers on this machine only. */
function isLocalOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
  } catch {
    return false;
  }
}

export class RpcServer {
  private readonly registry: MethodRegistry;
  private readonly opts: Required<Omit<RpcServerOptions, 'cors'>>;
  /** Lowercased allowed origins; null = CORS off. */
  private readonly corsOrigins: ReadonlySet<string> | null;
  private readonly corsAny: boolean;
  private readonly logger: Logger;
  private readonly routes = new Map<string, HttpRoute>();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private nextConn = 1;
  private readonly wsGauge: ReturnType<typeof gauge> | null;
  private readonly truncated: ReturnType<typeof counter> | null;

  constructor(opts: RpcServerOptions, deps: { registry: MethodRegistry; metrics?: Registry | null; logger?: Logger }) {
    this.registry = deps.registry;
    this.opts = {
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      maxBodyBytes: opts.maxBodyBytes ?? 5 * 1024 * 1024,
      maxBatch: opts.maxBatch ?? 1000,
      batchResponseMaxSize: opts.batchResponseMaxSize ?? DEFAULT_BATCH_RESPONSE_MAX_SIZE,
      batchConcurrency: Math.max(1, opts.batchConcurrency ?? 64),
      maxParamDepth: opts.maxParamDepth ?? 64,
    };
    const origins = (typeof opts.cors === 'string' ? [opts.cors] : (opts.cors ?? [])).map((o) => o.trim().toLowerCase()).filter((o) => o.length > 0);
    this.corsOrigins = origins.length ? new Set(origins) : null;
    this.corsAny = origins.includes('*');
    this.logger = deps.logger ?? silentLogger();
    this.wsGauge = deps.metrics ? gauge(deps.metrics, 'bttc_rpc_ws_connections', 'Open JSON-RPC websocket connections') : null;
    this.truncated = deps.metrics ? counter(deps.metrics, 'bttc_rpc_batch_truncated_total', 'Batch responses cut at batchResponseMaxSize (the rest answered -32003)') : null;
  }

  /** Mounts a plain HTTP handler, e.g. route('GET', '/metrics', metricsRoute(registry)). */
  route(method: string, path: string, handler: HttpRoute): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  async start(): Promise<{ host: string; port: number; url: string; wsUrl: string }> {
    const server = createServer((req, res) => void this.onHttp(req, res));
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxBodyBytes });
    server.on('upgrade', (req, socket, head) => {
      if (!this.wsOriginAllowed(req.headers.origin)) {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onWs(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
    this.wss = wss;
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.logger.info({ host: addr.address, port: addr.port }, 'json-rpc listening');
    return { host: addr.address, port: addr.port, url: `http://${host}:${addr.port}`, wsUrl: `ws://${host}:${addr.port}` };
  }

  async close(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
    this.server = null;
  }

  private originListed(origin: string | undefined): boolean {
    return this.corsAny || (origin !== undefined && this.corsOrigins?.has(origin.toLowerCase()) === true);
  }

  private wsOriginAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    return this.corsOrigins === null ? isLocalOrigin(origin) : this.originListed(origin);
  }

  private cors(req: IncomingMessage, res: ServerResponse, preflight: boolean): void {
    if (!this.corsOrigins) return;
    // The answer depends on Origin: caches must not serve one origin's answer to another.
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (!this.originListed(origin)) return;
    res.setHeader('Access-Control-Allow-Origin', this.corsAny ? '*' : origin!);
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
    const asked = req.headers['access-control-request-headers'];
    res.setHeader('Access-Control-Allow-Headers', preflight && typeof asked === 'string' && asked.length <= 1024 ? asked : 'content-type');
    if (preflight) res.setHeader('Access-Control-Max-Age', '600');
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.cors(req, res, req.method === 'OPTIONS');
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.routes.get(`${req.method} ${path}`);
    try {
      if (route) return await route(req, res);
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'POST' }).end('JSON-RPC: use POST with a JSON body\n');
        return;
      }
      const body = await this.readBody(req);
      if (body === null) {
        this.sendJson(res, 413, errorResponse(null, new RpcError(LIMIT_EXCEEDED, `request body larger than ${this.opts.maxBodyBytes} bytes`)));
        return;
      }
      const out = await this.handleText(body, {});
      if (out === null) res.writeHead(200, { 'content-length': 0 }).end();
      else this.sendRaw(res, 200, out);
    } catch (err) {
      this.logger.error({ err: (err as Error).stack }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500).end();
    }
  }

  private readBody(req: IncomingMessage): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.opts.maxBodyBytes) over = true;
        else chunks.push(c);
      });
      req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    this.sendRaw(res, status, JSON.stringify(body));
  }

  private sendRaw(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  private onWs(ws: WebSocket): void {
    const conn = new WsConnection(this.nextConn++, ws);
    this.wsGauge?.inc();
    ws.on('close', () => this.wsGauge?.dec());
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      void this.handleText(text, { connection: conn }).then(
        (out) => {
          if (out !== null && ws.readyState === WebSocket.OPEN) ws.send(out);
        },
        (err) => this.logger.error({ err: (err as Error).stack }, 'ws handler failed'),
      );
    });
    ws.on('error', () => ws.terminate());
  }

  /** Parses one http body or ws message and returns the serialized response (null: nothing to send). */
  async handleText(text: string, ctx: RpcContext): Promise<string | null> {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return JSON.stringify(errorResponse(null, new RpcError(PARSE_ERROR, `parse error: ${(e as Error).message.slice(0, 200)}`)));
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return JSON.stringify(errorResponse(null, new RpcError(INVALID_REQUEST, 'empty batch')));
      if (msg.length > this.opts.maxBatch) return JSON.stringify(errorResponse(null, new RpcError(LIMIT_EXCEEDED, `batch of ${msg.length} requests is larger than ${this.opts.maxBatch}`)));
      return this.handleBatch(msg, ctx);
    }
    const r = await this.handleOne(msg, ctx);
    return r === null ? null : JSON.stringify(r);
  }

  /**
   * Runs a batch through `batchConcurrency` workers in request order and serializes each response
   * as it completes (the result object is dropped at once). Once the results collected pass
   * `batchResponseMaxSize`, calls not yet started are not run and calls still running are
   * discarded: both answer -32003 "response too large", as geth does. Responses keep request order.
   */
  private async handleBatch(msgs: unknown[], ctx: RpcContext): Promise<string | null> {
    const parts: (string | null)[] = new Array(msgs.length).fill(null);
    const bound = this.opts.batchResponseMaxSize;
    let bytes = 0;
    let over = false;
    let next = 0;
    const tooLarge = (i: number) => {
      const id = requestId(msgs[i]);
      if (id !== undefined) parts[i] = JSON.stringify(errorResponse(id, new RpcError(RESPONSE_TOO_LARGE, 'response too large')));
    };
    const worker = async () => {
      while (next < msgs.length) {
        const i = next++;
        if (over) {
          tooLarge(i);
          continue;
        }
        const r = await this.handleOne(msgs[i], ctx);
        if (r === null) continue;
        if (over) {
          tooLarge(i);
          continue;
        }
        const text = JSON.stringify(r);
        parts[i] = text;
        if (bound > 0 && r.result !== undefined) {
          bytes += text.length;
          if (bytes > bound) over = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.batchConcurrency, msgs.length) }, worker));
    if (over) this.truncated?.inc();
    const out = parts.filter((x): x is string => x !== null);
    return out.length ? `[${out.join(',')}]` : null;
  }

  private async handleOne(m: unknown, ctx: RpcContext): Promise<Response | null> {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return errorResponse(null, new RpcError(INVALID_REQUEST, 'invalid request: expected a JSON object'));
    const req = m as Record<string, unknown>;
    const hasId = 'id' in req;
    const id = req.id;
    const validId = id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    if (hasId && !validId) return errorResponse(null, new RpcError(INVALID_REQUEST, 'invalid request: id must be a string, number or null'));
    if (typeof id === 'string' && id.length > MAX_ID_LENGTH) return errorResponse(null, new RpcError(INVALID_REQUEST, `invalid request: id longer than ${MAX_ID_LENGTH} characters`));
    const rid = (hasId ? id : null) as Id;
    if (req.jsonrpc !== '2.0') return errorResponse(rid, new RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"'));
    if (typeof req.method !== 'string' || req.method.length === 0) return errorResponse(rid, new RpcError(INVALID_REQUEST, 'invalid request: "method" must be a non-empty string'));
    let params: unknown[];
    if (req.params === undefined || req.params === null) params = [];
    else if (Array.isArray(req.params)) params = req.params;
    else return errorResponse(rid, new RpcError(INVALID_PARAMS, `invalid params: positional (array) parameters expected, got ${show(req.params)}`));
    if (nestingDepth(params, this.opts.maxParamDepth) > this.opts.maxParamDepth)
      return errorResponse(rid, new RpcError(INVALID_PARAMS, `invalid params: nested deeper than ${this.opts.maxParamDepth} levels: ${show(params)}`));
    try {
      const result = await this.registry.call(req.method, params, ctx);
      return hasId ? { jsonrpc: '2.0', id: rid, result: result === undefined ? null : result } : null;
    } catch (err) {
      return hasId ? errorResponse(rid, err as RpcError) : null;
    }
  }
}

/** GET /metrics for a prom-client registry. */
export function metricsRoute(registry: Registry): HttpRoute {
  return async (_req, res) => {
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(text);
  };
}

/** A JSON REST route: the handler's return value is sent as JSON; a thrown RpcError becomes 400. */
export function jsonRoute(handler: (req: IncomingMessage, url: URL) => unknown): HttpRoute {
  return async (req, res) => {
    try {
      const body = JSON.stringify(await handler(req, new URL(req.url ?? '/', 'http://localhost')), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } catch (err) {
      const status = err instanceof RpcError ? 400 : 500;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
    }
  };
}
