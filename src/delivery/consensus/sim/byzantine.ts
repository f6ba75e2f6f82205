/**
 * A byzantine validator for simulations: its consensus engine runs normally, but its transport sends
 * every vote to one half of the peers and a different, validly signed vote for the same
 * height/round/step to the other half (and a conflicting proposal when it proposes). The halves are
 * re-drawn per message. The conflicting messages are deterministic, so re-gossip repeats them.
 */
import { keccak256 } from '../../../crypto/keccak.ts';
import { publicKeyCreate, signRsv } from '../../../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../../crypto/address.ts';
import { concatBytes, equalBytes } from '../../../util/bytes.ts';
import { decodeMessages, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from '../codec.ts';
import type { ConsensusTransport } from '../interface.ts';
import type { Proposal, Vote } from '../types.ts';
import type { Prng } from './prng.ts';

export class EquivocatingTransport implements ConsensusTransport {
  readonly peerId: string;
  /** Conflicting messages sent (one per original). */
  equivocations = 0;
  private readonly inner: ConsensusTransport;
  private readonly peers: () => readonly string[];
  private readonly chainId: string;
  private readonly secretKey: Uint8Array;
  private readonly prng: Prng;
  private readonly address: Uint8Array;

  constructor(opts: { chainId: string; secretKey: Uint8Array }, deps: { inner: ConsensusTransport; peers: () => readonly string[]; prng: Prng }) {
    this.inner = deps.inner;
    this.peerId = deps.inner.peerId;
    this.peers = deps.peers;
    this.chainId = opts.chainId;
    this.secretKey = opts.secretKey;
    this.prng = deps.prng;
    this.address = addressFromPublicKey(publicKeyCreate(opts.secretKey, false));
  }

  broadcast(data: Uint8Array): void {
    const others = this.peers().filter((p) => p !== this.peerId);
    for (const m of decodeMessages(data)) {
      if (m.kind === 'vote' && !equalBytes(m.vote.validator, this.address)) {
        // Someone else's vote relayed (a proof of lock): we cannot sign for them.
        const bytes = encodeVote(m.vote);
        for (const p of others) this.inner.sendTo(p, bytes);
        continue;
      }
      const honest = m.kind === 'proposal' ? encodeProposal(m.proposal) : encodeVote(m.vote);
      const evil = m.kind === 'proposal' ? encodeProposal(this.conflictingProposal(m.proposal)) : encodeVote(this.conflictingVote(m.vote));
      this.equivocations++;
      for (const p of others) this.inner.sendTo(p, this.prng.next() < 0.5 ? honest : evil);
    }
  }

  sendTo(peerId: string, data: Uint8Array): void {
    this.inner.sendTo(peerId, data);
  }

  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    return this.inner.subscribe(handler);
  }

  private conflictingVote(v: Vote): Vote {
    // nil becomes a made-up value; a value becomes nil for prevotes and a made-up value for precommits.
    const valueId = v.valueId && v.type === 2 ? null : keccak256(concatBytes(v.valueId ?? new Uint8Array(32), new TextEncoder().encode('equivocate')));
    const extension = v.type === 3 && valueId ? v.extension : new Uint8Array(0);
    const signature = signRsv(voteDigest(this.chainId, { ...v, valueId, extension }), this.secretKey);
    return { ...v, valueId, extension, signature };
  }

  private conflictingProposal(p: Proposal): Proposal {
    const value = p.value.slice();
    value[value.length - 1]! ^= 0xff;
    const valueId = valueIdOf(value);
    const signature = signRsv(proposalDigest(this.chainId, { ...p, valueId }), this.secretKey);
    return { ...p, value, valueId, signature };
  }
}
