/**
 * Governance in a node (issue 18): the staking chain's Governor reader for Delivery's gov module,
 * the listener that submits approved tallies to the Governor, and the `gov-ballot` gossip topic —
 * a ballot pooled here (REST) is published; one received is validated before relay: bytes that are
 * not a ballot (malformed) are rejected, which lowers the sender's peer score, and never pooled.
 */
import type { RootChainClient } from '../root/interface.ts';
import { EvmRootChainClient } from '../root/evm-client.ts';
import { EvmGovReader } from '../root/gov-reader.ts';
import type { NodeConfig } from '../config/types.ts';
import { stakingChainOf } from '../delivery/modules/context.ts';
import type { GovQueries } from '../delivery/modules/gov/queries.ts';
import type { GovRootReader } from '../delivery/modules/gov/reader.ts';
import { type ApprovedTallySource, GovTallySubmission, type TallySubmitterLike } from '../delivery/modules/gov/submission.ts';
import { BallotError } from '../gov/ballot.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, type Registry } from '../observability/metrics.ts';
import type { GossipHandler, Network, ValidationResult } from '../p2p/interface.ts';

/** The staking chain's Governor reader; null without a configured Governor or on TRON (no historical calls). */
export function govReaderFor(config: NodeConfig, clients: ReadonlyMap<number, RootChainClient>): GovRootReader | null {
  const rc = config.rootChains.find((c) => c.id === stakingChainOf(config));
  const client = rc ? clients.get(rc.id) : undefined;
  if (!rc?.governor || !(client instanceof EvmRootChainClient)) return null;
  return new EvmGovReader({ governor: rc.governor, confirmations: rc.confirmations }, { provider: client.provider });
}

const dec = new TextDecoder('utf-8', { fatal: true });

/** Incoming `gov-ballot`: pooled and relayed when it is a ballot new to us; rejected when it is not a ballot. */
export function ballotGossipHandler(deps: { queries: GovQueries; fromGossip: { on: boolean }; metrics?: Registry | null; logger?: Logger | null }): GossipHandler {
  const checked = deps.metrics ? counter(deps.metrics, 'bttc_gov_ballot_gossip_total', 'Gossiped ballots by verdict (accept, ignore, reject) and reason', ['verdict', 'reason']) : null;
  const verdict = (v: ValidationResult, reason: string): ValidationResult => {
    checked?.inc({ verdict: v, reason });
    return v;
  };
  return (m) => {
    let json: unknown;
    try {
      json = JSON.parse(dec.decode(m.data));
    } catch {
      return verdict('reject', 'not-json');
    }
    let status: string;
    deps.fromGossip.on = true;
    try {
      status = deps.queries.submit(json).status;
    } catch (err) {
      if (!(err instanceof BallotError)) throw err;
      deps.logger?.debug({ from: m.from, err: err.message }, 'malformed ballot gossiped');
      return verdict('reject', 'malformed');
    } finally {
      deps.fromGossip.on = false;
    }
    return status === 'pooled' ? verdict('accept', 'ok') : verdict('ignore', status);
  };
}

export interface GovWiringDeps {
  app: ApprovedTallySource & { readonly address: string | null; readonly queries: { readonly gov: GovQueries } };
  /** The staking chain's submitter (absent: a follower). */
  submitter: Partial<TallySubmitterLike> | undefined;
  reader: GovRootReader | null;
  network: Pick<Network, 'publish' | 'subscribe'>;
  metrics: Registry;
  logger: Logger;
  onClose: (name: string, close: () => Promise<void> | void) => void;
}

export function startGovernance(deps: GovWiringDeps): void {
  const { app, reader, network, metrics, logger } = deps;
  const s = deps.submitter;
  const submitter: TallySubmitterLike | null = reader && s?.submitTally ? { submitTally: (rec) => s.submitTally!(rec) } : null;
  const submission = new GovTallySubmission({ submitter, anchored: (id) => (reader ? reader.anchored(id) : Promise.resolve(false)), address: app.address, metrics, logger });
  submission.attach(app);
  deps.onClose('gov submissions', () => Promise.race([submission.whenSettled(), new Promise((r) => setTimeout(r, 2000))]).then(() => undefined));
  wireBallotGossip({ queries: app.queries.gov, network, metrics, logger });
}

/** The `gov-ballot` topic: received ballots validated into the pool; ballots pooled here otherwise (REST) published. */
export function wireBallotGossip(deps: { queries: GovQueries; network: Pick<Network, 'publish' | 'subscribe'>; metrics?: Registry | null; logger?: Logger | null }): void {
  const { queries: q, network, logger } = deps;
  const fromGossip = { on: false };
  network.subscribe('gov-ballot', ballotGossipHandler({ queries: q, fromGossip, metrics: deps.metrics, logger }));
  // What reached us through REST goes out; what came by gossip gossipsub relays itself once accepted.
  q.onPooled((body) => {
    if (fromGossip.on) return;
    network.publish('gov-ballot', body).catch((err: Error) => logger?.debug({ err: err.message }, 'ballot publish failed'));
  });
}
