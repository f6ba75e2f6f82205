/**
 * Ballots waiting for a block: what REST `POST /gov/ballots` and the ballot gossip topic hand in. Not
 * consensus state — each node holds what reached it; the proposer includes what its pool holds, and
 * every node forgets a ballot once a committed block includes its bytes. Bounded: when full, a new
 * ballot is refused (the submitter retries) rather than an older one silently dropped.
 */
import type { Registry } from 'prom-client';
import { keccak256 } from '../../../crypto/keccak.ts';
import { gauge } from '../../../observability/metrics.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { GOV_BALLOT_TX, type GovBallotTx, MAX_BALLOT_BYTES } from './txs.ts';

export const MAX_POOLED_BALLOTS = 10_000;
/** Included ballots remembered, so a late gossip copy is not pooled and included again (a harmless `stale-nonce`, but noise). */
const REMEMBERED_INCLUDED = 50_000;

export type PoolAdd = 'pooled' | 'duplicate' | 'full';

export class BallotPool {
  private readonly byHash = new Map<string, { body: Uint8Array; proposalId: string }>();
  /** Hashes of ballots a committed block included, oldest first. */
  private readonly included = new Set<string>();
  private readonly listeners: ((body: Uint8Array) => void)[] = [];
  private readonly size: ReturnType<typeof gauge> | null;

  constructor(deps: { metrics?: Registry | null }) {
    this.size = deps.metrics ? gauge(deps.metrics, 'bttc_delivery_gov_ballot_pool', 'Ballots waiting in this node for inclusion in a Delivery block') : null;
  }

  /** `body`: the ballot's JSON bytes (as it will be included); `proposalId`: the id it names, 0x-hex. */
  add(body: Uint8Array, proposalId: string): PoolAdd {
    if (body.length > MAX_BALLOT_BYTES) throw new RangeError(`ballot of ${body.length} bytes exceeds ${MAX_BALLOT_BYTES}`);
    const h = bytesToHex(keccak256(body));
    if (this.byHash.has(h) || this.included.has(h)) return 'duplicate';
    if (this.byHash.size >= MAX_POOLED_BALLOTS) return 'full';
    this.byHash.set(h, { body, proposalId });
    this.size?.set(this.byHash.size);
    for (const l of this.listeners) l(body);
    return 'pooled';
  }

  /** Called with each newly pooled ballot (the gossip wiring relays it). */
  onAdded(fn: (body: Uint8Array) => void): void {
    this.listeners.push(fn);
  }

  /** Up to `max` ballots, oldest first, whose proposal `known` says is mirrored. */
  candidates(known: (proposalId: string) => boolean, max: number): GovBallotTx[] {
    const out: GovBallotTx[] = [];
    for (const e of this.byHash.values()) {
      if (out.length >= max) break;
      if (known(e.proposalId)) out.push({ type: GOV_BALLOT_TX, body: e.body });
    }
    return out;
  }

  /** A committed block included `body`: out of the pool, and remembered so a later copy is a duplicate. */
  forget(body: Uint8Array): void {
    const h = bytesToHex(keccak256(body));
    if (this.byHash.delete(h)) this.size?.set(this.byHash.size);
    this.included.add(h);
    if (this.included.size > REMEMBERED_INCLUDED) this.included.delete(this.included.values().next().value!);
  }

  get length(): number {
    return this.byHash.size;
  }
}
