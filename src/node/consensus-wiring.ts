/**
 * Delivery consensus, wired: the write-ahead log (strict for a validator that has voted), the
 * gossip transport that validates before it relays, the evidence store, and the host that builds
 * a new engine at the app's next height at start and after a range sync.
 */
import { join } from 'node:path';
import type { DeliveryApp } from '../delivery/app/app.ts';
import { KvEvidenceStore } from '../delivery/consensus/evidence.ts';
import { ConsensusState } from '../delivery/consensus/state.ts';
import { FileWal, WalError, type WalProblem } from '../delivery/consensus/wal.ts';
import type { KeyValueStore } from '../db/interface.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { Network } from '../p2p/interface.ts';
import type { SignatureVerifier } from '../pools/index.ts';
import type { NodeSection } from './config.ts';
import { ConsensusHost } from './consensus-host.ts';
import { GossipConsensusTransport } from './consensus-transport.ts';
import { NodeStartError } from './errors.ts';
import { slashingEvidenceStore, testOnlyDoubleSign } from './slashing-wiring.ts';
import type { NodeStatusTracker } from './status.ts';

export interface ConsensusWiringDeps {
  app: DeliveryApp;
  network: Network;
  db: KeyValueStore;
  verifier: SignatureVerifier;
  tracker: Pick<NodeStatusTracker, 'onConsensusCommit'>;
  metrics: Registry;
  logger: Logger;
  onClose: (name: string, close: () => Promise<void> | void) => void;
}

export async function startConsensus(opts: { node: NodeSection; chainId: string; secretKey: Uint8Array | null }, deps: ConsensusWiringDeps): Promise<ConsensusHost> {
  const { node, secretKey } = opts;
  const { app, verifier, metrics, logger } = deps;
  // A validator that has committed heights must find its WAL: without it, it could sign twice.
  const walOpts = {
    mustExist: secretKey && app.height > 0 ? { height: app.height } : null,
    onTornTail: (p: WalProblem | null) =>
      p && logger.warn({ offset: p.offset, bytes: p.kind === 'torn-tail' ? p.bytes : 0, reason: p.reason }, 'consensus WAL: cut a torn final record (a write interrupted by a crash)'),
  };
  const wal = await FileWal.open(join(node.dataDir, 'consensus.wal'), walOpts).catch((err: Error) => {
    throw err instanceof WalError ? new NodeStartError(err.message) : err;
  });
  deps.onClose('consensus wal', () => wal.close());
  const gossip = new GossipConsensusTransport(deps.network, logger, { app, verifier, chainId: opts.chainId, catchUpHeights: node.deliveryCatchUpHeights, metrics });
  const transport = testOnlyDoubleSign(gossip, { height: node.testOnlyDoubleSignHeight ?? null, network: app.config.network, chainId: opts.chainId, secretKey }, logger);
  // Equivocations the engine sees become slashing evidence too (src/delivery/modules/slashing).
  const evidence = slashingEvidenceStore(new KvEvidenceStore({ db: deps.db }), app, opts.chainId, logger);
  const clock = {
    now: () => Date.now(),
    setTimer: (ms: number, fn: () => void) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  };
  const consensus = new ConsensusHost(() => {
    const engineOpts = {
      chainId: opts.chainId,
      secretKey,
      startHeight: app.height + 1,
      timeouts: { commit: node.deliveryBlockMs },
      emptyBlockIntervalMs: node.deliveryEmptyBlockMs,
      commitHistory: node.deliveryCatchUpHeights,
    };
    const engine = new ConsensusState(engineOpts, { app, transport, clock, verifier, wal, evidence, metrics, logger });
    engine.onCommit((e) => deps.tracker.onConsensusCommit(e));
    return engine;
  });
  await consensus.start();
  deps.onClose('consensus', () => consensus.stop());
  return consensus;
}
