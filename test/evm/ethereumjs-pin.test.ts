/**
 * The executor reaches into two private fields of EthereumJS's MerkleStateManager (`_trie` to ask
 * whether a state root is stored, `_checkpointCount` to unwind after a failed block), and
 * SharedCommon overrides Common methods whose contracts are internal. A minor release may rename
 * any of them (and src/evm/jumpAnalysisCache.ts replaces the interpreter's jump analysis with a
 * cached one), so every @ethereumjs package is pinned to one exact version in package.json, and
 * this test fails when the installed versions drift from the pin or the internals are gone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { Common } from '@ethereumjs/common';

const ROOT = resolve(import.meta.dirname, '../..');

test('every @ethereumjs dependency is pinned exactly, and the installed version is the pinned one', () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const ejs = Object.entries(pkg.dependencies).filter(([n]) => n.startsWith('@ethereumjs/'));
  assert.ok(ejs.length >= 5, 'the executor depends on the @ethereumjs packages');
  for (const [name, spec] of ejs) {
    assert.match(spec, /^\d+\.\d+\.\d+$/, `${name}: "${spec}" must be an exact version (its internals are used)`);
    const installed = (JSON.parse(readFileSync(resolve(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(installed, spec, `${name}: installed ${installed}, pinned ${spec}`);
  }
});

test('the EthereumJS internals the executor uses are still there', async () => {
  const sm = new MerkleStateManager() as unknown as Record<string, unknown> & { _trie: { checkRoot: unknown } };
  assert.equal(typeof sm._trie?.checkRoot, 'function', 'MerkleStateManager._trie.checkRoot');
  assert.equal(typeof sm['_checkpointCount'], 'number', 'MerkleStateManager._checkpointCount');
  for (const m of ['updateParams', 'setHardfork', 'hardforkGteHardfork', 'consensusType', 'consensusAlgorithm', 'copy']) {
    assert.equal(typeof (Common.prototype as unknown as Record<string, unknown>)[m], 'function', `Common.prototype.${m} (SharedCommon overrides it)`);
  }
});

test('the jump-analysis cache finds and wraps the interpreter method it replaces', async () => {
  // importing throws, naming the method, when @ethereumjs/evm no longer has it
  const { jumpAnalysisStats } = await import('../../src/evm/jumpAnalysisCache.ts');
  const { Interpreter } = (await import(new URL('./interpreter.js', import.meta.resolve('@ethereumjs/evm')).href)) as { Interpreter: { prototype: Record<string, unknown> } };
  assert.equal((Interpreter.prototype._getValidJumpDestinations as { name: string }).name, 'cachedJumpAnalysis');
  assert.equal(typeof jumpAnalysisStats.hits, 'number');
});
