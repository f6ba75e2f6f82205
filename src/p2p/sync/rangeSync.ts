/**
 * Fetching a missing range of Bttc blocks or Delivery blocks+commits from peers. The range is cut
 * into requests of at most `maxItemsPerRequest`; each chunk is asked of one peer at a time, and
 * what comes back is checked by the caller's `verify` before the cursor moves. A peer that fails
 * (timeout, error, nothing to give) is skipped for that chunk; a peer whose data does not verify
 * is penalised (its gossip score drops) and not asked again during this fetch; one that timed out
 * or had nothing is asked last for the rest of the fetch. A peer that gives
 * fewer items than asked is fine: it is behind; the rest is asked of the next peer.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { counter, type Counter } from '../../observability/metrics.ts';
import { RequestError, type Network } from '../interface.ts';
import { decodeStatus, encodeRangeRequest, type StatusMessage } from '../codec/sync.ts';

export type RangeMethod = 'bttc-blocks-by-range' | 'delivery-by-range';

export type VerifyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks `items` (claimed to start at `start`) against what we already hold: contiguity, parent
 * hashes, seals or commit signatures. May also store them; the cursor advances only on ok.
 */
export type RangeVerifier = (start: bigint, items: Uint8Array[], peer: string) => Promise<VerifyVerdict>;

export interface FetchRangeOptions {
  method: RangeMethod;
  /** Inclusive bounds. */
  from: bigint;
  to: bigint;
  verify: RangeVerifier;
  /** Peers to ask, in order of preference (default: every connected peer, rotating). */
  peers?: string[];
}

export interface FetchRangeResult {
  fetched: number;
  /** Peers whose items were accepted, in order. */
  servedBy: string[];
  failures: { peer: string; start: bigint; reason: string }[];
  penalised: string[];
}

export class SyncError extends Error {
  override name = 'SyncError';
  readonly result: FetchRangeResult;
  constructor(message: string, result: FetchRangeResult) {
    super(message);
    this.result = result;
  }
}

export interface RangeSyncOptions {
  maxItemsPerRequest?: number;
  timeoutMs?: number;
}

export class RangeSync {
  readonly #network: Network;
  readonly #log: Logger;
  readonly #maxItems: number;
  readonly #timeoutMs: number;
  readonly #items: Counter<string> | null;
  readonly #failuresMetric: Counter<string> | null;
  #rotate = 0;

  constructor(opts: RangeSyncOptions, deps: { network: Network; logger: Logger; metrics: Registry | null }) {
    this.#network = deps.network;
    this.#log = deps.logger;
    this.#maxItems = opts.maxItemsPerRequest ?? 64;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#items = deps.metrics ? counter(deps.metrics, 'bttc_p2p_sync_items_total', 'Items fetched by range sync and verified', ['method']) : null;
    this.#failuresMetric = deps.metrics ? counter(deps.metrics, 'bttc_p2p_sync_failures_total', 'Range sync requests that failed, by reason', ['method', 'reason']) : null;
  }

  async fetchRange(o: FetchRangeOptions): Promise<FetchRangeResult> {
    if (o.to < o.from) throw new RangeError(`fetchRange: to (${o.to}) < from (${o.from})`);
    const result: FetchRangeResult = { fetched: 0, servedBy: [], failures: [], penalised: [] };
    const banned = new Set<string>();
    // Peers that timed out or had nothing are asked last for the rest of this fetch.
    const demoted = new Set<string>();
    let cursor = o.from;
    while (cursor <= o.to) {
      const count = Number(o.to - cursor + 1n < BigInt(this.#maxItems) ? o.to - cursor + 1n : BigInt(this.#maxItems));
      const allowed = this.#candidates(o.peers).filter((p) => !banned.has(p));
      const candidates = [...allowed.filter((p) => !demoted.has(p)), ...allowed.filter((p) => demoted.has(p))];
      let advanced = false;
      for (const peer of candidates) {
        const fail = (reason: string, kind: string) => {
          result.failures.push({ peer, start: cursor, reason });
          this.#failuresMetric?.inc({ method: o.method, reason: kind });
          this.#log.debug({ peer, method: o.method, start: cursor.toString(), reason }, 'sync request failed');
        };
        let items: Uint8Array[];
        try {
          items = await this.#network.request(peer, o.method, encodeRangeRequest({ start: cursor, count }), { timeoutMs: this.#timeoutMs });
        } catch (err) {
          fail((err as Error).message, err instanceof RequestError ? err.code : 'error');
          demoted.add(peer);
          continue;
        }
        if (items.length === 0) {
          fail('peer has none of the range', 'empty');
          demoted.add(peer);
          continue;
        }
        if (items.length > count) {
          this.#punish(peer, `${o.method}: ${items.length} items for a request of ${count}`, banned, result);
          fail(`sent ${items.length} items, asked ${count}`, 'too-many');
          continue;
        }
        let verdict: VerifyVerdict;
        try {
          verdict = await o.verify(cursor, items, peer);
        } catch (err) {
          verdict = { ok: false, reason: `verifier threw: ${(err as Error).message}` };
        }
        if (!verdict.ok) {
          this.#punish(peer, `${o.method} from ${cursor}: ${verdict.reason}`, banned, result);
          fail(verdict.reason, 'invalid');
          continue;
        }
        cursor += BigInt(items.length);
        result.fetched += items.length;
        result.servedBy.push(peer);
        this.#items?.inc({ method: o.method }, items.length);
        advanced = true;
        break;
      }
      if (!advanced) throw new SyncError(`${o.method}: no peer served [${cursor}, ${o.to}] (${candidates.length} tried)`, result);
    }
    return result;
  }

  /** Asks each peer (default: all connected) for its status; peers that fail are left out. */
  async peerStatuses(peers = this.#network.connectedPeers()): Promise<{ peer: string; status: StatusMessage }[]> {
    const out = await Promise.all(
      peers.map(async (peer) => {
        try {
          const [item] = await this.#network.request(peer, 'status', new Uint8Array(0), { timeoutMs: this.#timeoutMs });
          const s = item ? decodeStatus(item) : null;
          return s?.ok ? { peer, status: s.value } : null;
        } catch {
          return null;
        }
      }),
    );
    return out.filter((x) => x !== null);
  }

  #candidates(explicit: string[] | undefined): string[] {
    if (explicit) return explicit;
    const peers = this.#network.connectedPeers();
    if (peers.length === 0) return [];
    const k = this.#rotate++ % peers.length;
    return [...peers.slice(k), ...peers.slice(0, k)];
  }

  #punish(peer: string, reason: string, banned: Set<string>, result: FetchRangeResult): void {
    banned.add(peer);
    result.penalised.push(peer);
    this.#network.penalize(peer, reason);
    this.#log.warn({ peer, reason }, 'sync peer served bad data');
  }
}
