/**
 * Deterministic evidence checks: every validator runs them on the same committed state and reaches
 * the same decision. A refusal carries a reason code (REFUSALS) and a sentence naming the cause.
 * Chain data the checks need (validator set at a height, who signed each commit, Bttc seal
 * recovery) comes in through `CheckContext`, so the node and the audit CLI run the same code.
 */
import { addressFromPublicKey } from '../crypto/address.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { recover } from '../crypto/secp256k1.ts';
import { decodeVote, voteDigest } from '../delivery/consensus/codec.ts';
import type { Vote } from '../delivery/consensus/types.ts';
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../util/bytes.ts';
import { evidenceHash, type CheckpointEquivocationEvidence, type DoubleSealEvidence, type DoubleSignEvidence, type DowntimeEvidence, type Evidence, type Offense } from './evidence.ts';

export const REFUSALS = ['malformed', 'forged', 'not-conflicting', 'not-in-set-at-height', 'stale', 'replayed', 'not-enough-missed', 'future'] as const;
export type RefusalCode = (typeof REFUSALS)[number];

export type Decision = { ok: true; id: string; offense: Offense; validator: string; height: number } | { ok: false; id: string; offense: Offense; code: RefusalCode; reason: string };

export interface SealedHeader {
  number: bigint;
  hash: string;
  signer: string;
}

export interface CheckContext {
  /** Delivery chain id (consensus sign bytes carry it). */
  chainId: string;
  /** Delivery height the check runs at (the block the evidence tx is in). */
  height: number;
  /** Evidence about a height older than this many heights is stale (the unbonding period). */
  maxAgeHeights: number;
  /** Signer addresses (0x lower hex) of the validator set at a Delivery height, or undefined if unknown. */
  validatorsAt(height: number): ReadonlySet<string> | undefined;
  /** True when this evidence id was already recorded (candidate, final, voided or refused-as-applied). */
  seen(id: string): boolean;
  /** Signers whose precommits a committed height carries (chain data), or undefined if not stored. */
  signedAt?(height: number): ReadonlySet<string> | undefined;
  /** Downtime: more than `maxMissed` of the window must be missed. */
  downtime?: { window: number; maxMissed: number };
  /** Double seal: the producers of the span covering a Bttc block, or why they are not known. */
  producersAt?(block: number): { producers: ReadonlySet<string> } | { code: 'future' | 'stale'; reason: string };
  /** Checkpoint equivocation: the Delivery height a checkpoint for the range was approved at, or why none is known. */
  checkpointHeight?(start: number, end: number, borChainId: number): number | { code: 'future' | 'stale'; reason: string };
  /** Bttc seal recovery (src/bttc/engine), injected so src/delivery never imports src/bttc. */
  recoverSeal?(headerRlp: Uint8Array): SealedHeader;
}

function refuse(id: string, offense: Offense, code: RefusalCode, reason: string): Decision {
  return { ok: false, id, offense, code, reason };
}

export function checkEvidence(e: Evidence, ctx: CheckContext): Decision {
  const id = evidenceHash(e);
  if (ctx.seen(id)) return refuse(id, e.offense, 'replayed', `evidence ${id} was already submitted`);
  switch (e.offense) {
    case 'double-sign':
      return checkDoubleSign(id, e, ctx);
    case 'double-seal':
      return checkDoubleSeal(id, e, ctx);
    case 'checkpoint-equivocation':
      return checkCheckpointEquivocation(id, e, ctx);
    case 'downtime':
      return checkDowntime(id, e, ctx);
  }
}

function voteSigner(chainId: string, v: Vote): string | undefined {
  if (v.signature.length !== 65) return undefined;
  try {
    return bytesToHex(addressFromPublicKey(recover(v.signature.subarray(0, 64), v.signature[64]!, voteDigest(chainId, v))));
  } catch {
    return undefined;
  }
}

/** Why two votes by one validator are not a double sign, or undefined when they conflict. */
export function whyNotConflicting(a: Vote, b: Vote): string | undefined {
  if (!equalBytes(a.validator, b.validator)) return 'the votes name different validators';
  if (a.type !== b.type) return 'the votes are of different types (prevote vs precommit)';
  if (a.height !== b.height || a.round !== b.round) return `the votes are for different height/round (${a.height}/${a.round} vs ${b.height}/${b.round})`;
  const ida = a.valueId ? bytesToHex(a.valueId) : 'nil';
  const idb = b.valueId ? bytesToHex(b.valueId) : 'nil';
  if (ida === idb) return 'the votes are for the same value (one vote seen twice is not a double sign)';
  return undefined;
}

