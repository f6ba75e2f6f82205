/**
 * The node file's rpc section: CORS off and debug off by default (on for the devnet preset and the
 * devnet's node configs), the old single-string cors still loads, and a bad value names its field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeFile } from '../../src/node/config.ts';
import { nodeDir, writeNodeConfig, type DevnetLayout } from '../../src/devnet/setup.ts';

const node = { dataDir: './d', genesis: './g.json' };
const rpcOf = (preset: string, rpc?: Record<string, unknown>) => parseNodeFile({ preset, node: rpc ? { ...node, rpc } : node }, 'n.json').node.rpc;

test('rpc defaults: no CORS, geth-like namespaces without debug (devnet adds it), geth batch bound, filter limits', () => {
  assert.deepEqual(rpcOf('mainnet'), {
    host: '127.0.0.1',
    port: 8545,
    cors: [],
    namespaces: ['eth', 'net', 'web3', 'bor', 'txpool', 'bttcnode'],
    batchResponseMaxSize: 25_000_000,
    maxFilters: 1000,
    maxFilterChanges: 10_000,
    gasCap: 50_000_000n,
    evmTimeoutMs: 5000,
    callWorkers: 1,
  });
  assert.ok(!rpcOf('donau', { port: 9000 }).namespaces.includes('debug'));
  assert.ok(rpcOf('devnet').namespaces.includes('debug'), 'the devnet preset serves debug');
  assert.deepEqual(rpcOf('devnet', { namespaces: ['eth'] }).namespaces, ['eth'], 'an explicit list wins');
});

test('rpc.cors: a list of origins, or the old single string; bad values name the field', () => {
  assert.deepEqual(rpcOf('mainnet', { cors: ['https://app.example', 'http://localhost:5173'] }).cors, ['https://app.example', 'http://localhost:5173']);
  assert.deepEqual(rpcOf('mainnet', { cors: '*' }).cors, ['*'], 'old files with cors: "*" keep allowing every origin');
  assert.deepEqual(rpcOf('mainnet', { cors: 'https://one.example' }).cors, ['https://one.example']);
  assert.deepEqual(rpcOf('mainnet', { cors: '' }).cors, []);
  assert.throws(() => rpcOf('mainnet', { cors: ['https://app.example/path'] }), /n\.json: node\.rpc\.cors\[0\]: expected an origin such as "https:\/\/app\.example"/);
  assert.throws(() => rpcOf('mainnet', { cors: 7 }), /node\.rpc\.cors: expected an array/);
  assert.throws(() => rpcOf('mainnet', { namespaces: ['eth', 'debg'] }), /node\.rpc\.namespaces\[1\]: expected one of "eth", "net", "web3", "bor", "txpool", "debug", "bttcnode", got "debg"/);
  assert.throws(() => rpcOf('mainnet', { batchResponseMaxSize: -1 }), /node\.rpc\.batchResponseMaxSize: expected an integer/);
  assert.throws(() => rpcOf('mainnet', { maxFilterChanges: 0 }), /node\.rpc\.maxFilterChanges/);
  assert.throws(() => rpcOf('mainnet', { corsDomain: ['*'] }), /node\.rpc\.corsDomain: expected no such field/);
});

test('devnet node configs: debug on and CORS for any origin (a developer network)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpc-devnet-cfg-'));
  try {
    const layout: DevnetLayout = { version: 1, validators: 1, ports: { rpc: 8545, rest: 1317, p2p: 30303, root: 8645 }, peerIds: ['12D3KooWxxxx'], rootStartBlock: 0, loadtestAccounts: 0 };
    mkdirSync(nodeDir(dir, 0), { recursive: true });
    const file = writeNodeConfig(dir, layout, 0, {
      rpcUrl: 'http://127.0.0.1:8645',
      contracts: { stakeManager: '0x' + '11'.repeat(20), rootChain: '0x' + '22'.repeat(20), stateSender: '0x' + '33'.repeat(20), stakingNft: '0x' + '44'.repeat(20), bttToken: '0x' + '55'.repeat(20) },
    });
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { node: { rpc: { cors: string[]; namespaces: string[] } } };
    assert.deepEqual(raw.node.rpc.cors, ['*']);
    assert.ok(raw.node.rpc.namespaces.includes('debug'));
    assert.ok(raw.node.rpc.namespaces.includes('bttcnode'), 'the supervisor reads bttcnode_status');
    const parsed = parseNodeFile(JSON.parse(readFileSync(file, 'utf8')), file);
    assert.deepEqual(parsed.node.rpc.cors, ['*']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
