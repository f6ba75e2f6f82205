/** The load report as a table for people (JSON is the LoadReport itself). */
import type { LoadReport } from './runner.ts';
import type { Summary } from './stats.ts';

const f = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));
const row = (name: string, value: string) => `  ${name.padEnd(26)} ${value}`;
const dist = (s: Summary, unit: string) => `mean ${f(s.mean)}  p50 ${f(s.p50)}  p90 ${f(s.p90)}  p99 ${f(s.p99)}  max ${f(s.max)} ${unit}  (n=${s.count})`;

export function formatReport(r: LoadReport): string {
  const lines = [
    `loadtest ${r.mode} against ${r.rpc} (chain ${r.chainId}), ${r.accounts} accounts`,
    row('target', `${r.target.rate} tx/s for ${r.target.durationSec} s = ${r.target.transactions} txs${r.token ? `, token ${r.token}` : ''}`),
    row('signed in', `${r.signSeconds.toFixed(2)} s`),
    row('sent / accepted / included', `${r.sent} / ${r.accepted} / ${r.included}  (${r.notIncluded} accepted but not included)`),
    row('not sent', `${r.notSent} (node slower than the rate: ${r.backpressureTicks} ticks with every account at its pending cap)`),
    row('send time', `${r.sendSeconds.toFixed(2)} s (${(r.sent / Math.max(r.sendSeconds, 1e-9)).toFixed(1)} tx/s offered)`),
    row('blocks', `${r.blocks.first}..${r.blocks.last} (${r.blocks.count} blocks, ${r.blocks.txs} txs, ${r.windowSeconds} s of chain time)`),
    row('TPS', r.tps.toFixed(1)),
    row('Mgas/s', r.mgasPerSec.toFixed(2)),
    ...(r.blockIntervalNetwork ? [row(`block interval (network)`, dist(r.blockIntervalNetwork, 's') + `  first newHeads at any of ${r.watched.length} nodes`)] : []),
    row(`block interval (seen${r.headTiming === 'newHeads' ? ', newHeads' : ', polled'})`, dist(r.blockInterval, 's') + (r.blockIntervalNetwork ? '  at the RPC node, after its import' : '')),
    row('block interval (header)', dist(r.blockIntervalHeader, 's')),
    ...(r.blockIntervalWithinSprint ? [row('interval within sprints', dist(r.blockIntervalWithinSprint, 's'))] : []),
    row('inclusion latency', dist(r.inclusionLatency, 's')),
    row(
      'observer event-loop lag',
      `p50 ${f(r.observerLag.p50 * 1000, 1)}  p99 ${f(r.observerLag.p99 * 1000, 1)}  max ${f(r.observerLag.max * 1000, 1)} ms  (the load generator's own; arrival times carry it)`,
    ),
  ];
  const errs = Object.entries(r.errors).sort((a, b) => b[1] - a[1]);
  lines.push(row('errors', (errs.length ? String(errs.reduce((s, [, n]) => s + n, 0)) : 'none') + (r.resent ? `  (${r.resent} refused for a full list or pool, then resent)` : '')));
  for (const [kind, n] of errs) lines.push(`    ${String(n).padStart(7)}  ${kind}`);
  return lines.join('\n') + '\n';
}
