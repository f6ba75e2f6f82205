/**
 * The auditor's dashboard: one static page (no framework, no build step) served at /dashboard on
 * the Delivery REST port. Its script reads the node's own REST routes: telemetry scorecards,
 * checkpoints with their tallied signature sets, spans and producers, and, where this node serves
 * them, governance, slashing and event-log anchors. A section whose route answers 404 is removed,
 * so the page shows only what the node has. Each item names the `bttc-node evidence export`
 * command that packages it and links the REST route it came from.
 */

/** Routes of sections that only some nodes serve; a 404 hides the section. */
export const OPTIONAL_SECTIONS = [
  { id: 'gov', title: 'Governance proposals and tallies', path: '/gov/proposals', evidence: 'proposal' },
  { id: 'slashing', title: 'Slash candidates and finals', path: '/slashing/candidates', evidence: 'slash' },
  { id: 'audit', title: 'Event log anchors', path: '/audit-log/anchors', evidence: null },
] as const;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const short = (a) => (typeof a === 'string' && a.length > 14 ? a.slice(0, 8) + '…' + a.slice(-4) : a);
async function get(path) {
  const r = await fetch(path);
  if (r.status === 404) return { missing: true };
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return { body: await r.json() };
}
function evidence(kind, id, route) {
  const cmd = 'bttc-node evidence export --' + kind + ' ' + id + ' --out ' + kind + '-' + id + '.json';
  return '<a class="evidence" href="' + esc(route) + '" title="' + esc(cmd) + '">evidence</a> <code>' + esc(cmd) + '</code>';
}
function table(head, rows) {
  return '<table><thead><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr></thead><tbody>' + rows.join('') + '</tbody></table>';
}
async function scorecards() {
  const { body } = await get('/telemetry/validators');
  const t = body.result;
  $('policy').textContent = 'policy ' + t.policy.version + ' · window ' + t.chainDerived.window.fromHeight + '–' + t.chainDerived.window.toHeight + ' (' + t.chainDerived.windowHeights + ' heights) · Delivery height ' + body.height;
  const rows = t.validators.map((v) => '<tr data-validator="' + v.id + '"><td>' + v.id + '</td><td title="' + esc(v.signer) + '">' + esc(short(v.signer)) + '</td><td class="grade">' + esc(v.score.grade) + '</td><td class="score">' + (v.score.scoreBps / 100).toFixed(2) + '%' +
    '</td><td class="signed">' + v.window.commitsSigned + '</td><td class="missed">' + v.window.commitsMissed + '</td><td class="cmissed">' + v.cumulative.commitsMissed + '</td><td>' + v.cumulative.proposalsMade + ' / ' + v.cumulative.proposalsMissed +
    '</td><td>' + v.cumulative.checkpointSigsIncluded + ' / ' + v.cumulative.checkpointSigsMissing + '</td><td>' + v.slots.sealedInTurn + ' / ' + v.slots.slotsMissed + '</td><td>' + (v.cumulative.lastRecovery ? v.cumulative.lastRecovery.heights + ' h, ' + v.cumulative.lastRecovery.ms / 1000 + ' s' : '–') +
    '</td><td>' + esc(v.score.flags.join('; ') || '–') + '</td><td><a href="/telemetry/validators/' + v.id + '">raw</a></td></tr>');
  $('scorecards-body').innerHTML = table(['id', 'signer', 'grade', 'score', 'window signed', 'window missed', 'missed (all)', 'proposals made / missed', 'checkpoint sigs in / missing', 'slots in turn / missed', 'last recovery', 'flags', ''], rows);
  $('local').textContent = JSON.stringify(t.local, null, 2);
}
async function checkpoints() {
  const { body: cps } = await get('/telemetry/checkpoints');
  // Acked checkpoints by "root chain/start-end" → number (the evidence package's --checkpoint), from
  // the last few Delivery records of each root chain seen; not acked yet: no number, no package.
  const numbers = new Map();
  for (const chain of [...new Set(cps.result.map((c) => c.rootChainId))]) {
    const count = await get('/checkpoints/count?root-chain=' + chain).catch(() => ({}));
    const n = count.body ? Number(count.body.result.result) : 0;
    for (let k = n; k >= 1 && k > n - 10; k--) {
      const r = await get('/checkpoints/' + k + '?root-chain=' + chain).catch(() => ({}));
      if (r.body) numbers.set(chain + '/' + r.body.result.start_block + '-' + r.body.result.end_block, k);
    }
  }
  const rows = cps.result.map((c) => {
    const n = numbers.get(c.rootChainId + '/' + c.start + '-' + c.end);
    const ev = n ? evidence('checkpoint', n, '/checkpoints/' + n + '?root-chain=' + c.rootChainId) : '<span class="unacked">not acked yet: no evidence package</span>';
    return '<tr class="checkpoint"><td>' + c.height + '</td><td>' + c.rootChainId + '</td><td>' + c.start + '–' + c.end + '</td><td title="' + esc(c.proposer) + '">' + esc(short(c.proposer)) + '</td><td class="sigs">' + c.signed.length + '</td><td>' +
      c.signed.map((s) => '<span class="sig" title="' + esc(s) + '">' + esc(short(s)) + '</span>').join(' ') + '</td><td>' + (c.missing.map(short).join(' ') || '–') + '</td><td>' + ev + '</td></tr>';
  });
  $('checkpoints-body').innerHTML = rows.length ? table(['Delivery height', 'root chain', 'Bttc blocks', 'proposer', 'signatures', 'signed by', 'missing', 'evidence'], rows) : '<p>No checkpoint in the telemetry window yet.</p>';
}
async function spans() {
  const { body } = await get('/bor/latest-span');
  const s = body.result;
  const rows = s.selected_producers.map((p) => '<tr class="producer"><td>' + p.ID + '</td><td title="' + esc(p.signer) + '">' + esc(short(p.signer)) + '</td><td>' + p.power + '</td></tr>');
  $('spans-body').innerHTML = '<p class="span">span ' + s.span_id + ': Bttc blocks ' + s.start_block + '–' + s.end_block + ', chain ' + esc(s.bor_chain_id) + ' <a href="/bor/span/' + s.span_id + '">raw</a></p>' + table(['validator', 'producer', 'power'], rows);
}
async function optional(sec) {
  const r = await get(sec.path);
  if (r.missing) { $(sec.id).remove(); return; }
  const items = Array.isArray(r.body.result) ? r.body.result : [r.body.result];
  $(sec.id + '-body').innerHTML = items.length ? '<ul>' + items.map((it) => '<li class="item"><code>' + esc(JSON.stringify(it)).slice(0, 400) + '</code> ' + (sec.evidence && it && it.id !== undefined ? evidence(sec.evidence, it.id, sec.path) : '<a href="' + esc(sec.path) + '">raw</a>') + '</li>').join('') + '</ul>' : '<p>None.</p>';
}
async function main() {
  const parts = [scorecards(), checkpoints(), spans(), ...OPTIONAL.map(optional)];
  const results = await Promise.allSettled(parts);
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  $('status').textContent = failed.length ? 'errors: ' + failed.join('; ') : 'loaded ' + new Date().toISOString();
  document.body.dataset.loaded = failed.length ? 'error' : 'ok';
}
main();
`;

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1b1f23; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; }
th { background: #f6f8fa; } code { font-size: 12px; } .grade { font-weight: bold; } #status, #policy, #local { color: #57606a; }
`;

export function dashboardHtml(): string {
  const optional = OPTIONAL_SECTIONS.map((s) => `<section id="${s.id}"><h2>${s.title}</h2><div id="${s.id}-body">loading…</div></section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bttc-node auditor's dashboard</title><style>${STYLE}</style></head>
<body>
<h1>bttc-node auditor's dashboard</h1>
<p id="status">loading…</p>
<section id="scorecards"><h2>Validator scorecards (chain-derived)</h2><p id="policy"></p><div id="scorecards-body">loading…</div></section>
<section id="checkpoints"><h2>Recent checkpoints and their signature sets</h2><div id="checkpoints-body">loading…</div></section>
<section id="spans"><h2>Span and producers</h2><div id="spans-body">loading…</div></section>
${optional}
<section id="local-signals"><h2>Local signals (this node only, not consensus data)</h2><pre id="local"></pre></section>
<script>const OPTIONAL = ${JSON.stringify(OPTIONAL_SECTIONS)};${SCRIPT}</script>
</body></html>
`;
}
