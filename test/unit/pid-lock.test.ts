import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquirePidLock, DirInUseError } from '../../src/util/pid-lock.ts';

test('a directory held by a live process is refused with its PID; a stale pid file is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pidlock-'));
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, 'bttc-node.pid'), `${child.pid}\n`);
    assert.throws(
      () => acquirePidLock(dir, 'data dir'),
      (e: unknown) => e instanceof DirInUseError && e.pid === child.pid && e.message.includes(`in use by PID ${child.pid}`),
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const lock = acquirePidLock(dir, 'data dir');
    assert.equal(readFileSync(lock.file, 'utf8').trim(), String(process.pid));
    lock.release();
    assert.equal(existsSync(lock.file), false);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
