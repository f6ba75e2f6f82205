/**
 * The Prometheus alert rules and the Grafana dashboard in ops/: promtool accepts the rules (and
 * rejects a broken copy, so the check can fail), and every bttc_validator_* / telemetry metric they
 * name is one telemetry registers. That every metric they name is exported by a running node is
 * checked against a real node's /metrics in test/devnet/telemetry.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { telemetryMetrics } from '../../src/telemetry/metrics.ts';
import { opsMetricNames } from '../helpers/ops.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RULES = join(ROOT, 'ops/prometheus/alerts.yml');
const promtool = spawnSync('promtool', ['--version']).status === 0;

test('promtool check rules accepts ops/prometheus/alerts.yml and rejects a broken copy', {
  skip: promtool ? false : 'promtool is not installed (Debian package prometheus; .ci/run installs it)',
}, (t) => {
  const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.match(out, /SUCCESS: \d+ rules found/);
  const broken = join(tempDir(t, 'rules'), 'broken.yml');
  writeFileSync(broken, readFileSync(RULES, 'utf8').replace('> 5', '> > 5'));
  const r = spawnSync('promtool', ['check', 'rules', broken], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'a rule with a syntax error fails the check');
});

test('the alert rules and the Grafana dashboard name only telemetry metrics that telemetry registers', async () => {
  const reg = createMetricsRegistry();
  telemetryMetrics(reg);
  const registered = new Set((await reg.getMetricsAsJSON()).map((m) => m.name));
  const names = opsMetricNames(ROOT);
  const ours = [...names].filter((n) => n.startsWith('bttc_validator_') || n.startsWith('bttc_telemetry_') || n === 'bttc_chain_block_interval_seconds');
  assert.ok(ours.length >= 8, `ops files use the per-validator metrics: ${ours}`);
  for (const n of ours) assert.ok(registered.has(n), `${n} is used in ops/ but telemetry does not register it`);
  const dash = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/bttc-node.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  assert.ok(dash.panels.some((p) => p.targets?.some((x) => x.expr.includes('bttc_validator_score'))));
});
