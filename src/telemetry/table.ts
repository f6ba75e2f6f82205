/** The scorecard as a terminal table (`bttc-node scorecard`): one row per validator from GET /telemetry/validators. */

export interface ScorecardRow {
  id: number;
  signer: string;
  jailed: boolean;
  score: { scoreBps: number; grade: string; flags: string[]; policyVersion: string };
  window: { commitsSigned: number; commitsMissed: number };
  cumulative: {
    commitsMissed: number;
    proposalsMade: number;
    proposalsMissed: number;
    checkpointSigsIncluded: number;
    checkpointSigsMissing: number;
    lastRecovery: { heights: number; ms: number } | null;
  };
  slots: { sealedInTurn: number; slotsMissed: number };
}

export interface ScorecardAnswer {
  height: string;
  result: { chainDerived: { window: { fromHeight: number; toHeight: number }; windowHeights: number }; policy: { version: string }; validators: ScorecardRow[] };
}

export function scorecardTable(a: ScorecardAnswer): string {
  const head = ['id', 'signer', 'grade', 'score', 'win signed', 'win missed', 'missed', 'proposals', 'ckpt sigs', 'slots', 'last recovery', 'flags'];
  const rows = a.result.validators.map((v) => [
    String(v.id),
    v.signer + (v.jailed ? ' (jailed)' : ''),
    v.score.grade,
    `${(v.score.scoreBps / 100).toFixed(2)}%`,
    String(v.window.commitsSigned),
    String(v.window.commitsMissed),
    String(v.cumulative.commitsMissed),
    `${v.cumulative.proposalsMade}/${v.cumulative.proposalsMissed}`,
    `${v.cumulative.checkpointSigsIncluded}/${v.cumulative.checkpointSigsMissing}`,
    `${v.slots.sealedInTurn}/${v.slots.slotsMissed}`,
    v.cumulative.lastRecovery ? `${v.cumulative.lastRecovery.heights} h, ${v.cumulative.lastRecovery.ms / 1000} s` : '-',
    v.score.flags.join('; ') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const w = a.result.chainDerived;
  return [
    `Delivery height ${a.height}, policy ${a.result.policy.version}, window heights ${w.window.fromHeight}-${w.window.toHeight} (${w.windowHeights})`,
    'proposals = made/missed, ckpt sigs = included/missing, slots = sealed in turn/missed',
    line(head),
    ...rows.map(line),
  ].join('\n');
}
