/**
 * The seams between modules built by different owners, in one place: Delivery's spans and clerk
 * records as the Bttc layer reads them, the Bttc chain as Delivery reads it, and the root chain's
 * block hashes as Delivery's span seed. (The consensus transport is in consensus-transport.ts, the
 * Bttc block codec in src/p2p/codec/block.ts.)
 */
import type { BttcLayerConfig } from '../config/types.ts';
import type { ChainStoreApi } from '../chain/interface.ts';
import type { DeliveryApp, CommittedBlock } from '../delivery/app/app.ts';
import type { BttcHeaderReader } from '../delivery/app/interface.ts';
import { SeedUnreachableError, type NamedSeedSource } from '../delivery/modules/span/seed.ts';
import { spanFromJson, type SpanJson } from '../protocol/span/span.ts';
import type { SpanRecord, SpanSource, StateSyncRecord, StateSyncSource } from '../bttc/system/types.ts';
import type { RootChainClient } from '../root/interface.ts';
import { hexToBytes } from '../util/bytes.ts';
import type { Logger } from '../observability/logger.ts';

// ---- Delivery → Bttc ----------------------------------------------------------------------------

export function spanRecordFromJson(j: SpanJson): SpanRecord {
  const s = spanFromJson(j);
  const minimal = (v: { id: number; votingPower: bigint; signer: string }) => ({ id: BigInt(v.id), power: v.votingPower, signer: hexToBytes(v.signer) });
  return { id: s.id, startBlock: s.startBlock, endBlock: s.endBlock, validators: s.validatorSet.validators().map(minimal), producers: s.selectedProducers.map(minimal) };
}

/**
 * Bttc reads spans synchronously (header checks run per block); Delivery stores them in LevelDB. The
 * cache is filled at start with every stored span and then from each committed Delivery block.
 */
export class SpanCache implements SpanSource {
  private readonly spans = new Map<number, SpanRecord>();

  static async load(app: DeliveryApp): Promise<SpanCache> {
    const c = new SpanCache();
    for (let id = 0; id <= app.lastSpanId; id++) {
      const j = await app.getSpanJson(id);
      if (j) c.spans.set(id, spanRecordFromJson(j));
    }
    app.onCommitted((b: CommittedBlock) => {
      for (const j of b.spans) c.spans.set(j.id, spanRecordFromJson(j));
    });
    return c;
  }

  spanById(id: number): SpanRecord | undefined {
    return this.spans.get(id);
  }

  get lastId(): number {
    return Math.max(-1, ...this.spans.keys());
  }
}

/** Bor's FetchStateSyncEvents over Delivery's clerk records. */
export function stateSyncSource(app: DeliveryApp, bttcChainId: number): StateSyncSource {
  return {
    async recordsFrom(fromId: bigint, toTime: bigint): Promise<StateSyncRecord[]> {
      const recs = await app.eventRecords(Number(fromId), Number(toTime), 100);
      return recs.map((r) => ({
        id: BigInt(r.id),
        time: BigInt(r.recordTime),
        contract: hexToBytes(r.contract),
        data: hexToBytes(r.data),
        txHash: hexToBytes(r.txHash),
        logIndex: BigInt(r.logIndex),
        chainId: String(bttcChainId),
      }));
    },
  };
}

// ---- Bttc → Delivery ----------------------------------------------------------------------------

export function bttcHeaderReader(chain: ChainStoreApi): BttcHeaderReader {
  return {
    latestNumber: () => Number(chain.head().number),
    async headers(from, to) {
      if (from > to || to > Number(chain.head().number)) return null;
      const out = [];
      for (let n = from; n <= to; n++) {
        const h = await chain.getHeaderByNumber(BigInt(n));
        if (!h) return null;
        out.push({ number: n, timestamp: Number(h.time), txRoot: h.txRoot, receiptsRoot: h.receiptRoot });
      }
      return out;
    },
  };
}

// ---- root chain → Delivery ---------------------------------------------------------------------

/**
 * BTTC seeds span k's producer draw with the hash of block #k of its seed root chain, asked through
 * the chain's client (TRON's HTTP API has no eth_getBlockByNumber). Resolves null while the chain
 * has no such block, or without a seed chain; rejects with a SeedUnreachableError naming the chain
 * and the cause (ECONNREFUSED, a timeout) when it cannot ask, so the span module can say why the
 * next span waits. Each ask gets `timeoutMs` (TRON's client has no timeout of its own). The span
 * module bounds how long consensus waits, caches the answer and retries (modules/span/seed.ts).
 */
export function rootSpanSeed(client: Pick<RootChainClient, 'blockHash' | 'rootChainId'> | null, logger: Logger | null, opts: { timeoutMs?: number } = {}): NamedSeedSource {
  const label = client ? `root chain ${client.rootChainId}` : 'the seed chain (none configured)';
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const seed = async (spanId: number): Promise<Uint8Array | null> => {
    if (!client) return null;
    let hash: string | null;
    try {
      hash = await withTimeout(client.blockHash(spanId), timeoutMs);
    } catch (err) {
      const detail = errorDetail(err);
      logger?.debug({ rootChainId: client.rootChainId, block: spanId, err: detail }, 'span seed: root chain block hash unavailable');
      throw new SeedUnreachableError(label, detail);
    }
    return hash ? hexToBytes(hash) : null;
  };
  return Object.assign(seed, { label });
}

/** The short cause of a client error: a Node errno code (ECONNREFUSED), ethers' short message, or the message. */
function errorDetail(err: unknown): string {
  const e = err as { code?: unknown; shortMessage?: unknown; message?: unknown };
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (typeof e.shortMessage === 'string') return e.shortMessage;
  return typeof e.message === 'string' ? e.message.slice(0, 200) : String(err);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export type { BttcLayerConfig };
