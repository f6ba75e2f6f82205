/**
 * What a consensus message must be before this node relays it (and hands it to the engine), so a
 * peer cannot use us to flood the validators with junk. Checked per message, each message of a
 * bundle on its own, against the committed Delivery height c:
 *
 *   height             signer check                                   verdict when it holds  engine
 *   > c + aheadHeights recover, address = claimed signer               ignore (far future)    no
 *   c+2 … c+ahead      recover, address = claimed signer               ignore (ahead)         yes
 *   c+1 (current)      member of its set, the round's proposer for a   accept                 yes
 *   c (just decided)   proposal, signature verified with the key       accept                 yes
 *   c−window … c−1     recover, address = claimed signer               ignore (old)           yes
 *   < c − window       recover, address = claimed signer               ignore (too old)       no
 *
 * A wrong signature, a non-member at a height whose set we hold (c, c+1: the app keeps both, and
 * every node holds the same set for a height), a proposal from a validator whose turn it is not,
 * or bytes that do not decode are invalid whoever sends them: 'reject', which lowers the sender's
 * score. We only relay what we checked against the exact set of its height, so a peer that holds
 * that set never rejects what we relay; a height whose set we cannot place (we may be the one
 * lagging) is never a reason to reject, nor to relay. Messages of such heights still reach the
 * engine within its reach: one a few heights ahead makes it ask the sender for what it missed, an
 * old one makes it send a lagging sender the commit. The engine checks everything again; its
 * signature checks hit the verifier's memo (signature-memo.ts).
 *
 * Catch-up requests (unsigned, "send me the commit of height h") only travel addressed to a peer.
 */
import { BUNDLE_KIND, CATCHUP_KIND, decodeCatchUpRequest, decodeMessages, proposalDigest, voteDigest } from '../delivery/consensus/codec.ts';
import type { ValidatorSetView } from '../delivery/consensus/interface.ts';
import type { ConsensusMessage } from '../delivery/consensus/types.ts';
import type { SignatureVerifier, VerifyItem } from '../pools/interface.ts';
import type { ValidationResult } from '../p2p/interface.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';

/** Heights ahead of the committed one still worth handing to the engine (it asks the sender for what it missed). */
export const DEFAULT_AHEAD_HEIGHTS = 8;

export interface ConsensusCheckDeps {
  /** The Delivery application: its committed height and the validator sets it holds (c and c+1). */
  app: { readonly height: number; validatorSet(height: number): ValidatorSetView };
  verifier: Pick<SignatureVerifier, 'verifyBatch'>;
  /** Delivery chain id (in the signed bytes). */
  chainId: string;
  /** Decided heights the engine keeps to help lagging peers (node.deliveryCatchUpHeights). */
  catchUpHeights: number;
  aheadHeights?: number;
}

export interface ConsensusCheck {
  verdict: ValidationResult;
  /** Whether the engine should see the message (also for some ignored ones, see the table). */
  deliver: boolean;
  /** For the metric: 'ok', or what was wrong or out of range. */
  reason: string;
}

interface Part {
  verdict: ValidationResult;
  deliver: boolean;
  reason: string;
  /** Signature check still to run; on failure the part becomes a reject. */
  item?: VerifyItem;
  /** For a recover item: the address the signature must recover to. */
  expect?: Uint8Array;
}

const reject = (reason: string): ConsensusCheck => ({ verdict: 'reject', deliver: false, reason });
const SEVERITY: Record<ValidationResult, number> = { accept: 0, ignore: 1, reject: 2 };

export class ConsensusGossipCheck {
  readonly #deps: ConsensusCheckDeps;
  readonly #ahead: number;

  constructor(deps: ConsensusCheckDeps) {
    this.#deps = deps;
    this.#ahead = deps.aheadHeights ?? DEFAULT_AHEAD_HEIGHTS;
  }

