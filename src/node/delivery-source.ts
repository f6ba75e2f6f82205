/**
 * Where the Bttc layer reads Delivery's spans and state syncs: this node's own Delivery in process
 * (the default: SpanCache and stateSyncSource in adapters.ts), or a Delivery's REST API when
 * `node.delivery.restUrl` is set, read through the same REST shapes a BTTC Bttc client reads
 * (src/delivery-rest-client). Either way the Bttc layer sees a SpanSource and a StateSyncSource.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SpanSource, StateSyncSource } from '../bttc/system/types.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import { DeliveryRestClient } from '../delivery-rest-client/client.ts';
import { RestSpanSource } from '../delivery-rest-client/spans.ts';
import { RestStateSyncSource } from '../delivery-rest-client/state-syncs.ts';
import { SpanCache, stateSyncSource } from './adapters.ts';
import type { DeliverySection } from './config.ts';
import { NodeStartError } from './errors.ts';

export interface BttcDeliverySources {
  spans: SpanSource;
  stateSyncs: StateSyncSource;
  /** `in-process`, or the REST URL read. */
  readonly from: string;
}

export interface DeliverySourceOptions extends DeliverySection {
  bttcChainId: number;
  /** REST: how often the latest span is polled, and how long the start waits for span 0. */
  pollMs?: number;
  openTimeoutMs?: number;
}

export async function bttcDeliverySources(
  opts: DeliverySourceOptions,
  deps: { app: DeliveryApp; metrics?: Registry | null; logger?: Logger | null; onClose: (name: string, close: () => Promise<void> | void) => void },
): Promise<BttcDeliverySources> {
  if (opts.restUrl === null) return { spans: await SpanCache.load(deps.app), stateSyncs: stateSyncSource(deps.app, opts.bttcChainId), from: 'in-process' };
  const client = new DeliveryRestClient({ baseUrl: opts.restUrl }, { metrics: deps.metrics ?? null, logger: deps.logger ?? null });
  deps.onClose('delivery REST client', () => client.close());
  let spans: RestSpanSource;
  try {
    spans = await RestSpanSource.open(client, { chainId: opts.bttcChainId, pollMs: opts.pollMs, openTimeoutMs: opts.openTimeoutMs });
  } catch (err) {
    throw new NodeStartError(`node.delivery.restUrl: ${(err as Error).message}`);
  }
  deps.onClose('delivery REST span poll', () => spans.close());
  deps.logger?.info({ restUrl: opts.restUrl, spans: spans.lastId + 1 }, 'Bttc reads spans and state syncs from Delivery REST');
  return { spans, stateSyncs: new RestStateSyncSource(client, { chainId: opts.bttcChainId }), from: opts.restUrl };
}
