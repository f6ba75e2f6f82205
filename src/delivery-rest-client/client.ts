/**
 * A client of Delivery's REST API as Bttc (BTTC's bor-derived client) reads it: GET a path under the
 * base URL, accept 200 (and 204, an empty answer), decode the `{"height","result"}` envelope with
 * integers kept exact. Any other status, a timeout or a body that is not the envelope is a
 * DeliveryRestError naming the URL and what came back. Retrying is the caller's choice
 * (`getWithRetry`: Bor's FetchWithRetry retries forever every 5 s; ours gives up after a few tries
 * so a block import fails and is retried by sync instead of hanging).
 *
 * This folder sits outside src/bttc and src/delivery: Bttc may not import Delivery, and the REST
 * format is the contract between them (src/protocol/delivery-rest).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, histogram, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { parseJsonExact } from '../protocol/delivery-rest/go-json.ts';
import { envelopeFrom, type DeliveryEnvelope } from '../protocol/delivery-rest/format.ts';

export class DeliveryRestError extends Error {
  /** HTTP status; 0 when no answer came (refused, timed out). */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'DeliveryRestError';
    this.status = status;
  }
}

export interface DeliveryRestClientOptions {
  /** Delivery's REST base URL, e.g. http://127.0.0.1:1317. */
  baseUrl: string;
  /** Per request (Bor's client: 5 s). */
  timeoutMs?: number;
  /** Tries of `getWithRetry` and the pause between them. */
  attempts?: number;
  retryDelayMs?: number;
}

export interface DeliveryRestClientMetrics {
  requests: ReturnType<typeof counter>;
  seconds: ReturnType<typeof histogram>;
  rejected: ReturnType<typeof counter>;
}

/** The metric label of a path: ids replaced, so the label set stays small. */
function pathLabel(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, '/:id');
}

export class DeliveryRestClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  readonly logger: Logger | null;
  readonly m: DeliveryRestClientMetrics | null;
  private readonly closed = new AbortController();

  constructor(opts: DeliveryRestClientOptions, deps: { metrics?: Registry | null; logger?: Logger | null } = {}) {
    const u = new URL(opts.baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`delivery REST URL ${opts.baseUrl}: expected http:// or https://`);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.logger = deps.logger ? deps.logger.child({ module: 'delivery-rest-client' }) : null;
    const reg = deps.metrics ?? null;
    this.m = reg
      ? {
          requests: counter(reg, 'bttc_delivery_rest_client_requests_total', 'Requests to a remote Delivery REST API by path and outcome (HTTP status, or error)', ['path', 'outcome']),
          seconds: histogram(reg, 'bttc_delivery_rest_client_request_seconds', 'Time of a request to a remote Delivery REST API', SECONDS_BUCKETS),
          rejected: counter(reg, 'bttc_delivery_rest_client_rejected_total', 'Spans and state-sync records from Delivery REST that Bttc refused, by reason', ['reason']),
        }
      : null;
  }

  /** Stops retries in progress (node shutdown). */
  close(): void {
    this.closed.abort();
  }

  /** One GET of `path` (no leading slash, as Bor writes it) with `query`. */
  async get(path: string, query = ''): Promise<DeliveryEnvelope> {
    const url = `${this.baseUrl}/${path}${query ? '?' + query : ''}`;
    const t0 = performance.now();
    let outcome = 'error';
    try {
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closed.signal]) });
      } catch (err) {
        throw new DeliveryRestError(`GET ${url}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message}`, 0);
      }
      outcome = String(res.status);
      const body = await res.text();
      if (res.status === 204) return { height: '0', result: null };
      if (res.status !== 200) throw new DeliveryRestError(`GET ${url}: HTTP ${res.status}: ${body.slice(0, 300)}`, res.status);
      try {
        return envelopeFrom(parseJsonExact(body), `GET ${url}`);
      } catch (err) {
        outcome = 'bad-body';
        throw new DeliveryRestError(`GET ${url}: not a Delivery answer: ${(err as Error).message}`, res.status);
      }
    } finally {
      this.m?.requests.inc({ path: pathLabel(path), outcome });
      this.m?.seconds.observe((performance.now() - t0) / 1000);
    }
  }

  /** `get` tried up to `attempts` times, `retryDelayMs` apart; the last error is thrown. */
  async getWithRetry(path: string, query = ''): Promise<DeliveryEnvelope> {
    let last: unknown;
    for (let i = 0; i < this.attempts; i++) {
      if (i > 0) {
        await new Promise((r) => setTimeout(r, this.retryDelayMs));
        if (this.closed.signal.aborted) break;
      }
      try {
        return await this.get(path, query);
      } catch (err) {
        last = err;
        this.logger?.debug({ path, query, attempt: i + 1, err: (err as Error).message }, 'delivery REST request failed');
      }
    }
    throw last ?? new DeliveryRestError(`GET ${this.baseUrl}/${path}: client closed`, 0);
  }
}