  /** `direct`: the message is addressed to one peer (catch-up), not broadcast. */
  async check(body: Uint8Array, direct: boolean): Promise<ConsensusCheck> {
    if (body.length === 0) return reject('malformed');
    if (body[0] === CATCHUP_KIND) {
      try {
        decodeCatchUpRequest(body);
      } catch {
        return reject('malformed');
      }
      // The engine only ever addresses these to one peer.
      return direct ? { verdict: 'ignore', deliver: true, reason: 'catch-up' } : reject('catch-up-broadcast');
    }
    let msgs: ConsensusMessage[];
    try {
      msgs = decodeMessages(body);
    } catch {
      return reject('malformed');
    }
    if (msgs.length === 0) return reject(body[0] === BUNDLE_KIND ? 'empty-bundle' : 'malformed');
    const committed = this.#deps.app.height;
    const parts = msgs.map((m) => this.#classify(m, committed));
    const bad = parts.find((p) => p.verdict === 'reject');
    if (bad) return reject(bad.reason);
    const pending = parts.filter((p) => p.item !== undefined);
    if (pending.length > 0) {
      const res = await this.#deps.verifier.verifyBatch(
        pending.map((p) => p.item!),
        { priority: true },
      );
      for (let i = 0; i < pending.length; i++) {
        const r = res[i]!;
        const p = pending[i]!;
        if (!r.ok) return reject('bad-signature');
        if (p.expect && (r.kind !== 'secp256k1-recover' || !equalBytes(r.address, p.expect))) return reject('bad-signature');
      }
    }
    // The bundle as a whole: its least acceptable part decides; the engine sees it if any part is for it.
    let worst = parts[0]!;
    for (const p of parts) if (SEVERITY[p.verdict] > SEVERITY[worst.verdict]) worst = p;
    return { verdict: worst.verdict, deliver: parts.some((p) => p.deliver), reason: worst.reason };
  }

  #classify(m: ConsensusMessage, committed: number): Part {
    const isVote = m.kind === 'vote';
    const height = isVote ? m.vote.height : m.proposal.height;
    const signer = isVote ? m.vote.validator : m.proposal.proposer;
    const signature = isVote ? m.vote.signature : m.proposal.signature;
    // The engine refuses v ≥ 2 (the verifier would take 27/28): the same bytes must mean the same here.
    if (signature[64]! > 1) return { verdict: 'reject', deliver: false, reason: 'bad-signature' };
    const digest = isVote ? voteDigest(this.#deps.chainId, m.vote) : proposalDigest(this.#deps.chainId, m.proposal);
    const set = height === committed + 1 || height === committed ? this.#setAt(height) : null;
    if (set) {
      const member = set.getByAddress(bytesToHex(signer));
      if (!member) return { verdict: 'reject', deliver: false, reason: 'non-member' };
      // The app keeps the set that decided c as it was, so c's proposer rotation is exact too.
      if (!isVote && !equalBytes(set.proposer(m.proposal.round).address, signer)) return { verdict: 'reject', deliver: false, reason: 'not-proposer' };
      return { verdict: 'accept', deliver: true, reason: 'ok', item: { kind: 'secp256k1-verify', digest, signature: signature.subarray(0, 64), publicKey: member.publicKey } };
    }
    const recover = { item: { kind: 'secp256k1-recover' as const, digest, signature }, expect: signer };
    if (height > committed + this.#ahead) return { verdict: 'ignore', deliver: false, reason: 'far-future', ...recover };
    if (height < committed - this.#deps.catchUpHeights) return { verdict: 'ignore', deliver: false, reason: 'too-old', ...recover };
    if (height < committed) return { verdict: 'ignore', deliver: true, reason: 'old', ...recover };
    // A few heights ahead (we lag), or c = 0: not relayed, a peer holding the set may judge it otherwise.
    return { verdict: 'ignore', deliver: true, reason: 'ahead', ...recover };
  }

  #setAt(height: number): ValidatorSetView | null {
    try {
      return this.#deps.app.validatorSet(height);
    } catch {
      return null;
    }
  }
}
