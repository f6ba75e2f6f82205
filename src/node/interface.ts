/** What the composition root takes and what it reports about itself (the devnet's live status reads it over RPC). */
import type { NodeConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { ChainStore } from '../chain/store.ts';
import type { ExecutorApi } from '../evm/index.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import type { ConsensusState } from '../delivery/consensus/state.ts';
import type { BttcLayer } from '../bttc/layer.ts';
import type { NetworkClient } from '../p2p/index.ts';
import type { NodeSection } from './config.ts';
import type { NetworkGenesis } from './genesis.ts';
import type { ValidatorKeys } from './keys.ts';

/**
 * A validator signs (Bttc blocks when it is a producer, Delivery votes and proposals, checkpoints)
 * and submits checkpoints; a follower holds no key, signs nothing and only follows and serves.
 */
export type NodeRole = 'validator' | 'follower';

export interface BttcNodeOptions {
  config: NodeConfig;
  node: NodeSection;
  genesis: NetworkGenesis;
  /** The validator's keys; null runs a follower. */
  keys: ValidatorKeys | null;
}

export interface BttcNodeDeps {
  logger: Logger;
  metrics?: Registry | null;
}

/** What `start()` built: the running modules and the node's own reports. */
export interface RunningNode {
  readonly chain: ChainStore;
  readonly executor: ExecutorApi;
  readonly app: DeliveryApp;
  readonly layer: BttcLayer;
  readonly network: NetworkClient;
  /** The current engine: a Delivery range sync replaces it. */
  readonly consensus: ConsensusState;
  readonly rpcUrl: string;
  readonly restUrl: string;
  status(): NodeStatus;
  /** A range-sync round with `peers` (default all); joins one in flight. */
  sync(peers?: string[], minLead?: bigint): Promise<void>;
}

export interface NodeStatus {
  role: NodeRole;
  /** The signer address; null for a follower. */
  signer: string | null;
  peerId: string;
  peers: number;
  rpcUrl: string;
  restUrl: string;
  bttc: {
    head: number;
    headHash: string;
    /** Signer of the head block (the producer of the current sprint, or its backup). */
    headProducer: string | null;
    /** Seconds between the last two heads as this node saw them arrive. */
    lastBlockInterval: number | null;
    /** Over the last (up to) 10 blocks, chain time. */
    txPerSec: number;
    mgasPerSec: number;
    /** Transactions in the pool: executable now (pending) and waiting for an earlier nonce (queued). */
    txpool: number;
    txpoolPending: number;
    txpoolQueued: number;
    span: number;
    blocksSealed: number;
  };
  delivery: {
    height: number;
    /** Last height whose decisive precommits included ours (null: none since this process started). */
    lastSignedHeight: number | null;
    /** Blocks applied from peers' delivery-by-range answers since start. */
    syncedBlocks: number;
    checkpointProposer: string | null;
    checkpointsProposed: number;
    checkpointsApproved: number;
    checkpointsAcked: number;
    lastCheckpointEnd: number | null;
    /** The latest committed span (Bttc needs the next one by the last sprint of this one). */
    lastSpanId: number;
    /**
     * Work held back until a root chain answers, oldest first: `what` waits ("span 12 proposal")
     * and `reason` why ("root chain 2 unreachable since 12:01:03Z (ECONNREFUSED)"); `since` in ms.
     * Consensus goes on meanwhile. Empty when nothing waits.
     */
    waiting: { what: string; reason: string; since: number }[];
  };
}
