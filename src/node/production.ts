/**
 * The last step of a start: the sync loop runs, the node catches up once, then the Bttc layer may
 * seal and local pool transactions that sit unincluded are announced again (geth-like nodes resend
 * local ones).
 */
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { BttcLayer } from '../bttc/layer.ts';
import type { SyncScheduler } from '../sync/sync-scheduler.ts';
import { MAX_TXS_PER_BATCH } from '../p2p/codec/txBatch.ts';
import { TxRebroadcaster } from './txRebroadcast.ts';
import type { startNetwork } from './network-wiring.ts';

/** A pool transaction not included for this long is announced again. */
const TX_REBROADCAST_MS = 30_000;

export async function startProduction(deps: {
  sync: SyncScheduler;
  layer: BttcLayer;
  txGossip: Awaited<ReturnType<typeof startNetwork>>['txGossip'];
  peers: ConstructorParameters<typeof TxRebroadcaster>[1]['peers'];
  metrics: Registry;
  logger: Logger;
  onClose: (name: string, close: () => Promise<void> | void) => void;
}): Promise<void> {
  const { sync, layer, txGossip, onClose } = deps;
  sync.start();
  onClose('sync', () => sync.close());
  onClose('tx gossip', () => txGossip.close());
  await sync.sync();
  layer.start();
  const rebroadcast = new TxRebroadcaster(
    { intervalMs: TX_REBROADCAST_MS, maxPerRound: MAX_TXS_PER_BATCH * 4 },
    { pool: layer.txpool, publish: (raws) => raws.forEach((r) => txGossip.queue(r)), peers: deps.peers, metrics: deps.metrics, logger: deps.logger },
  );
  rebroadcast.start();
  onClose('tx rebroadcast', () => rebroadcast.stop());
}
