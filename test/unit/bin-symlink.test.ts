/** `bin/bttc-node` works when run through a symlink, as npx and `npm link` run it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

test('bin/bttc-node follows absolute and relative symlinks to the project', () => {
  const bin = resolve(import.meta.dirname, '../../bin/bttc-node');
  const d = mkdtempSync(join(tmpdir(), 'bin-link-'));
  try {
    symlinkSync(bin, join(d, 'bttc-node'));
    mkdirSync(join(d, 'nested'));
    symlinkSync('../bttc-node', join(d, 'nested', 'chained'));
    for (const link of [join(d, 'bttc-node'), join(d, 'nested', 'chained')]) {
      const r = spawnSync(link, ['--help'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${link}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: bttc-node/);
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
