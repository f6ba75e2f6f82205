/**
 * Node-level sync policy: when to range-sync, from whom, and what to do around it (Delivery first,
 * consensus paused while Delivery blocks are applied). The transport — requests, chunking, peer
 * penalties — is src/p2p/sync; this folder decides and verifies. Each piece names the narrow view of
 * the modules it reads, so tests hand in fakes and the Bttc and Delivery layers stay unaware of it.
 */
import type { ImportResult, NetworkBlock } from '../bttc/layer.ts';
import type { StatusMessage } from '../p2p/codec/sync.ts';
import type { FetchRangeOptions, FetchRangeResult } from '../p2p/sync/rangeSync.ts';

/** A connected peer and the status it answered with. */
export interface PeerStatus {
  peer: string;
  status: StatusMessage;
}

/** What range sync asks of the transport (src/p2p/sync/rangeSync.ts). */
export interface RangeFetcher {
  peerStatuses(peers?: string[]): Promise<PeerStatus[]>;
  fetchRange(o: FetchRangeOptions): Promise<FetchRangeResult>;
}

export interface PeerList {
  connectedPeers(): string[];
}

/** The Bttc chain as sync reads it. */
export interface BttcChainView {
  head(): { number: bigint };
  genesisHash(): Uint8Array;
}

/** The Bttc layer as sync feeds it: the same door gossip uses. */
export interface BlockImporter {
  importBlock(block: NetworkBlock): Promise<ImportResult>;
}

/** The Delivery application as its range sync drives it. */
export interface DeliverySyncTarget {
  readonly height: number;
  /** Resolves when every commit handed to the app has been applied. */
  whenCommitsSettled(): Promise<void>;
  /** Checks and applies one block+commit from a peer; a reason when it does not verify. */
  applySynced(item: Uint8Array): Promise<string | null>;
}

/**
 * Stops the Delivery consensus engine and starts a new one at the app's next height, so the engine
 * and a range sync never commit the same height.
 */
export interface ConsensusRestarter {
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface BttcSync {
  /** Fetches and imports Bttc blocks from the peers at least `minLead` blocks ahead of our head. */
  run(statuses: PeerStatus[], minLead: bigint): Promise<void>;
}

export interface DeliverySync {
  /** Closes a Delivery gap wider than the configured lag; true when blocks were applied. */
  run(statuses: PeerStatus[]): Promise<boolean>;
  /** Blocks applied from peers since start (reported in the node status). */
  readonly syncedBlocks: number;
}
