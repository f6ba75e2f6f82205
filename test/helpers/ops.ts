/** Metric names the ops/ files (Prometheus alert rules, Grafana dashboard) use. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function opsMetricNames(root: string): Set<string> {
  const text = readFileSync(join(root, 'ops/prometheus/alerts.yml'), 'utf8') + readFileSync(join(root, 'ops/grafana/bttc-node.json'), 'utf8');
  // Only expressions: the rules' `expr:` lines and the dashboard's "expr" fields.
  const exprs = [...text.matchAll(/expr:\s*(.+)$/gm), ...text.matchAll(/"expr":\s*"([^"]+)"/g)].map((m) => m[1]!);
  return new Set(exprs.flatMap((e) => [...e.matchAll(/\bbttc_[a-z_]+\b/g)].map((m) => m[0])));
}
