/**
 * The composition root only wires: it stays small enough to read in one sitting, and it builds every
 * part into a local before constructing anything that holds it, so no field is `!`-asserted.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');
const NODE = join(SRC, 'node/node.ts');
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

test('the sync policy (src/sync) does not reach back into the node that wires it', () => {
  const bad: string[] = [];
  for (const name of readdirSync(join(SRC, 'sync')).filter((n) => n.endsWith('.ts'))) {
    const file = join(SRC, 'sync', name);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const target = relative(SRC, resolve(dirname(file), m[1]!));
      if (target.startsWith('node/')) bad.push(`src/sync/${name} imports src/${target}`);
    }
  }
  assert.deepEqual(bad, []);
});
