/**
 * Temp dirs for tests, removed even when the test fails: `tempDir(t)` ties the dir to a test (or, with
 * `{ after }` from node:test, to the file), `withTempDir` to a block, and `makeTempDir` leaves removal
 * to a fixture whose own close() outlives one test. All live under the OS temp dir as bttc-test-*.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Anything that runs a function when a test or suite ends: a TestContext, or `{ after }` from node:test. */
export interface AfterHook {
  after(fn: () => void | Promise<void>): void;
}

/** A fresh dir the caller removes with `remove()`. Prefer `tempDir` or `withTempDir`. */
export function makeTempDir(prefix = 'tmp'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `bttc-test-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true, maxRetries: 3 }) };
}

/**
 * A fresh dir removed when `hook`'s test ends, pass or fail. The removal runs after the test body and
 * its `finally` blocks, so stores opened in the dir can still be closed there; among `after` hooks it
 * runs in registration order, so register a store's close before asking for its dir.
 */
export function tempDir(hook: AfterHook, prefix = 'tmp'): string {
  const dir = makeTempDir(prefix);
  hook.after(dir.remove);
  return dir.path;
}

/** Runs `fn` with a fresh dir and removes the dir afterwards, whatever `fn` does. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    dir.remove();
  }
}
