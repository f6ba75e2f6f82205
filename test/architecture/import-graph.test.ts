/**
 * The layering the code is built on (docs/architecture.md): Bttc and Delivery never import each
 * other, both may use the protocol core, and the protocol core depends on neither layer nor on the
 * node around them. The composition root stays a wiring file. Each rule reads the real import
 * statements of every source file, so a new import that breaks a rule fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { isQuorum, quorumThreshold } from '../../src/protocol/quorum.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import (static, `import type`, re-export, dynamic) of a file, as paths below src/. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(relative(SRC, resolve(dirname(file), m[1]!)));
  return out;
}

function violations(fromDir: string, forbidden: string[]): string[] {
  const bad: string[] = [];
  for (const f of sourceFiles(join(SRC, fromDir))) {
    for (const target of importsOf(f)) if (forbidden.some((d) => target === d || target.startsWith(d + '/'))) bad.push(`${relative(ROOT, f)} imports src/${target}`);
  }
  return bad;
}

test('src/bttc imports nothing from src/delivery', () => {
  assert.deepEqual(violations('bttc', ['delivery']), []);
});

test('src/delivery imports nothing from src/bttc', () => {
  assert.deepEqual(violations('delivery', ['bttc']), []);
});

test('src/protocol depends on neither layer nor on the node, sync, rpc or p2p', () => {
  assert.deepEqual(violations('protocol', ['bttc', 'delivery', 'node', 'sync', 'rpc', 'p2p', 'cli', 'root', 'rootchain', 'evm', 'chain']), []);
});

test('the Delivery REST client (what Bttc reads a remote Delivery with) imports nothing from src/delivery: only the wire format', () => {
  assert.deepEqual(violations('delivery-rest-client', ['delivery', 'node']), []);
});

test('the rule checker sees imports of every form (it can fail)', () => {
  const probe = join(SRC, 'bttc', 'probe.ts');
  const forms = [
    "import { x } from '../delivery/a.ts';",
    "import type { y } from '../delivery/b.ts';",
    "export * from '../delivery/c.ts';",
    "await import('../delivery/d.ts');",
    "import '../delivery/e.ts';",
  ];
  // importsOf reads from disk; check the regex on a synthetic text through a temp file-free path.
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  const found = forms.flatMap((f) => [...f.matchAll(re)].map((m) => relative(SRC, resolve(dirname(probe), m[1]!))));
  assert.deepEqual(found, ['delivery/a.ts', 'delivery/b.ts', 'delivery/c.ts', 'delivery/d.ts', 'delivery/e.ts']);
});

test('one quorum rule: x ≥ ⌊2t/3⌋+1 exactly when 3x > 2t', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (t, x) => x >= quorumThreshold(t) === isQuorum(x, t)));
  assert.equal(quorumThreshold(4), 3);
  assert.equal(quorumThreshold(3), 3);
  assert.equal(quorumThreshold(100), 67);
});
