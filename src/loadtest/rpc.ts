/**
 * A raw JSON-RPC client over fetch with batches: the loadtest sends pre-signed transactions in
 * batches (one HTTP request per tick), which ethers' provider cannot do without its own queueing.
 */

export class RpcCallError extends Error {
  override name = 'RpcCallError';
  readonly code: number | string;
  constructor(code: number | string, message: string) {
    super(message);
    this.code = code;
  }
}

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

export type BatchResult = { ok: true; result: unknown } | { ok: false; error: RpcCallError };

export class JsonRpcClient {
  readonly url: string;
  private nextId = 1;
  private readonly timeoutMs: number;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    if (!/^https?:\/\//.test(url)) throw new Error(`--rpc: expected an http(s) URL, got ${JSON.stringify(url)}`);
    this.url = url;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async post(body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') throw new RpcCallError('timeout', `no answer from ${this.url} within ${this.timeoutMs} ms`);
      throw new RpcCallError('connection', `${this.url}: ${e.cause?.code ?? e.message}`);
    }
    if (!res.ok) throw new RpcCallError(`http-${res.status}`, `${this.url} answered HTTP ${res.status}`);
    return res.json();
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const body = { jsonrpc: '2.0', id: this.nextId++, method, params };
    let r: RpcResponse;
    try {
      r = (await this.post(body)) as RpcResponse;
    } catch (err) {
      // A keep-alive socket the server closed while we were idle (signing) fails once: ask again on a fresh one.
      if (!(err instanceof RpcCallError) || err.code !== 'connection') throw err;
      r = (await this.post(body)) as RpcResponse;
    }
    if (r.error) throw new RpcCallError(r.error.code, r.error.message);
    return r.result as T;
  }

  /** One HTTP request; results in call order, each its own success or error. */
  async batch(calls: { method: string; params: unknown[] }[]): Promise<BatchResult[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const out = (await this.post(calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params })))) as RpcResponse[] | RpcResponse;
    if (!Array.isArray(out)) throw new RpcCallError(out.error?.code ?? 'protocol', out.error?.message ?? 'batch answered with a single response');
    const byId = new Map(out.map((r) => [r.id, r]));
    return calls.map((_, i) => {
      const r = byId.get(first + i);
      if (!r) return { ok: false, error: new RpcCallError('protocol', 'no response for this call in the batch') };
      return r.error ? { ok: false, error: new RpcCallError(r.error.code, r.error.message) } : { ok: true, result: r.result };
    });
  }
}
