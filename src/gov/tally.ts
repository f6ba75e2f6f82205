/**
 * The deterministic tally every Delivery node, the shadow-election test and `bttc-node audit tally`
 * run (docs/governance.md). Pure: ballots in inclusion order plus power at the snapshot in, counts,
 * the ballot manifest root and every refusal with its reason code out.
 *
 * Each ballot is judged in inclusion order, first failing check wins:
 *   malformed            fields do not parse (BallotError)
 *   unknown-proposal     no such proposal on the Governor
 *   closed               included after the proposal's voting closed in Delivery (closeHeight)
 *   bad-signature        the EIP-712 signature does not recover to `voter` (or high s, bad v)
 *   no-power-at-snapshot getPastVotes(voter, snapshot) == 0
 *   stale-nonce          nonce ≤ the voter's last accepted nonce for this proposal (a replay, a
 *                        duplicate, or an older ballot arriving late)
 * A ballot passing all of them replaces the voter's earlier ballot for that proposal (a higher nonce
 * replaces), so each voter counts once, with its latest choice.
 */
import { keccak256Batch } from '../crypto/keccak.ts';
import { nextPowerOfTwo } from '../merkle/checkpoint.ts';
import { bytesToHex } from '../util/bytes.ts';
import { BallotError, ballotDigest, ballotDigestBatch, parseSignedBallot, recoverSigner, type SignedBallot, type Support } from './ballot.ts';

export type RefusalCode = 'malformed' | 'unknown-proposal' | 'closed' | 'bad-signature' | 'no-power-at-snapshot' | 'stale-nonce';
export const REFUSAL_CODES: readonly RefusalCode[] = ['malformed', 'unknown-proposal', 'closed', 'bad-signature', 'no-power-at-snapshot', 'stale-nonce'];

export interface ProposalInfo {
  /** 0x-hex, 32 bytes. */
  id: string;
  snapshot: bigint;
  deadline: bigint;
  /** Delivery height at which voting closed (ballots included above it are `closed`); null while open. */
  closeHeight: number | null;
}

/** A ballot as Delivery holds it: the submitted JSON and the height of the block that included it. */
export interface BallotEntry {
  json: unknown;
  height: number;
}

export interface Refusal {
  /** Position in the ballot stream. */
  index: number;
  height: number;
  code: RefusalCode;
  detail: string;
  proposalId: string | null;
  voter: string | null;
}

export interface CountedBallot {
  voter: string;
  support: Support;
  power: bigint;
  nonce: bigint;
  /** The EIP-712 digest, 0x-hex. */
  ballotHash: string;
  index: number;
}

export interface TallyCounts {
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  vetoVotes: bigint;
}

export interface ProposalTally extends TallyCounts {
  proposalId: string;
  snapshot: bigint;
  deadline: bigint;
  totalPower: bigint;
  /** Counted ballots sorted by voter (the manifest order). */
  ballots: CountedBallot[];
  manifestRoot: string;
  outcome: Outcome;
}

export interface JudgeDeps {
  /** getPastVotes(voter, snapshot) for the proposal. */
  power(proposalId: string, voter: string): bigint;
  /** Per-proposal domain separator (chain id + Governor). */
  domainSeparator: Uint8Array;
  /** Signers already recovered (the verify pool): index → recovered address or null. */
  signers?: ReadonlyMap<number, string | null>;
  /** Parsed ballots and digests already computed (ballotDigests), index-aligned with the entries. */
  prepared?: readonly (PreparedBallot | null)[];
}

export interface PreparedBallot {
  digest: Uint8Array;
  signed: SignedBallot;
}

export interface Judged {
  /** proposal id → voter → its counted ballot. */
  accepted: Map<string, Map<string, CountedBallot>>;
  refusals: Refusal[];
}

/** Parses a stream and computes its ballots' digests (batched), without deciding anything else; null where an entry does not parse. */
export function ballotDigests(entries: readonly BallotEntry[], domainSeparator: Uint8Array): (PreparedBallot | null)[] {
  const out: (PreparedBallot | null)[] = new Array(entries.length).fill(null);
  const parsed: SignedBallot[] = [];
  const at: number[] = [];
  entries.forEach((e, i) => {
    try {
      parsed.push(parseSignedBallot(e.json));
      at.push(i);
    } catch {
      // left null: the judge parses it again and names the field in its refusal
    }
  });
  // parseSignedBallot has checked the hex fields the digest writes, so the batch cannot refuse one.
  const digests = ballotDigestBatch(
    parsed.map((p) => p.ballot),
    domainSeparator,
  );
  at.forEach((i, k) => (out[i] = { digest: digests.subarray(32 * k, 32 * k + 32), signed: parsed[k]! }));
  return out;
}

