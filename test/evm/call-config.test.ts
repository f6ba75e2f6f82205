/** The call-worker settings in the node config: defaults (geth's), and errors that name the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNodeFile } from '../../src/node/config.ts';

const node = { dataDir: './data', genesis: './genesis.json' };

test('rpc.gasCap, rpc.evmTimeoutMs and rpc.callWorkers: defaults, overrides, and bad values named', () => {
  const d = parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { port: 9000 } } }, '/etc/bttc/node.json').node.rpc;
  assert.equal(d.gasCap, 50_000_000n);
  assert.equal(d.evmTimeoutMs, 5000);
  assert.equal(d.callWorkers, 1);
  const o = parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { gasCap: '100000000', evmTimeoutMs: 2500, callWorkers: 2 } } }, 'n.json').node.rpc;
  assert.deepEqual([o.gasCap, o.evmTimeoutMs, o.callWorkers, o.port], [100_000_000n, 2500, 2, 8545]);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { gasCap: 1000 } } }, 'n.json'), /n\.json: node\.rpc\.gasCap: expected a whole number ≥ 21000, got 1000/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { evmTimeoutMs: 0 } } }, 'n.json'), /node\.rpc\.evmTimeoutMs: expected an integer from 1 to 600000, got 0/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { evmTimeoutMs: '5s' } } }, 'n.json'), /node\.rpc\.evmTimeoutMs: expected an integer/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { callWorkers: 0 } } }, 'n.json'), /node\.rpc\.callWorkers: expected an integer from 1 to 64, got 0/);
});