function checkDoubleSign(id: string, e: DoubleSignEvidence, ctx: CheckContext): Decision {
  let a: Vote;
  let b: Vote;
  try {
    a = decodeVote(hexToBytes(e.voteA));
    b = decodeVote(hexToBytes(e.voteB));
  } catch (err) {
    return refuse(id, e.offense, 'malformed', `a vote does not decode: ${(err as Error).message}`);
  }
  if (e.chainId !== ctx.chainId) return refuse(id, e.offense, 'forged', `evidence is for chain ${e.chainId}, this chain is ${ctx.chainId}`);
  const not = whyNotConflicting(a, b);
  if (not) return refuse(id, e.offense, 'not-conflicting', not);
  const validator = bytesToHex(a.validator);
  for (const [name, v] of [['voteA', a] as const, ['voteB', b] as const]) {
    if (voteSigner(ctx.chainId, v) !== validator) return refuse(id, e.offense, 'forged', `${name} is not signed by ${validator}`);
  }
  return placed(id, e.offense, validator, a.height, ctx);
}

/** Common tail: the height must be past, not older than the unbonding period, and the validator in the set then. */
function placed(id: string, offense: Offense, validator: string, height: number, ctx: CheckContext): Decision {
  if (height > ctx.height) return refuse(id, offense, 'future', `height ${height} is above the current height ${ctx.height}`);
  if (ctx.height - height > ctx.maxAgeHeights) return refuse(id, offense, 'stale', `height ${height} is more than ${ctx.maxAgeHeights} heights (the unbonding period) below ${ctx.height}`);
  const set = ctx.validatorsAt(height);
  if (!set?.has(validator)) return refuse(id, offense, 'not-in-set-at-height', `${validator} was not in the validator set at height ${height}`);
  return { ok: true, id, offense, validator, height };
}

function checkDoubleSeal(id: string, e: DoubleSealEvidence, ctx: CheckContext): Decision {
  if (!ctx.recoverSeal) return refuse(id, e.offense, 'malformed', 'this checker has no Bttc seal recovery');
  let a: SealedHeader;
  let b: SealedHeader;
  try {
    a = ctx.recoverSeal(hexToBytes(e.headerA));
    b = ctx.recoverSeal(hexToBytes(e.headerB));
  } catch (err) {
    return refuse(id, e.offense, 'forged', `a header seal does not recover: ${(err as Error).message}`);
  }
  if (a.number !== b.number) return refuse(id, e.offense, 'not-conflicting', `headers are at different heights (${a.number} vs ${b.number})`);
  if (a.hash === b.hash) return refuse(id, e.offense, 'not-conflicting', 'the two headers are the same header');
  if (a.signer !== b.signer) return refuse(id, e.offense, 'not-conflicting', `headers are sealed by different signers (${a.signer} vs ${b.signer})`);
  // The set at the offense is the span's producers at that Bttc block (a signer that has left the
  // Delivery set since is still slashable; one that was never a producer there cannot be framed).
  if (!ctx.producersAt) return refuse(id, e.offense, 'malformed', 'this checker has no span producer history');
  if (a.number > BigInt(Number.MAX_SAFE_INTEGER)) return refuse(id, e.offense, 'malformed', `header number ${a.number} is out of range`);
  const at = ctx.producersAt(Number(a.number));
  if ('code' in at) return refuse(id, e.offense, at.code, at.reason);
  if (!at.producers.has(a.signer)) return refuse(id, e.offense, 'not-in-set-at-height', `${a.signer} was not a producer of the span covering Bttc block ${a.number}`);
  // Age and replay expiry count from the Delivery height that records it.
  return { ok: true, id, offense: e.offense, validator: a.signer, height: ctx.height };
}

function checkpointSigner(data: Uint8Array, sig: Uint8Array): string | undefined {
  if (sig.length !== 65) return undefined;
  const v = sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!;
  if (v !== 0 && v !== 1) return undefined;
  try {
    return bytesToHex(addressFromPublicKey(recover(sig.subarray(0, 64), v, keccak256(concatBytes(Uint8Array.of(1), data)))));
  } catch {
    return undefined;
  }
}

/** Checkpoint payload: abi(address proposer, uint256 start, uint256 end, bytes32 root, bytes32 accountRoot, uint256 borChainId[, …]). */
function checkpointRange(data: Uint8Array): { start: bigint; end: bigint; chain: bigint } | undefined {
  if (data.length < 192 || data.length % 32 !== 0) return undefined;
  const word = (i: number): bigint => BigInt(bytesToHex(data.subarray(i * 32, i * 32 + 32)));
  return { start: word(1), end: word(2), chain: word(5) };
}

