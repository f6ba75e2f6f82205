/** `bin/bttc-node` works when run through a symlink, as npx and `npm link` run it, and sets the node's malloc arenas. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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

/** MALLOC_ARENA_MAX as the running node process sees it (its /proc environ), under `env`. */
async function arenasSeenBy(bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const d = mkdtempSync(join(tmpdir(), 'bin-env-'));
  // The embedded root chain runs until stopped: long enough to read its environment.
  const child = spawn(bin, ['rootchain', '--datadir', d, '--dev-validators', '1', '--port', '0'], { env, stdio: 'ignore' });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      // sh execs node, so the child's pid is the node process once exec has happened
      const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      if (cmdline.includes('main.ts')) return environ.find((e) => e.startsWith('MALLOC_ARENA_MAX='))?.slice('MALLOC_ARENA_MAX='.length);
      if (Date.now() > deadline) throw new Error('the launcher did not exec node within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rmSync(d, { recursive: true, force: true });
  }
}

test('bin/bttc-node runs the node with 2 glibc malloc arenas unless the caller set MALLOC_ARENA_MAX', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  const bin = resolve(import.meta.dirname, '../../bin/bttc-node');
  const { MALLOC_ARENA_MAX: _, ...base } = process.env;
  assert.equal(await arenasSeenBy(bin, base), '2');
  assert.equal(await arenasSeenBy(bin, { ...base, MALLOC_ARENA_MAX: '8' }), '8');
});
