/**
 * What the node reports about itself (`bttcnode_status`, the devnet's live view) and its node-level
 * gauges. Heads are sampled as they change, so block intervals are the ones this node saw, not the
 * header times; counters follow sealed blocks, committed Delivery blocks and our consensus votes.
 */
import type { Logger } from '../observability/logger.ts';
import { counter, gauge, type Registry } from '../observability/metrics.ts';
import type { ChainStoreApi } from '../chain/interface.ts';
import type { BttcLayer, NetworkBlock } from '../bttc/layer.ts';
import type { CommittedBlock, DeliveryApp } from '../delivery/app/app.ts';
import { TxType } from '../delivery/app/types.ts';
import type { CommitEvent } from '../delivery/consensus/state.ts';
import type { NetworkClient } from '../p2p/index.ts';
import { spanIdForBlock, type SpanParams } from '../protocol/span/span.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';
import type { NodeRole, NodeStatus } from './interface.ts';

/** Heads kept; rates are over the last 10 intervals. */
const HEAD_SAMPLES = 32;
const RATE_WINDOW = 11;

interface HeadSample {
  number: number;
  time: number;
  seenAt: number;
  gasUsed: bigint;
  txs: number;
}

export interface NodeStatusOptions {
  role: NodeRole;
  /** Our signer address; null for a follower. */
  signer: Uint8Array | null;
  spans: SpanParams;
}

export interface NodeStatusDeps {
  chain: Pick<ChainStoreApi, 'head' | 'getBody'>;
  logger: Logger;
}

/** The parts built after the tracker that a report reads. */
export interface StatusSources {
  layer: Pick<BttcLayer, 'signers' | 'txpool'>;
  network: Pick<NetworkClient, 'peerId' | 'connectedPeers'>;
  app: Pick<DeliveryApp, 'height' | 'checkpointProposer' | 'ackCount' | 'lastCheckpointEnd' | 'lastSpanId' | 'waiting'>;
  rpcUrl: string;
  restUrl: string;
  syncedBlocks: number;
}

interface NodeGauges {
  height: ReturnType<typeof gauge>;
  peers: ReturnType<typeof gauge>;
  deliveryHeight: ReturnType<typeof gauge>;
  checkpoints: ReturnType<typeof counter>;
}

export class NodeStatusTracker {
  private readonly opts: NodeStatusOptions;
  private readonly deps: NodeStatusDeps;
  private readonly heads: HeadSample[] = [];
  private readonly counts = { proposed: 0, approved: 0, sealed: 0 };
  private lastSignedHeight: number | null = null;
  private m: NodeGauges | null = null;

  constructor(opts: NodeStatusOptions, deps: NodeStatusDeps) {
    this.opts = opts;
    this.deps = deps;
  }

  /** The node gauges appear once the node has started (nothing is exported for a failed start). */
  registerMetrics(metrics: Registry): void {
    this.m ??= {
      height: gauge(metrics, 'bttc_node_head_number', 'Canonical Bttc head number'),
      peers: gauge(metrics, 'bttc_node_peers', 'Connected peers'),
      deliveryHeight: gauge(metrics, 'bttc_node_delivery_height', 'Committed Delivery height'),
      checkpoints: counter(metrics, 'bttc_node_checkpoints_total', 'Checkpoints seen in committed Delivery blocks by stage', ['stage']),
    };
  }

  /** Samples the canonical head (call on every head change); a lower head (reorg) restarts the window. */
  recordHead(): void {
    const { chain } = this.deps;
    const h = chain.head();
    const n = Number(h.number);
    const last = this.heads[this.heads.length - 1];
    if (last && last.number === n) return;
    if (last && n < last.number) this.heads.length = 0;
    void chain.getBody(h.hash).then((body) => {
      this.heads.push({ number: n, time: Number(h.header.time), seenAt: performance.now(), gasUsed: h.header.gasUsed, txs: body?.txs.length ?? 0 });
      if (this.heads.length > HEAD_SAMPLES) this.heads.shift();
      this.m?.height.set(n);
    });
  }