function checkCheckpointEquivocation(id: string, e: CheckpointEquivocationEvidence, ctx: CheckContext): Decision {
  const da = hexToBytes(e.dataA);
  const db = hexToBytes(e.dataB);
  const ra = checkpointRange(da);
  const rb = checkpointRange(db);
  if (!ra || !rb) return refuse(id, e.offense, 'malformed', 'checkpoint data must be ABI words (proposer, start, end, root, accountRoot, borChainId, …)');
  if (equalBytes(da, db)) return refuse(id, e.offense, 'not-conflicting', 'the two checkpoints are identical');
  if (ra.start !== rb.start || ra.end !== rb.end || ra.chain !== rb.chain)
    return refuse(id, e.offense, 'not-conflicting', `checkpoints cover different ranges (${ra.start}-${ra.end} vs ${rb.start}-${rb.end})`);
  for (const [name, d, s] of [['sigA', da, e.sigA] as const, ['sigB', db, e.sigB] as const]) {
    if (checkpointSigner(d, hexToBytes(s)) !== e.signer) return refuse(id, e.offense, 'forged', `${name} is not ${e.signer}'s signature over its checkpoint`);
  }
  // The signing set is the Delivery set at the height the range's checkpoint was approved.
  if (!ctx.checkpointHeight) return refuse(id, e.offense, 'malformed', 'this checker has no checkpoint history');
  if (ra.end > BigInt(Number.MAX_SAFE_INTEGER) || ra.chain > BigInt(Number.MAX_SAFE_INTEGER)) return refuse(id, e.offense, 'malformed', 'checkpoint range or chain id out of range');
  const h = ctx.checkpointHeight(Number(ra.start), Number(ra.end), Number(ra.chain));
  if (typeof h !== 'number') return refuse(id, e.offense, h.code, h.reason);
  return placed(id, e.offense, e.signer, h, ctx);
}

/** Heights in the window [toHeight − window + 1, toHeight] whose stored commit lacks the validator. */
export function missedHeights(e: DowntimeEvidence, signedAt: (h: number) => ReadonlySet<string> | undefined, present: ReadonlySet<number> = new Set()): number[] | string {
  const to = Number(e.toHeight);
  const window = Number(e.window);
  const missed: number[] = [];
  for (let h = to - window + 1; h <= to; h++) {
    if (h < 1) continue;
    const signers = signedAt(h);
    if (!signers) return `no stored commit for height ${h}`;
    if (!signers.has(e.validator) && !present.has(h)) missed.push(h);
  }
  return missed;
}

function checkDowntime(id: string, e: DowntimeEvidence, ctx: CheckContext): Decision {
  const d = ctx.downtime;
  if (!d || !ctx.signedAt) return refuse(id, e.offense, 'malformed', 'this checker has no downtime parameters or commit signatures');
  if (Number(e.window) !== d.window) return refuse(id, e.offense, 'malformed', `evidence.window ${e.window} differs from the configured window ${d.window}`);
  const to = Number(e.toHeight);
  // The commit of height h is carried by block h+1, so the last countable height is the one below.
  if (to >= ctx.height) return refuse(id, e.offense, 'future', `toHeight ${to} is not yet committed below height ${ctx.height}`);
  const missed = missedHeights(e, ctx.signedAt);
  if (typeof missed === 'string') return refuse(id, e.offense, 'malformed', missed);
  if (missed.length <= d.maxMissed)
    return refuse(id, e.offense, 'not-enough-missed', `${e.validator} missed ${missed.length} of ${d.window} commits up to ${to}, the limit is more than ${d.maxMissed}`);
  return placed(id, e.offense, e.validator, to, ctx);
}

/**
 * Counter-evidence for a downtime candidate: precommits of the accused, each validly signed for a
 * height in the window. Returns the heights they prove present, or a reason they do not count.
 */
export function presenceProof(e: DowntimeEvidence, chainId: string, precommits: string[]): number[] | string {
  const to = Number(e.toHeight);
  const from = to - Number(e.window) + 1;
  const heights = new Set<number>();
  for (const [i, hex] of precommits.entries()) {
    let v: Vote;
    try {
      v = decodeVote(hexToBytes(hex));
    } catch (err) {
      return `precommits[${i}] does not decode: ${(err as Error).message}`;
    }
    if (v.type !== 3) return `precommits[${i}] is not a precommit`;
    if (v.valueId === null) return `precommits[${i}] is a nil precommit (it does not sign the committed block)`;
    if (v.height < from || v.height > to) return `precommits[${i}] is for height ${v.height}, outside the window ${from}-${to}`;
    if (voteSigner(chainId, v) !== e.validator) return `precommits[${i}] is not signed by ${e.validator}`;
    heights.add(v.height);
  }
  return [...heights];
}
