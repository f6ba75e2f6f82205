/**
 * The node's Bttc gossip: what it does with a block or a transaction batch a peer sent, and how it
 * sends its own blocks and the transactions it was given. Validation results steer gossipsub:
 * 'accept' relays, 'reject' relays nothing and lowers the sender's score, 'ignore' only drops.
 */
import type { Logger } from '../observability/logger.ts';
import type { ImportResult, NetworkBlock } from '../bttc/layer.ts';
import type { GossipHandler, Network, ValidationResult } from '../p2p/interface.ts';
import { decodeNetworkBlock, encodeNetworkBlock } from '../p2p/codec/block.ts';
import { decodeTxBatch, encodeTxBatch, MAX_TXS_PER_BATCH } from '../p2p/codec/txBatch.ts';
import type { TxSink } from '../rpc/interface.ts';

/** A batch waits this long for more transactions before it is published. */
const TX_FLUSH_MS = 20;

export interface BlockGossipDeps {
  layer: { importBlock(block: NetworkBlock): Promise<ImportResult> };
  /** Range sync from the given peers (a block whose parent we lack means we are behind them). */
  sync: (peers: string[]) => Promise<void>;
}

/** Incoming `bttc-block`: import it; relay what imported. */
export function blockGossipHandler(deps: BlockGossipDeps): GossipHandler {
  return async (m): Promise<ValidationResult> => {
    let block: NetworkBlock;
    try {
      block = decodeNetworkBlock(m.data);
    } catch {
      return 'reject';
    }
    const r = await deps.layer.importBlock(block);
    if (r.status === 'rejected') {
      // A block too far in the future or from a producer we cannot place yet may be our lag, not the peer's lie.
      return r.code === 'execution' || r.code === 'bad-transaction' || r.code === 'bad-seal' ? 'reject' : 'ignore';
    }
    if (r.status === 'unknown-parent') {
      void deps.sync([m.from]);
      return 'ignore';
    }
    return 'accept';
  };
}

/** Incoming `bttc-tx`: a well-formed batch goes to the pool and is relayed, whatever the pool makes of each transaction. */
export function txGossipHandler(deps: { intake: { add(raws: Uint8Array[]): Promise<unknown> } }): GossipHandler {
  return async (m) => {
    const d = decodeTxBatch(m.data);
    if (!d.ok) return 'reject';
    // Copies: the decoded views point into the gossip message's buffer.
    await deps.intake.add(d.value.map((t) => t.slice()));
    return 'accept';
  };
}

/** Outgoing `bttc-block`: a block this node sealed. */
export function blockPublisher(deps: { network: Pick<Network, 'publish'>; logger: Logger }): (b: NetworkBlock) => void {
  return (b) => {
    deps.network.publish('bttc-block', encodeNetworkBlock(b)).catch((err: Error) => deps.logger.debug({ err: err.message }, 'block publish failed'));
  };
}

/**
 * Outgoing `bttc-tx`: transactions queued within TX_FLUSH_MS go out together, in batches of at most
 * MAX_TXS_PER_BATCH; a full batch goes at once.
 */
export class TxGossipBatcher {
  private readonly network: Pick<Network, 'publish'>;
  private queued: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(deps: { network: Pick<Network, 'publish'> }) {
    this.network = deps.network;
  }

  queue(raw: Uint8Array): void {
    this.queued.push(raw);
    if (this.queued.length >= MAX_TXS_PER_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), TX_FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const out = this.queued;
    this.queued = [];
    for (let i = 0; i < out.length; i += MAX_TXS_PER_BATCH) {
      this.network.publish('bttc-tx', encodeTxBatch(out.slice(i, i + MAX_TXS_PER_BATCH))).catch(() => undefined);
    }
  }

  /** Drops the pending flush timer (what is queued is not sent: the network closes next). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The RPC's `eth_sendRawTransaction` door: into our pool, then out to peers. */
export function gossipingTxSink(sink: TxSink, batcher: Pick<TxGossipBatcher, 'queue'>): TxSink {
  // Spread, not a new object with one method: everything else the pool sink answers (the pending
  // nonce for eth_getTransactionCount "pending") must stay reachable through the wrapper.
  return {
    ...sink,
    sendRawTransaction: async (raw) => {
      const hash = await sink.sendRawTransaction(raw);
      batcher.queue(raw);
      return hash;
    },
  };
}
