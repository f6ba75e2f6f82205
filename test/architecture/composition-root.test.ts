/**
 * The composition root only wires: it stays small enough to read in one sitting, and it builds every
 * part into a local before constructing anything that holds it, so no field is `!`-asserted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

const NODE = resolve(import.meta.dirname, '../../src/node/node.ts');
const MAX_LINES = 250;

export function definiteAssignmentFields(text: string): string[] {
  return [...text.matchAll(/^\s*(?:(?:private|protected|public|readonly|static|override|declare)\s+)*#?[A-Za-z_$][\w$]*!\s*:/gm)].map((m) => m[0].trim());
}

test(`src/node/node.ts stays within ${MAX_LINES} lines`, () => {
  const lines = readFileSync(NODE, 'utf8').replace(/\n$/, '').split('\n').length;
  assert.ok(lines <= MAX_LINES, `src/node/node.ts has ${lines} lines; move logic out (src/sync, gossip-handlers.ts, status.ts, …) rather than raising the limit`);
});

test('src/node/node.ts declares no definitely-assigned (!:) field', () => {
  assert.deepEqual(definiteAssignmentFields(readFileSync(NODE, 'utf8')), []);
});

test('the field check can fail', () => {
  const sample = ['class X {', '  chain!: ChainStore;', '  private spans!: SpanCache;', '  readonly ok: number;', '  private readonly y!: Y;', '  #z!: Z;', '}'].join('\n');
  assert.deepEqual(definiteAssignmentFields(sample), ['chain!:', 'private spans!:', 'private readonly y!:', '#z!:']);
});
