/**
 * Range sync of Delivery blocks and their commits when a peer is more than `lag` heights ahead
 * (further than consensus' own catch-up can be relied on). Consensus is stopped while the blocks are
 * applied, so the engine and the sync never commit the same height, and restarted at the height
 * after the last applied one.
 */
import type { Logger } from '../observability/logger.ts';
import { equalBytes } from '../util/bytes.ts';
import type { ConsensusRestarter, DeliverySync, DeliverySyncTarget, PeerList, PeerStatus, RangeFetcher } from './interface.ts';

/** Fetch rounds per run: the peers keep deciding heights while we fetch. */
const MAX_PASSES = 16;

export interface DeliveryRangeSyncOptions {
  /** Heights a peer must be ahead before we range-sync instead of trusting consensus catch-up. */
  lag: number;
}

export interface DeliveryRangeSyncDeps {
  app: DeliverySyncTarget;
  consensus: ConsensusRestarter;
  rangeSync: RangeFetcher;
  peers: PeerList;
  /** Our Bttc genesis hash: peers of another network are not asked. */
  genesisHash: () => Uint8Array;
  logger: Logger;
}

export class DeliveryRangeSync implements DeliverySync {
  private readonly lag: bigint;
  private readonly deps: DeliveryRangeSyncDeps;
  private applied = 0;

  constructor(opts: DeliveryRangeSyncOptions, deps: DeliveryRangeSyncDeps) {
    this.lag = BigInt(opts.lag);
    this.deps = deps;
  }

  get syncedBlocks(): number {
    return this.applied;
  }

  async run(statuses: PeerStatus[]): Promise<boolean> {
    const { app, consensus, rangeSync, peers, logger } = this.deps;
    const genesis = this.deps.genesisHash();
    const startedAt = app.height;
    let paused = false;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const ours = BigInt(app.height);
        // Once paused, close the gap completely: consensus resumes at our next height.
        const ahead = statuses
          .filter((s) => equalBytes(s.status.genesisHash, genesis) && s.status.deliveryHeight > ours + (paused ? 1n : this.lag))
          .sort((a, b) => (b.status.deliveryHeight > a.status.deliveryHeight ? 1 : -1));
        const best = ahead[0];
        if (!best) break;
        if (!paused) {
          await consensus.stop();
          await app.whenCommitsSettled();
          paused = true;
        }
        const from = BigInt(app.height + 1);
        const to = best.status.deliveryHeight;
        logger.info({ from: String(from), to: String(to), peers: ahead.length }, 'syncing delivery blocks');
        await rangeSync.fetchRange({
          method: 'delivery-by-range',
          from,
          to,
          peers: ahead.map((s) => s.peer),
          verify: async (_start, items) => {
            for (const [i, item] of items.entries()) {
              const why = await app.applySynced(item);
              if (why) return { ok: false, reason: `item ${i}: ${why}` };
              this.applied++;
            }
            return { ok: true };
          },
        });
        // The peers moved on while we fetched: ask again, and close the rest of the gap before consensus resumes.
        statuses = await rangeSync.peerStatuses(peers.connectedPeers());
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message, height: app.height }, 'delivery sync ended early');
    } finally {
      if (paused) {
        await app.whenCommitsSettled();
        await consensus.restart();
        logger.info({ from: startedAt, height: app.height, applied: app.height - startedAt }, 'delivery synced; consensus resumed');
      }
    }
    return app.height > startedAt;
  }
}
