/**
 * HTTP for the audits: public endpoints (a Bttc RPC, a root chain's RPC or TRON API, a Delivery REST)
 * that rate-limit, drop connections and answer 502 now and then. Transient failures (no connection,
 * a timeout, HTTP 408/425/429/5xx) are retried with exponential backoff; anything else, and a failure
 * that outlasts the retries, becomes an AuditError naming the flag and the URL.
 */
import { AuditError } from './interface.ts';

export interface HttpEndpointOptions {
  /** How the CLI names this endpoint, e.g. "--bttc-rpc". */
  flag: string;
  timeoutMs?: number;
  /** Tries per request, the first included (default 5). */
  attempts?: number;
  /** First backoff; doubled per retry, at most 5 s (default 250 ms). */
  retryDelayMs?: number;
  headers?: Record<string, string>;
}

export interface HttpEndpointDeps {
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A failure worth another try; only ever seen inside this module and the JSON-RPC client. */
export class TransientError extends Error {
  override name = 'TransientError';
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Checks a URL given on the command line: http(s) only, named by its flag when wrong. */
export function checkHttpUrl(url: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AuditError(`${flag}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AuditError(`${flag}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

export class HttpEndpoint {
  readonly url: string;
  readonly flag: string;
  private readonly timeoutMs: number;
  readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly headers: Record<string, string>;
  readonly sleep: (ms: number) => Promise<void>;

  constructor(url: string, opts: HttpEndpointOptions, deps: HttpEndpointDeps = {}) {
    this.url = checkHttpUrl(url, opts.flag);
    this.flag = opts.flag;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.attempts = Math.max(1, opts.attempts ?? 5);
    this.retryDelayMs = opts.retryDelayMs ?? 250;
    this.headers = opts.headers ?? {};
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /** "--bttc-rpc http://…", the prefix of every message about this endpoint. */
  get name(): string {
    return `${this.flag} ${this.url}`;
  }

  /** Backoff before retry `n` (1-based). */
  backoff(n: number): number {
    return Math.min(5000, this.retryDelayMs * 2 ** (n - 1));
  }

  /** `path` is appended to the URL ("" for the URL itself). */
  target(path: string): string {
    if (!path) return this.url;
    return this.url.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
  }

  /** One try; TransientError for what deserves another (unless `final` says the answer is the answer). */
  private async once(method: 'GET' | 'POST', path: string, body: unknown, final?: (a: HttpAnswer) => boolean): Promise<HttpAnswer> {
    let res: Response;
    try {
      res = await fetch(this.target(path), {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') throw new TransientError(`no answer within ${this.timeoutMs} ms`);
      throw new TransientError(`cannot connect: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TransientError(`the answer broke off: ${(err as Error).message}`);
    }
    if (TRANSIENT_STATUS.has(res.status) && !final?.({ status: res.status, text })) throw new TransientError(`HTTP ${res.status}${snippet(text)}`);
    return { status: res.status, text };
  }

  /**
   * A request with retries; AuditError when it cannot get an answer. `final` marks an error status
   * that no retry will change (a server that reports "not found" as HTTP 500).
   */
  async request(method: 'GET' | 'POST', path: string, body?: unknown, final?: (a: HttpAnswer) => boolean): Promise<HttpAnswer> {
    for (let n = 1; ; n++) {
      try {
        return await this.once(method, path, body, final);
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        if (n >= this.attempts) throw new AuditError(`${this.flag} ${this.target(path)}: ${err.message}${this.attempts > 1 ? ` (${this.attempts} attempts)` : ''}`);
        await this.sleep(this.backoff(n));
      }
    }
  }
}

/** The start of a body, for messages: enough to recognise an HTML error page or a JSON error. */
export function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (!t) return '';
  return `: ${t.length > 120 ? t.slice(0, 117) + '...' : t}`;
}
