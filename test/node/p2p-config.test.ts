/** `node.p2p.banSeconds`: how long a peer that sent junk is refused; 600 s unless the file says otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNodeFile } from '../../src/node/config.ts';

const node = { dataDir: './d', keys: './k.json', genesis: './g.json' };

test('p2p.banSeconds: defaults to 600, set per file, validated', () => {
  assert.equal(parseNodeFile({ preset: 'devnet', node }, 'n.json').node.p2p.banSeconds, 600);
  const f = parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { banSeconds: 30 } } }, 'n.json');
  assert.equal(f.node.p2p.banSeconds, 30);
  assert.deepEqual(f.node.p2p.listen, ['/ip4/127.0.0.1/tcp/30303'], 'the other p2p defaults stay');
  assert.equal(parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { banSeconds: 0 } } }, 'n.json').node.p2p.banSeconds, 0, '0: disconnect only');
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { banSeconds: -1 } } }, 'n.json'), /node\.p2p\.banSeconds: expected an integer from 0 to 604800/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { banSeconds: 'long' } } }, 'n.json'), /node\.p2p\.banSeconds/);
});

test('p2p.meshDegree and buildBudgetMs: default 4 and null (the producer picks), set per file, validated', () => {
  const d = parseNodeFile({ preset: 'devnet', node }, 'n.json').node;
  assert.equal(d.p2p.meshDegree, 4);
  assert.equal(d.buildBudgetMs, null);
  const f = parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { meshDegree: 6 }, buildBudgetMs: 400 } }, 'n.json').node;
  assert.equal(f.p2p.meshDegree, 6);
  assert.equal(f.buildBudgetMs, 400);
  assert.equal(f.p2p.banSeconds, 600, 'the other p2p defaults stay');
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { meshDegree: 0 } } }, 'n.json'), /node\.p2p\.meshDegree: expected an integer from 1 to 32/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, buildBudgetMs: 10 } }, 'n.json'), /node\.buildBudgetMs: expected an integer from 50 to 60000/);
});
