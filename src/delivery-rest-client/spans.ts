/**
 * Bttc's spans from a remote Delivery over REST (`bor/latest-span`, `bor/span/{id}`), as Bor's
 * HeimdallClient reads them. Bttc asks for spans synchronously (header checks run per block), so
 * they are fetched ahead: every span at open (span 0 is needed before the Bttc layer can open), then
 * the latest one is polled and any new ids fetched in order. A span is refused, as Bor refuses
 * to commit it, when its `bor_chain_id` is not our chain id as a decimal string, or when it is not
 * the span asked for; a refused span stays missing, so Bttc stops at it (SpanUnavailableError)
 * rather than commit a wrong one.
 */
import type { MinimalVal, SpanRecord, SpanSource } from '../bttc/system/types.ts';
import { spanFromDelivery, type BorSpan, type BorValidator } from '../protocol/delivery-rest/format.ts';
import { hexToBytes } from '../util/bytes.ts';
import { DeliveryRestError, type DeliveryRestClient } from './client.ts';

export interface RestSpanSourceOptions {
  /** Our Bttc chain id: a span must carry it (as a string) in bor_chain_id. */
  chainId: number;
  /** How often the latest span is asked for. */
  pollMs?: number;
  /** How long `open` waits for Delivery to answer with span 0 before giving up. */
  openTimeoutMs?: number;
}

function minimal(v: BorValidator): MinimalVal {
  return { id: v.id, power: v.power, signer: hexToBytes(v.signer) };
}

export function spanRecordFromBor(s: BorSpan): SpanRecord {
  return { id: s.id, startBlock: s.startBlock, endBlock: s.endBlock, validators: s.validators.map(minimal), producers: s.producers.map(minimal) };
}

export class RestSpanSource implements SpanSource {
  private readonly client: DeliveryRestClient;
  private readonly chainId: string;
  private readonly pollMs: number;
  private readonly spans = new Map<number, SpanRecord>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;

  private constructor(client: DeliveryRestClient, opts: RestSpanSourceOptions) {
    this.client = client;
    this.chainId = String(opts.chainId);
    this.pollMs = opts.pollMs ?? 1000;
  }

  /**
   * Loads every span Delivery has, waiting (retrying every second) until it answers with span 0 or
   * `openTimeoutMs` passes; then polls for new ones until `close()`.
   */
  static async open(client: DeliveryRestClient, opts: RestSpanSourceOptions): Promise<RestSpanSource> {
    const src = new RestSpanSource(client, opts);
    const deadline = Date.now() + (opts.openTimeoutMs ?? 120_000);
    for (let attempt = 1; ; attempt++) {
      try {
        await src.catchUp();
        if (src.spans.has(0)) break;
        throw new Error('span 0 is not available');
      } catch (err) {
        if (Date.now() >= deadline)
          throw new DeliveryRestError(`Delivery REST at ${client.baseUrl}: no span 0 after ${attempt} tries: ${(err as Error).message}`, err instanceof DeliveryRestError ? err.status : 0);
        if (attempt === 1 || attempt % 10 === 0) client.logger?.warn({ url: client.baseUrl, attempt, err: (err as Error).message }, 'waiting for Delivery REST to serve span 0');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    src.schedule();
    return src;
  }

  spanById(id: number): SpanRecord | undefined {
    return this.spans.get(id);
  }

  get lastId(): number {
    return Math.max(-1, ...this.spans.keys());
  }

  /** Stops polling; resolves once a poll in progress has finished. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.catchUp()
        .catch((err: Error) => this.client.logger?.warn({ url: this.client.baseUrl, err: err.message }, 'delivery REST: span poll failed'))
        .finally(() => {
          this.polling = null;
          this.schedule();
        });
    }, this.pollMs);
  }

  /** Asks for the latest span and fetches every id not held up to it, in order. */
  private async catchUp(): Promise<void> {
    const latest = spanFromDelivery((await this.client.getWithRetry('bor/latest-span')).result);
    for (let id = 0; id < latest.id && !this.stopped; id++) {
      if (this.spans.has(id)) continue;
      this.accept(spanFromDelivery((await this.client.getWithRetry(`bor/span/${id}`)).result), id);
    }
    if (!this.spans.has(latest.id)) this.accept(latest, latest.id);
  }

  private accept(s: BorSpan, asked: number): void {
    if (s.id !== asked) return this.refuse('wrong-id', `asked for span ${asked}, Delivery answered span ${s.id}`);
    if (s.chainId !== this.chainId) return this.refuse('chain-id', `span ${s.id}: bor_chain_id ${JSON.stringify(s.chainId)} is not our chain id "${this.chainId}"`);
    this.spans.set(s.id, spanRecordFromBor(s));
  }

  private refuse(reason: string, message: string): void {
    this.client.m?.rejected.inc({ reason: `span-${reason}` });
    this.client.logger?.error({ url: this.client.baseUrl }, `delivery REST: refused ${message}`);
  }
}
