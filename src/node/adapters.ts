/**
 * The seams between modules built by different owners, in one place: Delivery's spans and clerk
 * records as the Bttc layer reads them, the Bttc chain as Delivery reads it, the consensus engine's
 * transport over libp2p gossip, and the gossip codec of a Bttc block.
 */
import { RLP } from '@ethereumjs/rlp';
import type { BttcLayerConfig } from '../config/types.ts';
import type { ChainStoreApi } from '../chain/interface.ts';
import type { DeliveryApp, CommittedBlock } from '../delivery/app/app.ts';
import type { BttcHeaderReader, SpanSeedSource } from '../delivery/app/interface.ts';
import type { ConsensusTransport } from '../delivery/consensus/interface.ts';
import { spanFromJson, type SpanJson } from '../protocol/span/span.ts';
import type { NetworkBlock } from '../bttc/layer.ts';
import { decodeHeader, encodeHeader } from '../bttc/engine/header.ts';
import type { SpanRecord, SpanSource, StateSyncRecord, StateSyncSource } from '../bttc/system/types.ts';
import type { Network } from '../p2p/interface.ts';
import type { RootChainClient } from '../root/interface.ts';
import { hexToBytes } from '../util/bytes.ts';
import type { Logger } from '../observability/logger.ts';

// ---- Bttc block on the wire ------------------------------------------------------------------

/** rlp([header, [tx…]]): senders are never sent, peers recover them in their verify pool. */
export function encodeNetworkBlock(b: NetworkBlock): Uint8Array {
  return RLP.encode([encodeHeader(b.header), b.txs]);
}

export function decodeNetworkBlock(bytes: Uint8Array): NetworkBlock {
  const d = RLP.decode(bytes) as unknown;
  if (!Array.isArray(d) || d.length !== 2 || !(d[0] instanceof Uint8Array) || !Array.isArray(d[1])) throw new Error('bttc block: expected rlp([header, [txs]])');
  const txs = d[1] as unknown[];
  if (!txs.every((t) => t instanceof Uint8Array)) throw new Error('bttc block: transactions must be byte strings');
  return { header: decodeHeader(d[0]), txs: txs as Uint8Array[] };
}

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
      return recs.map((r) => ({ id: BigInt(r.id), time: BigInt(r.recordTime), contract: hexToBytes(r.contract), data: hexToBytes(r.data), txHash: hexToBytes(r.txHash), logIndex: BigInt(r.logIndex), chainId: String(bttcChainId) }));
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
 * the chain's client (TRON's HTTP API has no eth_getBlockByNumber). Null while the chain cannot
 * answer, or without a seed chain: the validator then abstains on the span.
 */
export function rootSpanSeed(client: Pick<RootChainClient, 'blockHash' | 'rootChainId'> | null, logger: Logger | null): SpanSeedSource {
  return async (spanId) => {
    if (!client) return null;
    try {
      const hash = await client.blockHash(spanId);
      return hash ? hexToBytes(hash) : null;
    } catch (err) {
      logger?.warn({ rootChainId: client.rootChainId, block: spanId, err: (err as Error).message }, 'span seed: root chain block hash unavailable');
      return null;
    }
  };
}

// ---- consensus over gossip ----------------------------------------------------------------------

const PROPOSAL = 0x01;
const BUNDLE = 0x04;
const DIRECT = 1;

/**
 * Consensus messages on the two Delivery topics. Each send carries a fresh 8-byte sequence: the
 * engine re-sends its own messages every gossip interval because gossip is lossy, and without it
 * gossipsub's seen-cache would drop every resend as a duplicate. `sendTo` (catch-up) has no direct
 * channel in gossip: it is published with the target's peer id, and only the target consumes it.
 *
 * frame: mode u8 (0 broadcast, 1 direct) ‖ seq u64 ‖ [len u8 ‖ target peer id] ‖ consensus message
 */
export class GossipConsensusTransport implements ConsensusTransport {
  private readonly network: Network;
  private readonly logger: Logger | null;
  private seq = BigInt(Date.now()) << 16n;
  private readonly handlers = new Set<(from: string, data: Uint8Array) => void>();

  constructor(network: Network, logger: Logger | null) {
    this.network = network;
    this.logger = logger;
    const onMsg = (msg: { from: string; data: Uint8Array }) => {
      const d = msg.data;
      if (d.length < 10) return 'reject' as const;
      let off = 9;
      if (d[0] === DIRECT) {
        const len = d[9]!;
        const target = new TextDecoder().decode(d.subarray(10, 10 + len));
        off = 10 + len;
        if (target !== this.network.peerId) return 'accept' as const;
      } else if (d[0] !== 0) return 'reject' as const;
      const body = d.slice(off);
      if (body.length === 0) return 'reject' as const;
      for (const h of this.handlers) h(msg.from, body);
      return 'accept' as const;
    };
    network.subscribe('delivery-proposal', onMsg, { concurrency: 1 });
    network.subscribe('delivery-vote', onMsg, { concurrency: 1 });
  }

  get peerId(): string {
    return this.network.peerId;
  }

  private frame(mode: number, data: Uint8Array, target?: string): Uint8Array {
    const t = target ? new TextEncoder().encode(target) : new Uint8Array(0);
    const out = new Uint8Array(9 + (target ? 1 + t.length : 0) + data.length);
    out[0] = mode;
    new DataView(out.buffer).setBigUint64(1, this.seq++);
    let off = 9;
    if (target) {
      out[9] = t.length;
      out.set(t, 10);
      off = 10 + t.length;
    }
    out.set(data, off);
    return out;
  }

  private send(framed: Uint8Array, msgKind: number): void {
    const kind = msgKind === PROPOSAL || msgKind === BUNDLE ? 'delivery-proposal' : 'delivery-vote';
    this.network.publish(kind, framed).catch((err: unknown) => this.logger?.debug({ err: (err as Error).message }, 'consensus publish failed'));
  }

  broadcast(data: Uint8Array): void {
    this.send(this.frame(0, data), data[0]!);
  }

  sendTo(peerId: string, data: Uint8Array): void {
    this.send(this.frame(DIRECT, data, peerId), data[0]!);
  }

  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

export type { BttcLayerConfig };
