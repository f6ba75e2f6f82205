/**
 * When the node range-syncs: once at start, on a timer as the safety net behind gossip, and when a
 * gossiped block's parent is unknown (only from the peer that sent it). One round runs at a time; a
 * request during a round joins it. A round syncs Delivery first (Bttc blocks of a new span can only
 * be checked once the span is committed), then Bttc.
 *
 * The tick's rule: a peer one block ahead is the normal state right after its own seal, while the
 * block is still crossing gossip and our import; range-fetching then would have every node pull the
 * producer's last 8 full blocks every few seconds, just when the producer is busiest. So the tick
 * syncs only when a peer is two or more blocks ahead, or when our head has not moved since the
 * previous tick (a slot passed with nothing arriving).
 *
 * While the head keeps moving, gossip is evidently feeding us, so the tick asks peers for their
 * status only every `movingEvery`-th tick: each round opens a request stream to every peer (and
 * every peer does the same to us), which was most of an idle validator's network work. A stalled
 * head, the first tick and any unknown-parent request still sync at once.
 */
import type { Logger } from '../observability/logger.ts';
import type { BttcChainView, BttcSync, DeliverySync, PeerList, RangeFetcher } from './interface.ts';

export interface SyncSchedulerOptions {
  intervalMs: number;
  /** While our head moves between ticks, run a round only every this many ticks (default 4; 1 = every tick). */
  movingEvery?: number;
}

export interface SyncSchedulerDeps {
  peers: PeerList;
  rangeSync: Pick<RangeFetcher, 'peerStatuses'>;
  chain: Pick<BttcChainView, 'head'>;
  bttc: BttcSync;
  delivery: DeliverySync;
  logger: Logger;
}

export class SyncScheduler {
  private readonly opts: SyncSchedulerOptions;
  private readonly deps: SyncSchedulerDeps;
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private headAtLastTick = -1n;
  /** Ticks skipped in a row because the head was moving. */
  private skipped = 0;

  constructor(opts: SyncSchedulerOptions, deps: SyncSchedulerDeps) {
    this.opts = opts;
    this.deps = deps;
  }

  /** One sync round with `peers` (default: every connected peer, and Delivery too); joins a round already running. */
  sync(peers?: string[], minLead = 1n): Promise<void> {
    this.syncing ??= this.syncOnce(peers, minLead).finally(() => (this.syncing = null));
    return this.syncing;
  }

  /** The periodic round, under the two-ahead-or-stalled rule. */
  tick(): Promise<void> {
    const ours = this.deps.chain.head().number;
    const first = this.headAtLastTick < 0n;
    const stalled = ours === this.headAtLastTick;
    this.headAtLastTick = ours;
    if (!first && !stalled && ++this.skipped < (this.opts.movingEvery ?? 4)) return Promise.resolve();
    this.skipped = 0;
    return this.sync(undefined, stalled ? 1n : 2n);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.opts.intervalMs);
  }

  /** Stops the timer and waits for a round in flight. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.syncing;
  }

  private async syncOnce(only: string[] | undefined, minLead: bigint): Promise<void> {
    const { peers, rangeSync, bttc, delivery, logger } = this.deps;
    try {
      let statuses = await rangeSync.peerStatuses(only ?? peers.connectedPeers());
      if (!only && (await delivery.run(statuses))) statuses = await rangeSync.peerStatuses(peers.connectedPeers());
      await bttc.run(statuses, minLead);
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'sync round ended early');
    }
  }
}
