/**
 * The node's Bttc gossip: what it does with a block or a transaction batch a peer sent, and how it
 * sends its own blocks and the transactions it was given. Validation results steer gossipsub:
 * 'accept' relays, 'reject' relays nothing and lowers the sender's score, 'ignore' only drops.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { counter } from '../observability/metrics.ts';
import type { ImportResult, NetworkBlock } from '../bttc/layer.ts';
import type { GossipHandler, Network, ValidationResult } from '../p2p/interface.ts';
import { decodeNetworkBlock, encodeNetworkBlock } from '../p2p/codec/block.ts';
import { decodeTxBatch, encodeTxBatch, MAX_TXS_PER_BATCH, txEpoch } from '../p2p/codec/txBatch.ts';
import { checkTxBatch, type TxCheckDeps } from './tx-gossip-check.ts';
import type { DecodedTx } from '../bttc/txpool/tx.ts';

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

export interface TxGossipDeps extends TxCheckDeps {
  intake: { addChecked(txs: { tx: DecodedTx; sender: Uint8Array }[]): Promise<readonly { ok: boolean }[]> };
  metrics?: Registry | null;
  logger?: Logger;
}

/**
 * Incoming `bttc-tx`: every transaction is checked first (tx-gossip-check.ts); one junk transaction
 * rejects the batch, which then neither reaches the pool nor travels further. A clean batch goes
 * to the pool (what we do not hold yet) and is relayed when the pool took at least one of its
 * transactions; when it took none (all known, nonces used, pool full, underpriced), it is ignored:
 * nothing new to pass on, and an honest peer that lags behind us is not punished for it.
 */
export function txGossipHandler(deps: TxGossipDeps): GossipHandler {
  const checked = deps.metrics ? counter(deps.metrics, 'bttc_tx_gossip_checked_total', 'Gossiped transaction batches checked before relay, by verdict and reason', ['verdict', 'reason']) : null;
  const verdict = (v: ValidationResult, reason: string): ValidationResult => {
    checked?.inc({ verdict: v, reason });
    return v;
  };
  return async (m) => {
    const d = decodeTxBatch(m.data);
    if (!d.ok) return verdict('reject', 'malformed-batch');
    const c = await checkTxBatch(d.value, deps);
    if (c.verdict === 'reject') {
      deps.logger?.debug({ from: m.from, reason: c.reason, index: c.index, txs: d.value.length }, 'tx batch rejected');
      return verdict('reject', c.reason);
    }
    if (c.fresh.length === 0) return verdict('ignore', Object.keys(c.skipped)[0] ?? 'empty');
    // Decoded and recovered once, in the check (from copies, not views into the message).
    const res = await deps.intake.addChecked(c.fresh);
    return res.some((r) => r.ok) ? verdict('accept', 'ok') : verdict('ignore', 'not-added');
  };
}

/** Outgoing `bttc-block`: a block this node sealed. */
export function blockPublisher(deps: { network: Pick<Network, 'publish'>; logger: Logger }): (b: NetworkBlock) => void {
  return (b) => {
    // Failures are counted and, unless no peer is subscribed yet, logged by the network client.
    deps.network.publish('bttc-block', encodeNetworkBlock(b)).catch((err: Error) => deps.logger.debug({ err: err.message }, 'block publish failed'));
  };
}

/**
 * Outgoing `bttc-tx`: transactions queued within TX_FLUSH_MS go out together, in batches of at most
 * MAX_TXS_PER_BATCH; a full batch goes at once. Batches carry the send epoch (codec/txBatch.ts), so
 * re-announcing the same transactions later is a new message, not a duplicate the seen cache drops.
 *
 * With no peer connected a transaction is not handed to the network at all (encoding the batch and
 * posting it to the network worker cost a lone validator ≈ 0.08 ms a transaction for nothing). It is
 * not lost to peers that come later: on every new connection TxRebroadcaster announces the best
 * pending transactions of the pool, and unincluded ones are re-announced every interval.
 */
export class TxGossipBatcher {
  private readonly network: Pick<Network, 'publish' | 'connectedPeers'>;
  private readonly logger: Logger | null;
  private readonly now: () => number;
  private readonly skipped: ReturnType<typeof counter> | null;
  private queued: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(deps: { network: Pick<Network, 'publish' | 'connectedPeers'>; logger?: Logger | null; metrics?: Registry | null; now?: () => number }) {
    this.network = deps.network;
    this.logger = deps.logger ?? null;
    this.now = deps.now ?? Date.now;
    this.skipped = deps.metrics ? counter(deps.metrics, 'bttc_tx_gossip_skipped_total', 'Transactions not handed to the network for gossip because no peer was connected') : null;
  }

  queue(raw: Uint8Array): void {
    if (this.network.connectedPeers().length === 0) {
      this.skipped?.inc();
      return;
    }
    this.queued.push(raw);
    if (this.queued.length >= MAX_TXS_PER_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), TX_FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const out = this.queued;
    this.queued = [];
    const epoch = txEpoch(this.now());
    for (let i = 0; i < out.length; i += MAX_TXS_PER_BATCH) {
      // Failures are counted and, unless no peer is subscribed yet, logged by the network client.
      this.network.publish('bttc-tx', encodeTxBatch(out.slice(i, i + MAX_TXS_PER_BATCH), epoch)).catch((err: Error) => this.logger?.debug({ err: err.message }, 'tx batch publish failed'));
    }
  }

  /** Drops the pending flush timer (what is queued is not sent: the network closes next). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
