/**
 * Method registry with per-method metrics (requests, errors by code, latency). Handlers may be sync
 * or async; thrown RpcErrors keep their code, anything else becomes -32603 with its message.
 *
 * Namespaces (the part of a method name before "_") are switched on by `namespaces` (geth's
 * --http.api): a method of a namespace that is off answers -32601 "the method debug_x does not
 * exist/is not available", exactly as an unknown method does, whenever it was registered. `rpc` is
 * always on: rpc_modules lists the namespaces served, as geth's does.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { silentLogger } from '../observability/logger.ts';
import { INTERNAL_ERROR, METHOD_NOT_FOUND, RpcError } from './errors.ts';
import type { MethodRegistryApi, RpcContext, RpcHandler } from './interface.ts';

export class MethodRegistry implements MethodRegistryApi {
  private readonly handlers = new Map<string, RpcHandler>();
  /** null: every namespace is on. */
  private readonly namespaces: ReadonlySet<string> | null;
  private readonly logger: Logger;
  private readonly m: { requests: ReturnType<typeof counter>; errors: ReturnType<typeof counter>; seconds: ReturnType<typeof histogram> } | null;
  /** Per method label (registered names and 'unknown' only: bounded). */
  private readonly byLabel = new Map<string, { requests: ReturnType<ReturnType<typeof counter>['labels']>; seconds: ReturnType<ReturnType<typeof histogram>['labels']> }>();

  constructor(deps: { metrics?: Registry | null; logger?: Logger; namespaces?: readonly string[] | null } = {}) {
    this.logger = deps.logger ?? silentLogger();
    this.namespaces = deps.namespaces ? new Set(deps.namespaces) : null;
    const reg = deps.metrics;
    this.m = reg
      ? {
          requests: counter(reg, 'bttc_rpc_requests_total', 'JSON-RPC calls by method', ['method']),
          errors: counter(reg, 'bttc_rpc_errors_total', 'JSON-RPC calls that returned an error, by method and code', ['method', 'code']),
          seconds: histogram(reg, 'bttc_rpc_request_seconds', 'JSON-RPC call latency by method', SECONDS_BUCKETS, ['method']),
        }
      : null;
  }

  register(name: string, handler: RpcHandler): void {
    if (this.handlers.has(name)) throw new Error(`rpc method ${name} is already registered`);
    this.handlers.set(name, handler);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** Whether calls to this method name reach its handler (its namespace is on). */
  enabled(name: string): boolean {
    const ns = namespaceOf(name);
    return ns === 'rpc' || this.namespaces === null || this.namespaces.has(ns);
  }

  /** rpc_modules: each served namespace with a registered method, as geth answers ("1.0"). */
  modules(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.names()) if (this.enabled(name)) out[namespaceOf(name)] = '1.0';
    return out;
  }

  /**
   * The metric children of one method label, looked up once: prom-client hashes the label object on
   * every inc/observe otherwise, twice per call (a visible cost with a call per transaction).
   */
  private children(label: string, m: NonNullable<MethodRegistry['m']>): { requests: ReturnType<ReturnType<typeof counter>['labels']>; seconds: ReturnType<ReturnType<typeof histogram>['labels']> } {
    let c = this.byLabel.get(label);
    if (!c) {
      c = { requests: m.requests.labels(label), seconds: m.seconds.labels(label) };
      this.byLabel.set(label, c);
    }
    return c;
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  async call(method: string, params: unknown[], ctx: RpcContext): Promise<unknown> {
    let handler = this.enabled(method) ? this.handlers.get(method) : undefined;
    if (!handler && method === 'rpc_modules') handler = () => this.modules();
    // unknown names share one label: a client cannot grow the metric set without bound
    const label = handler ? method : 'unknown';
    const m = this.m ? this.children(label, this.m) : null;
    const end = m?.seconds.startTimer();
    m?.requests.inc();
    try {
      if (!handler) throw new RpcError(METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`);
      return await handler(params, ctx);
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(INTERNAL_ERROR, (err as Error)?.message ?? String(err));
      if (!(err instanceof RpcError)) this.logger.warn({ method, err: (err as Error)?.stack ?? String(err) }, 'rpc handler failed');
      this.m?.errors.inc({ method: label, code: String(e.code) });
      throw e;
    } finally {
      end?.();
    }
  }
}

function namespaceOf(method: string): string {
  const i = method.indexOf('_');
  return i < 0 ? method : method.slice(0, i);
}
