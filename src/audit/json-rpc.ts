/**
 * JSON-RPC 2.0 for the audits, over HttpEndpoint's retried transport: single calls and batches.
 * A call that a server answers with a rate-limit or "busy" error is retried like a dropped
 * connection; a batch the server refuses as a whole (one error object instead of an array, as
 * servers with a batch-size cap do) is split in halves until it is accepted.
 */
import { type HttpEndpoint, snippet } from './http.ts';
import { AuditError } from './interface.ts';

export interface RpcCall {
  method: string;
  params: unknown[];
}

interface RpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** Errors a loaded public node gives back that clear up when asked again later. */
function isTransientRpcError(e: { code?: unknown; message?: unknown }): boolean {
  if (e.code === -32005) return true; // "limit exceeded" (EIP-1474), what Infura and co. answer
  return /rate.?limit|too many|limit exceeded|timeout|timed out|busy|try again|temporarily/i.test(String(e.message ?? ''));
}

/** A JSON-RPC response object: "jsonrpc", or an id with a result or an error (not a REST error body). */
function isRpcResponse(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return 'jsonrpc' in v || ('id' in v && ('result' in v || 'error' in v));
}

function describeError(e: { code?: unknown; message?: unknown }): string {
  return `${String(e.message ?? 'error')}${e.code !== undefined ? ` (code ${String(e.code)})` : ''}`;
}

export class JsonRpcEndpoint {
  readonly http: HttpEndpoint;
  private nextId = 1;

  constructor(http: HttpEndpoint) {
    this.http = http;
  }

  get url(): string {
    return this.http.url;
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return (await this.batch([{ method, params }]))[0] as T;
  }

  /**
   * Results in call order. One HTTP request for the whole list unless the server refuses its size;
   * calls failing with a transient error are asked again (in one batch) after a backoff.
   */
  async batch(calls: readonly RpcCall[]): Promise<unknown[]> {
    const results: unknown[] = new Array(calls.length);
    let pending = calls.map((_, i) => i);
    for (let n = 1; pending.length > 0; n++) {
      const answers = await this.send(pending.map((i) => calls[i]!));
      const again: number[] = [];
      let lastError = '';
      answers.forEach((a, k) => {
        const i = pending[k]!;
        if (a.error === undefined) {
          results[i] = a.result;
          return;
        }
        if (!isTransientRpcError(a.error)) throw new AuditError(`${this.http.name}: ${calls[i]!.method} failed: ${describeError(a.error)}`);
        again.push(i);
        lastError = describeError(a.error);
      });
      if (again.length > 0 && n >= this.http.attempts) throw new AuditError(`${this.http.name}: ${calls[again[0]!]!.method} failed: ${lastError} (${this.http.attempts} attempts)`);
      if (again.length > 0) await this.http.sleep(this.http.backoff(n));
      pending = again;
    }
    return results;
  }

  /** One list of calls → one answer each (result or error), splitting the list if the server refuses it whole. */
  private async send(calls: readonly RpcCall[]): Promise<RpcResponse[]> {
    const single = calls.length === 1;
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }));
    const { status, text } = await this.http.request('POST', '', single ? body[0] : body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AuditError(`${this.http.name}: not a JSON-RPC endpoint (HTTP ${status}${snippet(text)})`);
    }
    if (Array.isArray(parsed) ? !parsed.every(isRpcResponse) : !isRpcResponse(parsed)) throw new AuditError(`${this.http.name}: not a JSON-RPC endpoint (HTTP ${status}${snippet(text)})`);
    if (single && !Array.isArray(parsed)) parsed = [parsed];
    if (!Array.isArray(parsed)) {
      const err = (parsed as RpcResponse).error;
      // A server with a batch cap refuses the whole list with one error: ask for halves.
      if (err && calls.length > 1) {
        const half = Math.ceil(calls.length / 2);
        return [...(await this.send(calls.slice(0, half))), ...(await this.send(calls.slice(half)))];
      }
      throw new AuditError(`${this.http.name}: not a JSON-RPC answer (HTTP ${status}${snippet(text)})`);
    }
    if (status !== 200 && parsed.length === 0) throw new AuditError(`${this.http.name}: HTTP ${status}${snippet(text)}`);
    const byId = new Map<unknown, RpcResponse>();
    for (const r of parsed as RpcResponse[]) if (r && typeof r === 'object') byId.set(r.id, r);
    return calls.map((c, i) => {
      const r = byId.get(first + i) ?? (single && parsed.length === 1 ? (parsed[0] as RpcResponse) : undefined);
      if (!r) throw new AuditError(`${this.http.name}: the answer has no response to ${c.method} (id ${first + i})`);
      if (r.error !== undefined && r.error !== null) return { error: typeof r.error === 'object' ? r.error : { message: String(r.error) } };
      if (!('result' in r)) throw new AuditError(`${this.http.name}: the response to ${c.method} has neither result nor error`);
      return { result: r.result };
    });
  }
}
