/**
 * Range sync of Bttc blocks: from the peers of our network at least `minLead` blocks ahead, fetch
 * up to 512 blocks starting a few behind our head, and import each through the layer (the same
 * checks as a gossiped block). A block that does not import fails the chunk, and the transport
 * penalises the peer that sent it.
 */
import type { Logger } from '../observability/logger.ts';
import type { NetworkBlock } from '../bttc/layer.ts';
import { headerHash } from '../bttc/engine/header.ts';
import { decodeNetworkBlock } from '../p2p/codec/block.ts';
import type { VerifyVerdict } from '../p2p/sync/rangeSync.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import type { BlockImporter, BttcChainView, BttcSync, PeerStatus, RangeFetcher } from './interface.ts';

/** Our newest blocks may be on a branch the peers dropped: a fetch starts this many back. */
const REWIND = 7n;
/** Blocks fetched per round at most; the next tick takes the rest. */
const MAX_RANGE = 512n;

export interface BttcRangeSyncDeps {
  chain: BttcChainView;
  layer: BlockImporter;
  rangeSync: Pick<RangeFetcher, 'fetchRange'>;
  logger: Logger;
}

export class BttcRangeSync implements BttcSync {
  private readonly deps: BttcRangeSyncDeps;

  constructor(deps: BttcRangeSyncDeps) {
    this.deps = deps;
  }

  async run(statuses: PeerStatus[], minLead: bigint): Promise<void> {
    const { chain, rangeSync, logger } = this.deps;
    const ahead = peersAhead(statuses, chain.genesisHash(), chain.head().number + minLead);
    const best = ahead[0];
    if (!best) return;
    const ours = chain.head().number;
    const from = ours > REWIND + 1n ? ours - REWIND : 1n;
    const to = best.status.bttcHead < from + MAX_RANGE - 1n ? best.status.bttcHead : from + MAX_RANGE - 1n;
    logger.info({ from: String(from), to: String(to), peers: ahead.length }, 'syncing bttc blocks');
    await rangeSync.fetchRange({ method: 'bttc-blocks-by-range', from, to, peers: ahead.map((s) => s.peer), verify: (start, items) => this.importRange(start, items) });
  }

  private async importRange(start: bigint, items: Uint8Array[]): Promise<VerifyVerdict> {
    for (const [i, item] of items.entries()) {
      let b: NetworkBlock;
      try {
        b = decodeNetworkBlock(item);
      } catch (err) {
        return { ok: false, reason: `item ${i}: ${(err as Error).message}` };
      }
      if (b.header.number !== start + BigInt(i)) return { ok: false, reason: `item ${i} is block ${b.header.number}, expected ${start + BigInt(i)}` };
      const r = await this.deps.layer.importBlock(b);
      if (r.status === 'rejected' || r.status === 'unknown-parent')
        return { ok: false, reason: `block ${b.header.number} ${bytesToHex(headerHash(b.header))}: ${r.status === 'rejected' ? r.code + ': ' + r.reason : r.reason}` };
    }
    return { ok: true };
  }
}

/** Peers on our network whose head is at least `atLeast`, furthest first. */
export function peersAhead(statuses: PeerStatus[], genesis: Uint8Array, atLeast: bigint): PeerStatus[] {
  return statuses.filter((s) => equalBytes(s.status.genesisHash, genesis) && s.status.bttcHead >= atLeast).sort((a, b) => (b.status.bttcHead > a.status.bttcHead ? 1 : -1));
}
