/**
 * `bttc-node audit slash`: re-checks one evidence record outside the node and says what the penalty
 * is per staker. Input: the evidence (or a slash record from GET /slashing/evidence/{hash}, whose
 * `evidence` it takes) and, optionally, the context a node would have had:
 *   {"chainId", "height", "unbondingHeights"?, "validators": [{"signer","id"?,"self"?,"partners"?,
 *    "delegators"?,"unbonding"?,"leaving"?}], "prior"?: {signer: n}, "commits"?: {height: [signers]},
 *    "spans"?: [{"startBlock","endBlock","producers"}], "checkpoints"?: [{"start","end","borChainId","height"}]}
 *   (`spans`: double seal is judged against the producers of the span covering the block;
 *   `checkpoints`: equivocation against `validators` as the set at the range's approval height)
 * Without it, only what the evidence itself proves is checked (signatures, the conflict); set
 * membership and age are reported as not checked.
 */
import { checkEvidence, type CheckContext, type SealedHeader } from './checks.ts';
import { evidenceHash, parseEvidence, type Evidence } from './evidence.ts';
import { amountsFor, escalate, type OffenseRule } from './penalty.ts';
import type { SlashingParams } from './params.ts';

export interface AuditValidator {
  signer: string;
  id?: number;
  self?: string;
  partners?: Record<string, string>;
  delegators?: Record<string, string>;
  /** Delegators' stake sold and still unbonding at the slash (claimable wei); cut for double signing. */
  unbonding?: Record<string, string>;
  /** Partners' pending leaves at the slash (wei); cut at the own-stake bps. */
  leaving?: Record<string, string>;
}

export interface AuditContext {
  chainId: string;
  height: number;
  unbondingHeights?: number;
  validators: AuditValidator[];
  prior?: Record<string, number>;
  commits?: Record<string, string[]>;
  spans?: { startBlock: number; endBlock: number; producers: string[] }[];
  checkpoints?: { start: number; end: number; borChainId: number; height: number }[];
}

export interface AuditResult {
  id: string;
  offense: string;
  validator: string | null;
  decision: 'slash' | 'refused';
  code: string | null;
  reason: string | null;
  notChecked: string[];
  penalty: (OffenseRule & { prior: number }) | null;
  amounts: { self: string; delegators: string; perStaker: Record<string, string> } | null;
}

export class AuditInputError extends Error {
  override name = 'AuditInputError';
}

/** A record from the REST API carries the evidence under `evidence`; plain evidence is taken as is. */
export function evidenceFromInput(raw: unknown): Evidence {
  const o = raw as { evidence?: unknown; status?: unknown; result?: unknown } | null;
  if (o && typeof o === 'object' && 'result' in o && o.result && typeof o.result === 'object') return evidenceFromInput(o.result);
  if (o && typeof o === 'object' && 'status' in o && 'evidence' in o) return parseEvidence(o.evidence);
  return parseEvidence(raw);
}

export function auditSlash(e: Evidence, params: SlashingParams, ctx: AuditContext | null, recoverSeal: (rlp: Uint8Array) => SealedHeader): AuditResult {
  const id = evidenceHash(e);
  const notChecked: string[] = [];
  const chainId = e.offense === 'double-sign' ? (ctx?.chainId ?? e.chainId) : (ctx?.chainId ?? '');
  const members = ctx ? new Set(ctx.validators.map((v) => v.signer.toLowerCase())) : null;
  if (!ctx) notChecked.push('validator-set membership', 'age (unbonding period)', 'the chain id');
  const check: CheckContext = {
    chainId,
    height: ctx?.height ?? Number.MAX_SAFE_INTEGER,
    maxAgeHeights: ctx ? (ctx.unbondingHeights ?? params.unbondingHeights) : Number.MAX_SAFE_INTEGER,
    // Without a set, membership is not checked (and reported so): every signer counts as a member.
    validatorsAt: () => members ?? ANY,
    seen: () => false,
    downtime: params.downtime,
    recoverSeal,
    producersAt: (b) => {
      if (!ctx?.spans) return { producers: ANY };
      const sp = ctx.spans.find((x) => x.startBlock <= b && b <= x.endBlock);
      return sp ? { producers: new Set(sp.producers.map((p) => p.toLowerCase())) } : { code: 'future', reason: `no span in --validators "spans" covers Bttc block ${b}` };
    },
    // The `validators` given are taken as the set at the approval height.
    checkpointHeight: (start, end, chain) => ctx?.checkpoints?.find((c) => c.start === start && c.end === end && c.borChainId === chain)?.height ?? ctx?.height ?? 0,
    ...(ctx?.commits ? { signedAt: (h: number) => (ctx.commits?.[String(h)] ? new Set(ctx.commits[String(h)]!.map((s) => s.toLowerCase())) : undefined) } : {}),
  };
  if (e.offense === 'downtime' && !ctx?.commits) throw new AuditInputError('downtime evidence needs --validators with "commits": {height: [signers]} for the window');
  if (e.offense === 'double-seal' && !ctx?.spans) notChecked.push('span producer membership (give "spans" in --validators)');
  notChecked.push('replay (whether the network already recorded this id: GET /slashing/evidence/{id})');
  const d = checkEvidence(e, check);
  if (!d.ok) return { id, offense: e.offense, validator: null, decision: 'refused', code: d.code, reason: d.reason, notChecked, penalty: null, amounts: null };
  const prior = ctx?.prior?.[d.validator] ?? 0;
  const rule = escalate(params.penalties[e.offense], prior);
  const v = ctx?.validators.find((x) => x.signer.toLowerCase() === d.validator);
  let amounts: AuditResult['amounts'] = null;
  if (v && (v.self !== undefined || v.partners)) {
    const partners = v.partners ? mapBig(v.partners, 'partners') : { owner: big(v.self!, 'self') };
    const a = amountsFor(rule, {
      partners,
      delegators: mapBig(v.delegators ?? {}, 'delegators'),
      unbonding: mapBig(v.unbonding ?? {}, 'unbonding'),
      leaving: mapBig(v.leaving ?? {}, 'leaving'),
    });
    amounts = { self: a.self.toString(), delegators: a.delegators.toString(), perStaker: Object.fromEntries(Object.entries(a.perStaker).map(([k, x]) => [k, x.toString()])) };
  } else notChecked.push('amounts per staker (give the validator\'s "self", "partners" or "delegators" in --validators)');
  return { id, offense: e.offense, validator: d.validator, decision: 'slash', code: null, reason: null, notChecked, penalty: { ...rule, prior }, amounts };
}

const ANY = { has: () => true } as unknown as ReadonlySet<string>;

function big(v: string, what: string): bigint {
  if (!/^\d+$/.test(v)) throw new AuditInputError(`validators: ${what} must be decimal strings (wei), got ${JSON.stringify(v)}`);
  return BigInt(v);
}

function mapBig(m: Record<string, string>, what: string): Record<string, bigint> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), big(v, `${what}.${k}`)]));
}
