/**
 * Runs every bench file in bench/ (any bench/*.ts but this one; helpers live in bench/lib/), one
 * child process each so one bench's threads and heap never disturb the next. Arguments (`--quick`)
 * pass through. `--only name,name` limits the set. Exits non-zero if any bench failed, after
 * running the rest.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1]?.split(',')) : null;
const passThrough = onlyIdx >= 0 ? args.filter((_, i) => i !== onlyIdx && i !== onlyIdx + 1) : args;

const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts' && !f.endsWith('.d.ts'))
  .filter((f) => !only || only.has(f.replace(/\.ts$/, '')))
  .sort();

const failed: string[] = [];
for (const f of files) {
  console.log(`\n== bench/${f} ${passThrough.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, f), ...passThrough], { stdio: 'inherit' });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(f);
    console.error(`!! bench/${f} failed (exit ${r.status ?? r.signal}) after ${secs} s`);
  } else console.log(`== bench/${f} done in ${secs} s`);
}
console.log(`\n${files.length - failed.length} of ${files.length} bench files ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
