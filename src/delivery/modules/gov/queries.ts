/**
 * The gov module's read side (REST, the submission listener, tests) over the committed state and its
 * buckets, and its intake: a ballot handed to this node goes to its pool.
 */
import { parseSignedBallot, signedBallotJson } from '../../../gov/ballot.ts';
import type { NodeConfig } from '../../../config/types.ts';
import { DELIVERY_PARAMS, paramKey, type DeliveryParamName } from '../../../gov/params.ts';
import type { CommittedState } from '../../app/state.ts';
import { paramAt, pendingParams, type ParamChange } from './params.ts';
import type { BallotPool, PoolAdd } from './pool.ts';
import { type GovProposal, govOf } from './state.ts';
import type { GovStore, StoredBallot, StoredTally } from './store.ts';

/** active: voting not yet closed in Delivery; tallied: approved by the validators; anchored: on the Governor. */
export type ProposalStatus = 'active' | 'tallied' | 'anchored';

export interface ProposalView extends GovProposal {
  governor: string | null;
  /** The staking chain's EVM chain id (the ballot domain's); null when this node cannot read it. */
  chainId: string | null;
  status: ProposalStatus;
}

const enc = new TextEncoder();

export class GovQueries {
  private readonly store: GovStore;
  private readonly pool: BallotPool;
  private readonly committed: CommittedState;
  /** The Governor this node mirrors; null when the node has no reader (it still mirrors what its watcher sees). */
  readonly governor: string | null;
  private readonly chainId: () => Promise<bigint | null>;

  constructor(deps: { store: GovStore; pool: BallotPool; committed: CommittedState; governor: string | null; chainId?: () => Promise<bigint> }) {
    this.store = deps.store;
    this.pool = deps.pool;
    this.committed = deps.committed;
    this.governor = deps.governor;
    const read = deps.chainId;
    this.chainId = read ? () => read().catch(() => null) : () => Promise.resolve(null);
  }

  /**
   * Pools a ballot (REST, gossip). Throws BallotError (the `malformed` code) naming the field; the
   * pooled bytes are the ballot's canonical JSON, so one ballot submitted twice is one ballot.
   */
  submit(json: unknown): { status: PoolAdd; proposalId: string; voter: string; nonce: string; body: Uint8Array } {
    const signed = parseSignedBallot(json);
    const body = enc.encode(JSON.stringify(signedBallotJson(signed)));
    const status = this.pool.add(body, signed.ballot.proposalId);
    return { status, proposalId: signed.ballot.proposalId, voter: signed.ballot.voter, nonce: signed.ballot.nonce.toString(), body };
  }

  /** A pool hook for the gossip wiring: each newly pooled ballot's bytes. */
  onPooled(fn: (body: Uint8Array) => void): void {
    this.pool.onAdded(fn);
  }

  get pooled(): number {
    return this.pool.length;
  }

  async proposals(): Promise<ProposalView[]> {
    const out: ProposalView[] = [];
    for (const p of govOf(this.committed.get()).govProposals.values()) out.push(await this.view(p));
    return out.sort((a, b) => a.height - b.height || (a.id < b.id ? -1 : 1));
  }

  async proposal(id: string): Promise<ProposalView | null> {
    const p = govOf(this.committed.get()).govProposals.get(id);
    return p ? this.view(p) : null;
  }

  private async view(p: GovProposal): Promise<ProposalView> {
    const t = p.closeHeight === null ? null : await this.store.tally(p.id);
    const status: ProposalStatus = t?.anchored ? 'anchored' : t ? 'tallied' : 'active';
    const chainId = await this.chainId();
    return { ...p, governor: this.governor, chainId: chainId === null ? null : chainId.toString(), status };
  }

  ballots(id: string): Promise<StoredBallot[]> {
    return this.store.ballotsOf(id);
  }

  tally(id: string): Promise<StoredTally | null> {
    return this.store.tally(id);
  }

  tallies(): Promise<StoredTally[]> {
    return this.store.allTallies();
  }

  /**
   * Delivery parameters at the committed height h: each one's value in force for block h (genesis
   * from the config, or the Governor's last change in force) and the changes applied but in force
   * only from a later height.
   */
  params(config: NodeConfig, height: number): { params: ParamView[]; pending: ParamChange[] } {
    const s = this.committed.get();
    const changes = govOf(s).govParams;
    const params = (Object.keys(DELIVERY_PARAMS) as DeliveryParamName[]).map((name): ParamView => {
      const c = changes.filter((x) => x.name === name && x.effectiveHeight <= height).pop() ?? null;
      return { name, key: paramKey(name), value: paramAt(s, name, height, config), source: c ? 'governor' : 'genesis', change: c ? { ...c } : null };
    });
    return { params, pending: pendingParams(s, height) };
  }
}

export interface ParamView {
  name: DeliveryParamName;
  key: string;
  value: number;
  source: 'genesis' | 'governor';
  /** The change in force (null: the genesis value). */
  change: ParamChange | null;
}
