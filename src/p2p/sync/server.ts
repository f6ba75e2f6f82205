/**
 * Serving sync requests from this node's stores. The stores belong to Bttc and Delivery; they plug
 * in through `SyncSource`. Requests are decoded here (a malformed one is answered with an error
 * frame, never thrown past the boundary) and clamped to `maxItems`.
 */
import type { Network } from '../interface.ts';
import { decodeRangeRequest, encodeStatus, type StatusMessage } from '../codec/sync.ts';
import { DEFAULT_REQRESP_LIMITS } from '../core/reqresp.ts';

export interface SyncSource {
  /**
   * Encoded Bttc blocks numbered [start, start + count), in order, as Bttc gossips them; stop at
   * the first block not held (an empty answer means "none of these").
   */
  bttcBlocksByRange?(start: bigint, count: number): Promise<Uint8Array[]>;
  /** Encoded Delivery blocks each with the commit that finalised it, heights [start, start + count). */
  deliveryByRange?(start: bigint, count: number): Promise<Uint8Array[]>;
  status?(): Promise<StatusMessage>;
}

export function serveSync(network: Network, source: SyncSource, opts: { maxItems?: number } = {}): void {
  const maxItems = opts.maxItems ?? DEFAULT_REQRESP_LIMITS.maxItems;
  const range = (fetch: (start: bigint, count: number) => Promise<Uint8Array[]>) => async (_peer: string, body: Uint8Array) => {
    const req = decodeRangeRequest(body);
    if (!req.ok) throw new Error(`bad request: ${req.error.message}`);
    const items = await fetch(req.value.start, Math.min(req.value.count, maxItems));
    return items.slice(0, Math.min(req.value.count, maxItems));
  };
  if (source.bttcBlocksByRange) network.handleRequest('bttc-blocks-by-range', range(source.bttcBlocksByRange.bind(source)));
  if (source.deliveryByRange) network.handleRequest('delivery-by-range', range(source.deliveryByRange.bind(source)));
  if (source.status) {
    const status = source.status.bind(source);
    network.handleRequest('status', async () => [encodeStatus(await status())]);
  }
}
