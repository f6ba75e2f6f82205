/**
 * Telemetry on the Delivery REST port (the usual `{"height","result"}` envelope):
 *   GET /telemetry/validators        every validator's raw counters (window + cumulative), Bttc
 *                                    slots, score and the policy that scored it; local signals apart
 *   GET /telemetry/validators/{id}   one validator by staking id or signer address (400 / 404)
 *   GET /telemetry/checkpoints       recent checkpoints with their tallied signature sets
 *   GET /telemetry/heights/{height}  one height's facts (what its block says) and record (its outcome)
 */
import { HttpError } from '../delivery/rest/http-error.ts';
import type { RestResult, RestRoute } from '../delivery/rest/interface.ts';
import type { GoJsonValue } from '../protocol/delivery-rest/go-json.ts';
import { emptyCounters } from './chain/delivery.ts';
import type { TelemetryCollector } from './collector.ts';
import type { LocalSignals } from './local.ts';
import { POLICY_V1, scoreValidator, type ScorePolicy } from './scorecard.ts';

export const SIGNING_LATENCY_NOTE =
  'Delivery votes carry no timestamp, so vote time minus proposal time is not on the chain; signedWithinMs sums, over the heights a validator signed, the block-time gap between the proposal it signed and the block that carried its precommit (an upper bound).';

export interface TelemetryValidatorRef {
  id: number;
  signer: string;
  jailed: boolean;
}

export interface TelemetryRestDeps {
  collector: TelemetryCollector;
  /** The current Delivery validator set. */
  validators: () => TelemetryValidatorRef[];
  local: () => Promise<LocalSignals>;
  policy?: ScorePolicy;
}

function json(v: unknown): GoJsonValue {
  return v as GoJsonValue;
}

export function validatorTelemetry(deps: TelemetryRestDeps, v: TelemetryValidatorRef): RestResult {
  const c = deps.collector;
  const window = c.windowTotals().validators[v.signer] ?? emptyCounters();
  const cumulative = c.cumulative().validators[v.signer] ?? emptyCounters();
  const slots = c.bttcTotals().producers[v.signer] ?? { sealedInTurn: 0, sealedAsBackup: 0, slotsMissed: 0 };
  return json({ id: v.id, signer: v.signer, jailed: v.jailed, score: scoreValidator(window, slots, deps.policy ?? POLICY_V1), window, cumulative, slots });
}

function ranges(c: TelemetryCollector): GoJsonValue {
  const w = c.windowTotals();
  const t = c.cumulative();
  const b = c.bttcTotals();
  return {
    windowHeights: c.windowHeights,
    window: { fromHeight: w.fromHeight, toHeight: w.toHeight, heights: w.heights },
    cumulative: { fromHeight: t.fromHeight, toHeight: t.toHeight, heights: t.heights },
    bttc: { fromBlock: b.fromBlock, toBlock: b.toBlock, blocks: b.blocks, unattributed: b.unattributed },
  };
}

/** A `{id}` segment: a decimal staking id or a 0x signer address; anything else is a 400 naming it. */
export function findValidator(list: TelemetryValidatorRef[], raw: string): TelemetryValidatorRef {
  let found: TelemetryValidatorRef | undefined;
  if (/^\d{1,15}$/.test(raw)) found = list.find((v) => v.id === Number(raw));
  else if (/^0x[0-9a-fA-F]{40}$/.test(raw)) found = list.find((v) => v.signer === raw.toLowerCase());
  else throw new HttpError(400, `validator ${JSON.stringify(raw)}: expected a decimal staking id or a 0x-prefixed 20-byte signer address`);
  if (!found) throw new HttpError(404, `no validator ${raw} in the current Delivery validator set`);
  return found;
}

export function telemetryRoutes(deps: TelemetryRestDeps): RestRoute[] {
  const policy = deps.policy ?? POLICY_V1;
  return [
    {
      path: '/telemetry/validators',
      handle: async () => ({
        chainDerived: { ...(ranges(deps.collector) as Record<string, GoJsonValue>), signingLatency: SIGNING_LATENCY_NOTE },
        policy: json(policy),
        validators: deps.validators().map((v) => validatorTelemetry(deps, v)),
        local: json(await deps.local()),
      }),
    },
    {
      path: '/telemetry/validators/:id',
      handle: (req) => ({
        ...(ranges(deps.collector) as Record<string, GoJsonValue>),
        policyVersion: policy.version,
        validator: validatorTelemetry(deps, findValidator(deps.validators(), req.params.id ?? '')),
      }),
    },
    {
      path: '/telemetry/heights/:height',
      handle: async (req) => {
        const raw = req.params.height ?? '';
        if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw new HttpError(400, `height ${JSON.stringify(raw)}: expected a positive decimal Delivery height`);
        const e = await deps.collector.entry(Number(raw));
        if (!e) throw new HttpError(404, `height ${raw}: no telemetry stored (committed height ${req.height})`);
        return json({ facts: e.facts, record: e.record ?? null });
      },
    },
    {
      path: '/telemetry/checkpoints',
      handle: () => json(deps.collector.recentRecords(deps.collector.windowHeights).flatMap((r) => r.checkpoints)),
    },
  ];
}