  blockSealed(): void {
    this.counts.sealed++;
  }

  onDeliveryCommit(c: CommittedBlock): void {
    const { logger } = this.deps;
    for (const tx of c.block.txs) if (tx.type === TxType.Checkpoint) this.counts.proposed++;
    this.counts.approved += c.approvedCheckpoints.length;
    this.m?.deliveryHeight.set(c.height);
    if (c.block.txs.some((t) => t.type === TxType.Checkpoint)) this.m?.checkpoints.inc({ stage: 'proposed' });
    if (c.approvedCheckpoints.length) this.m?.checkpoints.inc({ stage: 'approved' }, c.approvedCheckpoints.length);
    if (c.acked.length) this.m?.checkpoints.inc({ stage: 'acked' }, c.acked.length);
    for (const a of c.acked) logger.info({ rootChainId: a.rootChainId, number: a.number, start: a.start, end: a.end }, 'checkpoint acked');
    for (const s of c.spans) logger.info({ span: s.id, start: s.startBlock, end: s.endBlock }, 'span committed');
  }

  /** A height our consensus engine decided: signed by us when our precommit is among the decisive ones. */
  onConsensusCommit(e: Pick<CommitEvent, 'height' | 'commit'>): void {
    const me = this.opts.signer;
    if (me && e.commit.precommits.some((v) => equalBytes(v.validator, me))) this.lastSignedHeight = e.height;
  }

  report(src: StatusSources): NodeStatus {
    const h = this.deps.chain.head();
    const w = this.heads.slice(-RATE_WINDOW);
    const span = w.length > 1 ? w[w.length - 1]!.time - w[0]!.time : 0;
    const txs = w.slice(1).reduce((s, x) => s + x.txs, 0);
    const gas = w.slice(1).reduce((s, x) => s + x.gasUsed, 0n);
    const last2 = this.heads.slice(-2);
    let producer: string | null = null;
    try {
      if (h.number > 0n) producer = bytesToHex(src.layer.signers.recover(h.header as NetworkBlock['header'], h.hash));
    } catch {
      producer = null;
    }
    const peers = src.network.connectedPeers().length;
    this.m?.peers.set(peers);
    const pool = src.layer.txpool.stats();
    return {
      role: this.opts.role,
      signer: this.opts.signer ? bytesToHex(this.opts.signer) : null,
      peerId: src.network.peerId,
      peers,
      rpcUrl: src.rpcUrl,
      restUrl: src.restUrl,
      bttc: {
        head: Number(h.number),
        headHash: bytesToHex(h.hash),
        headProducer: producer,
        lastBlockInterval: last2.length === 2 && last2[1]!.number === last2[0]!.number + 1 ? (last2[1]!.seenAt - last2[0]!.seenAt) / 1000 : null,
        txPerSec: span > 0 ? txs / span : 0,
        mgasPerSec: span > 0 ? Number(gas) / span / 1e6 : 0,
        txpool: src.layer.txpool.size,
        txpoolPending: pool.pending,
        txpoolQueued: pool.queued,
        span: spanIdForBlock(Number(h.number), this.opts.spans),
        blocksSealed: this.counts.sealed,
      },
      delivery: {
        height: src.app.height,
        lastSignedHeight: this.lastSignedHeight,
        syncedBlocks: src.syncedBlocks,
        checkpointProposer: src.app.checkpointProposer(),
        checkpointsProposed: this.counts.proposed,
        checkpointsApproved: this.counts.approved,
        checkpointsAcked: src.app.ackCount() ?? 0,
        lastCheckpointEnd: src.app.lastCheckpointEnd(),
        lastSpanId: src.app.lastSpanId,
        waiting: src.app.waiting().map((w) => ({ what: w.what, reason: w.reason, since: w.since })),
      },
    };
  }
}
