/**
 * JSON-RPC 2.0 over http (POST) and websocket (same port, upgrade), loopback by default, with
 * batches, notifications, size limits and plain HTTP routes others can mount (REST, /metrics).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { gauge } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import { INVALID_PARAMS, INVALID_REQUEST, LIMIT_EXCEEDED, PARSE_ERROR, RpcError } from './errors.ts';
import type { HttpRoute, RpcConnection, RpcContext } from './interface.ts';
import type { MethodRegistry } from './registry.ts';

export interface RpcServerOptions {
  /** Default 127.0.0.1: the RPC is for the local machine unless an operator says otherwise. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  maxBodyBytes?: number;
  maxBatch?: number;
  /** Access-Control-Allow-Origin value for browser dapps; absent = no CORS headers. */
  cors?: string;
}

type Id = string | number | null;
interface Response {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function errorResponse(id: Id, e: RpcError): Response {
  const error: Response['error'] = { code: e.code, message: e.message };
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

export class RpcServer {
  private readonly registry: MethodRegistry;
  private readonly opts: Required<Omit<RpcServerOptions, 'cors'>> & { cors?: string };
  private readonly logger: Logger;
  private readonly routes = new Map<string, HttpRoute>();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private nextConn = 1;
  private readonly wsGauge: ReturnType<typeof gauge> | null;

  constructor(opts: RpcServerOptions, deps: { registry: MethodRegistry; metrics?: Registry | null; logger?: Logger }) {
    this.registry = deps.registry;
    this.opts = { host: opts.host ?? '127.0.0.1', port: opts.port, maxBodyBytes: opts.maxBodyBytes ?? 5 * 1024 * 1024, maxBatch: opts.maxBatch ?? 1000, cors: opts.cors };
    this.logger = deps.logger ?? silentLogger();
    this.wsGauge = deps.metrics ? gauge(deps.metrics, 'bttc_rpc_ws_connections', 'Open JSON-RPC websocket connections') : null;
  }

  /** Mounts a plain HTTP handler, e.g. route('GET', '/metrics', metricsRoute(registry)). */
  route(method: string, path: string, handler: HttpRoute): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  async start(): Promise<{ host: string; port: number; url: string; wsUrl: string }> {
    const server = createServer((req, res) => void this.onHttp(req, res));
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxBodyBytes });
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => this.onWs(ws)));
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

  private cors(res: ServerResponse): void {
    if (!this.opts.cors) return;
    res.setHeader('Access-Control-Allow-Origin', this.opts.cors);
    res.setHeader('Access-Control-Allow-Headers', 'content-type');
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.cors(res);
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
      return JSON.stringify(errorResponse(null, new RpcError(PARSE_ERROR, `parse error: ${(e as Error).message}`)));
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return JSON.stringify(errorResponse(null, new RpcError(INVALID_REQUEST, 'empty batch')));
      if (msg.length > this.opts.maxBatch) return JSON.stringify(errorResponse(null, new RpcError(LIMIT_EXCEEDED, `batch of ${msg.length} requests is larger than ${this.opts.maxBatch}`)));
      const out = (await Promise.all(msg.map((m) => this.handleOne(m, ctx)))).filter((r): r is Response => r !== null);
      return out.length ? JSON.stringify(out) : null;
    }
    const r = await this.handleOne(msg, ctx);
    return r === null ? null : JSON.stringify(r);
  }

  private async handleOne(m: unknown, ctx: RpcContext): Promise<Response | null> {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return errorResponse(null, new RpcError(INVALID_REQUEST, 'invalid request: expected a JSON object'));
    const req = m as Record<string, unknown>;
    const hasId = 'id' in req;
    const id = req.id;
    const validId = id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    if (hasId && !validId) return errorResponse(null, new RpcError(INVALID_REQUEST, 'invalid request: id must be a string, number or null'));
    const rid = (hasId ? id : null) as Id;
    if (req.jsonrpc !== '2.0') return errorResponse(rid, new RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"'));
    if (typeof req.method !== 'string' || req.method.length === 0) return errorResponse(rid, new RpcError(INVALID_REQUEST, 'invalid request: "method" must be a non-empty string'));
    let params: unknown[];
    if (req.params === undefined || req.params === null) params = [];
    else if (Array.isArray(req.params)) params = req.params;
    else return errorResponse(rid, new RpcError(INVALID_PARAMS, 'invalid params: positional (array) parameters expected'));
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