/**
 * The judge as a stream: ballots are fed in inclusion order, in as many calls as the caller likes
 * (the pooled judge feeds each chunk as soon as its signatures are recovered), and the verdicts are
 * exactly judgeBallots' over the whole stream.
 */
export class BallotJudge {
  readonly accepted = new Map<string, Map<string, CountedBallot>>();
  readonly refusals: Refusal[] = [];
  readonly #proposals: ReadonlyMap<string, ProposalInfo>;
  readonly #deps: Pick<JudgeDeps, 'power' | 'domainSeparator'>;

  constructor(proposals: ReadonlyMap<string, ProposalInfo>, deps: Pick<JudgeDeps, 'power' | 'domainSeparator'>) {
    this.#proposals = proposals;
    this.#deps = deps;
  }

  /**
   * Judges the entry at stream position `index`. `pre` is its parse and digest when already done
   * (null: it did not parse), `signer` its recovered signer when already known (null: no signer
   * recovers); both are computed here when left undefined.
   */
  judge(e: BallotEntry, index: number, pre?: PreparedBallot | null, signer?: string | null): void {
    const refuse = (code: RefusalCode, detail: string, proposalId: string | null, voter: string | null): void => {
      this.refusals.push({ index, height: e.height, code, detail, proposalId, voter });
    };
    let signed: SignedBallot;
    if (pre) signed = pre.signed;
    else
      try {
        signed = parseSignedBallot(e.json);
      } catch (err) {
        refuse('malformed', err instanceof BallotError ? err.message : String(err), null, null);
        return;
      }
    const b = signed.ballot;
    const p = this.#proposals.get(b.proposalId);
    if (!p) return refuse('unknown-proposal', `no proposal ${b.proposalId} on the Governor`, b.proposalId, b.voter);
    if (p.closeHeight !== null && e.height > p.closeHeight) return refuse('closed', `included at height ${e.height}, voting closed at ${p.closeHeight}`, b.proposalId, b.voter);
    const digest = pre ? pre.digest : ballotDigest(b, this.#deps.domainSeparator);
    const who = signer !== undefined ? signer : recoverSigner(digest, signed.signature);
    if (who !== b.voter) return refuse('bad-signature', who === null ? 'signature does not recover' : `signature recovers to ${who}, not the voter`, b.proposalId, b.voter);
    const power = this.#deps.power(b.proposalId, b.voter);
    if (power <= 0n) return refuse('no-power-at-snapshot', `no voting power at block ${p.snapshot}`, b.proposalId, b.voter);
    let byVoter = this.accepted.get(b.proposalId);
    if (!byVoter) this.accepted.set(b.proposalId, (byVoter = new Map()));
    const prev = byVoter.get(b.voter);
    if (prev && b.nonce <= prev.nonce) return refuse('stale-nonce', `nonce ${b.nonce} ≤ accepted nonce ${prev.nonce}`, b.proposalId, b.voter);
    byVoter.set(b.voter, { voter: b.voter, support: b.support, power, nonce: b.nonce, ballotHash: bytesToHex(digest), index });
  }

  result(): Judged {
    return { accepted: this.accepted, refusals: this.refusals };
  }
}

/** Ballots parsed and hashed per batch when judgeBallots prepares them itself. */
const PREPARE_CHUNK = 1024;

export function judgeBallots(entries: readonly BallotEntry[], proposals: ReadonlyMap<string, ProposalInfo>, deps: JudgeDeps): Judged {
  const judge = new BallotJudge(proposals, deps);
  for (let start = 0; start < entries.length; start += PREPARE_CHUNK) {
    const end = Math.min(entries.length, start + PREPARE_CHUNK);
    // Digests in batches (two native hash calls per chunk); given ones are used as they are.
    const own = deps.prepared ? null : ballotDigests(entries.slice(start, end), deps.domainSeparator);
    for (let index = start; index < end; index++) {
      const pre = own ? own[index - start] : deps.prepared![index];
      // An entry that did not parse (null) is parsed again by the judge so its refusal names the field.
      judge.judge(entries[index]!, index, pre ?? undefined, deps.signers?.has(index) ? deps.signers.get(index)! : undefined);
    }
  }
  return judge.result();
}

// ------------------------------------------------------------------ x/gov rule

export type Outcome = 'passed' | 'no-quorum' | 'all-abstain' | 'vetoed' | 'rejected';
/** Governor.outcome's codes, in the same order. */
export const OUTCOMES: readonly Outcome[] = ['passed', 'no-quorum', 'all-abstain', 'vetoed', 'rejected'];
export const QUORUM_PERMILLE = 334n;
export const THRESHOLD_PERMILLE = 500n;
export const VETO_PERMILLE = 334n;

/** Cosmos x/gov with BTTC's parameters, in BTTC's order (spec §10), exact integer comparisons (= Governor.outcome). */
export function outcome(c: TallyCounts, totalPower: bigint): Outcome {
  const voted = c.forVotes + c.againstVotes + c.abstainVotes + c.vetoVotes;
  if (totalPower === 0n || voted * 1000n < QUORUM_PERMILLE * totalPower) return 'no-quorum';
  if (c.abstainVotes === voted) return 'all-abstain';
  if (c.vetoVotes * 1000n > VETO_PERMILLE * voted) return 'vetoed';
  if (c.forVotes * 1000n > THRESHOLD_PERMILLE * (voted - c.abstainVotes)) return 'passed';
  return 'rejected';
}

// ------------------------------------------------------------------ manifest

/**
 * The checkpoint tree's shape (merkle/checkpoint.ts: zero leaves up to a power of two, parents
 * keccak256(left ‖ right)) without its 2^15-leaf cap: an electorate is not a block range.
 */
function merkleRoot(leaves: Uint8Array): Uint8Array {
  const count = leaves.length / 32;
  if (count === 1) return leaves.slice(0, 32);
  let layer = new Uint8Array(nextPowerOfTwo(count) * 32);
  layer.set(leaves);
  while (layer.length > 32) layer = keccak256Batch(layer, 64) as Uint8Array<ArrayBuffer>;
  return layer;
}

/** Writes 0x-hex `hex` (already checked) as `bytes` bytes at `off`; throws if it is not that long. */
function putHex(out: Buffer, off: number, hex: string, bytes: number, what: string): void {
  if (out.write(hex.slice(2), off, bytes, 'hex') !== bytes || hex.length !== 2 + 2 * bytes) throw new Error(`manifest: ${what} ${hex} is not ${bytes} bytes of 0x-hex`);
}

/**
 * Leaf = keccak256(abi.encode(address voter, uint8 support, uint256 power, bytes32 ballotHash)).
 * The preimages are written straight into one buffer (hex decoded in place, power as hex right-
 * aligned): per-field arrays cost more than the hashing for a 100,000-voter electorate.
 */
export function manifestRoot(sortedBallots: readonly CountedBallot[]): string {
  if (sortedBallots.length === 0) return `0x${'00'.repeat(32)}`;
  const pre = Buffer.alloc(sortedBallots.length * 128);
  sortedBallots.forEach((b, i) => {
    const off = i * 128;
    putHex(pre, off + 12, b.voter, 20, 'voter');
    pre[off + 63] = b.support;
    if (b.power < 0n || b.power >= 1n << 256n) throw new RangeError(`manifest: power ${b.power} is not a uint256`);
    const p = b.power.toString(16);
    const even = p.length % 2 === 0 ? p : `0${p}`;
    pre.write(even, off + 96 - even.length / 2, 'hex');
    putHex(pre, off + 96, b.ballotHash, 32, 'ballotHash');
  });
  return bytesToHex(merkleRoot(keccak256Batch(pre, 128)));
}

export function tallyProposal(p: ProposalInfo, accepted: ReadonlyMap<string, CountedBallot> | undefined, totalPower: bigint): ProposalTally {
  const ballots = [...(accepted?.values() ?? [])].sort((a, b) => (a.voter < b.voter ? -1 : a.voter > b.voter ? 1 : 0));
  const c: TallyCounts = { forVotes: 0n, againstVotes: 0n, abstainVotes: 0n, vetoVotes: 0n };
  for (const b of ballots) {
    if (b.support === 0) c.againstVotes += b.power;
    else if (b.support === 1) c.forVotes += b.power;
    else if (b.support === 2) c.abstainVotes += b.power;
    else c.vetoVotes += b.power;
  }
  return { proposalId: p.id, snapshot: p.snapshot, deadline: p.deadline, totalPower, ...c, ballots, manifestRoot: manifestRoot(ballots), outcome: outcome(c, totalPower) };
}

/** The JSON form REST and `audit tally` print (integers as decimal strings). */
export function tallyJson(t: ProposalTally): Record<string, unknown> {
  return {
    proposalId: t.proposalId,
    snapshot: t.snapshot.toString(),
    deadline: t.deadline.toString(),
    forVotes: t.forVotes.toString(),
    againstVotes: t.againstVotes.toString(),
    abstainVotes: t.abstainVotes.toString(),
    vetoVotes: t.vetoVotes.toString(),
    totalPower: t.totalPower.toString(),
    ballotCount: t.ballots.length,
    manifestRoot: t.manifestRoot,
    outcome: t.outcome,
  };
}

export function refusalJson(r: Refusal): Record<string, unknown> {
  return { index: r.index, height: r.height, code: r.code, detail: r.detail, proposalId: r.proposalId, voter: r.voter };
}
