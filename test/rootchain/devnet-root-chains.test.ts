/**
 * The devnet's root chains, without processes: `--root-chains 2` writes a second root chain's
 * genesis (BSC's Delivery id 3, its own EVM chain id, the same validators staked), node configs
 * naming both chains with the first as the staking chain, its port among the checked ones, and a
 * status line per chain; with one root chain (the default) nothing of it appears.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { devnetPorts, overlappingPorts } from '../../src/devnet/ports.ts';
import { createDevnet, readLayout, writeNodeConfig, type RootInfo } from '../../src/devnet/setup.ts';
import { statusLine, statusTable } from '../../src/devnet/status.ts';
import type { DevnetSnapshot } from '../../src/devnet/supervisor.ts';
import { stakingChainOf } from '../../src/delivery/modules/context.ts';
import { parseNodeFile } from '../../src/node/config.ts';
import { parseGenesis } from '../../src/rootchain/genesis.ts';

const contracts = (b: string) => ({
  stakeManager: '0x' + `1${b}`.repeat(20),
  rootChain: '0x' + `2${b}`.repeat(20),
  stateSender: '0x' + `3${b}`.repeat(20),
  stakingNft: '0x' + `4${b}`.repeat(20),
  bttToken: '0x' + `5${b}`.repeat(20),
  stakingInfo: '0x' + `6${b}`.repeat(20),
});
const ETH: RootInfo = { rpcUrl: 'http://127.0.0.1:9300', contracts: contracts('a') };
const BSC: RootInfo = { rpcUrl: 'http://127.0.0.1:9301', contracts: contracts('b') };
const PORTS = { rpc: 9000, rest: 9100, p2p: 9200, root: 9300 };

function snapshot(dir: string, rootchains?: DevnetSnapshot['rootchains']): DevnetSnapshot {
  return {
    at: Date.now(),
    dir,
    rootchain: { pid: 1, rpcUrl: ETH.rpcUrl, head: 10 },
    ...(rootchains ? { rootchains } : {}),
    nodes: [
      {
        index: 0,
        role: 'validator',
        pid: 2,
        rpcUrl: 'http://127.0.0.1:9000',
        restarts: 0,
        up: true,
        status: {
          bttc: { head: 40, lastBlockInterval: 2, txPerSec: 0, mgasPerSec: 0, span: 0, headProducer: null },
          delivery: { height: 9, checkpointsProposed: 2, checkpointsApproved: 2, checkpointsAcked: 1, lastCheckpointEnd: 31, checkpointProposer: null },
          peers: 0,
        } as never,
      },
    ],
  };
}

test('devnet --root-chains 2: a second root chain (BSC, id 3) in the layout, genesis, node configs, ports and status', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-roots-'));
  try {
    const layout = await createDevnet(dir, { validators: 2, ports: PORTS, rootChains: 2 });
    // (A copy: deepEqual would narrow the layout's own field to the literal compared with.)
    assert.deepEqual([...(layout.extraRootChains ?? [])], [{ id: 3, name: 'bsc', evmChainId: 1338, startBlock: null }]);
    assert.deepEqual(readLayout(dir)?.extraRootChains, layout.extraRootChains, 'written to devnet.json');

    // Its genesis: BSC's root chain id, another EVM chain id, the same Bttc chain and validators.
    const file = join(dir, 'root-genesis-bsc.json');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'it holds the deployer key');
    const first = parseGenesis(JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')));
    const second = parseGenesis(JSON.parse(readFileSync(file, 'utf8')));
    assert.deepEqual([first.rootChainId, second.rootChainId], [2, 3]);
    assert.notEqual(first.chainId, second.chainId);
    assert.equal(second.borChainId, first.borChainId);
    assert.deepEqual(
      second.validators.map((v) => v.signer),
      first.validators.map((v) => v.signer),
    );
    assert.equal(second.staking.checkpointBlockInterval, first.staking.checkpointBlockInterval);

    // Node configs: both chains, the first (Ethereum) the staking chain; each watcher from its own start block.
    layout.rootStartBlock = 7;
    layout.extraRootChains![0]!.startBlock = 9;
    const cfg = writeNodeConfig(dir, layout, 1, ETH, [BSC]);
    const parsed = parseNodeFile(JSON.parse(readFileSync(cfg, 'utf8')), cfg);
    assert.deepEqual(
      parsed.config.rootChains.map((r) => [r.name, r.id, r.kind, r.rpcUrl, r.rootChain, r.stakingInfo]),
      [
        ['ethereum', 2, 'evm', ETH.rpcUrl, ETH.contracts.rootChain, ETH.contracts.stakingInfo],
        ['bsc', 3, 'evm', BSC.rpcUrl, BSC.contracts.rootChain, BSC.contracts.stakingInfo],
      ],
    );
    assert.deepEqual(parsed.node.rootChains, [
      { id: 2, startBlock: 7 },
      { id: 3, startBlock: 9 },
    ]);
    assert.equal(stakingChainOf(parsed.config), 2, 'no TRON: the first root chain takes the sync records');
    assert.throws(() => writeNodeConfig(dir, layout, 1, ETH), /1 extra root chain\(s\) in the layout, 0 running/);

    // Ports: the second chain on root + 1, checked like the others.
    const ports = devnetPorts(layout);
    assert.deepEqual(ports.slice(0, 2), [
      { port: 9300, what: 'the root chain JSON-RPC' },
      { port: 9301, what: 'the bsc root chain JSON-RPC' },
    ]);
    const clash = overlappingPorts(devnetPorts({ ...layout, ports: { ...PORTS, rest: 9301 } }));
    assert.deepEqual(
      clash?.map((p) => p.what),
      ['the bsc root chain JSON-RPC', 'validator 0 Delivery REST'],
    );

    // Status: a line per chain with its checkpoints and, for BSC, its records on the staking chain.
    const snap = snapshot(dir, [
      { id: 2, name: 'ethereum', pid: 1, rpcUrl: ETH.rpcUrl, head: 120, checkpoints: 3, synced: null, staking: true },
      { id: 3, name: 'bsc', pid: 2, rpcUrl: BSC.rpcUrl, head: 118, checkpoints: 2, synced: 1, staking: false },
    ]);
    const line = statusTable(snap, Date.now())
      .split('\n')
      .find((l) => l.startsWith('root chains'));
    assert.equal(line, 'root chains  ethereum (2, staking) :9300 head 120 checkpoints 3   bsc (3) :9301 head 118 checkpoints 2 synced to staking 1');
    assert.match(statusLine(snap), / checkpoints 2\/2\/1 roots ethereum 3 bsc 2\/1 rpc /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet with one root chain (the default): no second chain anywhere, configs and status as before', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-roots-'));
  try {
    const layout = await createDevnet(dir, { validators: 2, ports: PORTS });
    assert.equal('extraRootChains' in layout, false);
    assert.equal('extraRootChains' in readLayout(dir)!, false, 'devnet.json as before');
    const cfg = JSON.parse(readFileSync(writeNodeConfig(dir, layout, 0, ETH), 'utf8')) as { set: { rootChains: { id: number }[] }; node: { rootChains: { id: number }[] } };
    assert.deepEqual(
      cfg.set.rootChains.map((r) => r.id),
      [2],
    );
    assert.deepEqual(cfg.node.rootChains, [{ id: 2, startBlock: 0 }]);
    assert.equal(devnetPorts(layout).filter((p) => p.what.includes('root chain')).length, 1);
    const snap = snapshot(dir);
    assert.equal(
      statusTable(snap, Date.now())
        .split('\n')
        .some((l) => l.startsWith('root chains')),
      false,
    );
    assert.doesNotMatch(statusLine(snap), /roots/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bttc-node devnet --root-chains: 1 or 2, fixed when the devnet is created', { timeout: 120_000 }, async () => {
  const main = resolve(import.meta.dirname, '../../src/cli/main.ts');
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [main, 'devnet', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const base = mkdtempSync(join(tmpdir(), 'bttc-devnet-roots-cli-'));
  try {
    const three = run(['--dir', join(base, 'three'), '--root-chains', '3']);
    assert.notEqual(three.status, 0);
    assert.match(three.out, /--root-chains: expected an integer from 1 to 2, got "3"/);
    assert.equal(existsSync(join(base, 'three')), false);
    // A devnet created with one root chain is not silently resumed as two.
    const dir = join(base, 'one');
    await createDevnet(dir, { validators: 1, ports: { rpc: 47545, rest: 47317, p2p: 47303, root: 47645 } });
    const two = run(['--dir', dir, '--root-chains', '2']);
    assert.notEqual(two.status, 0, two.out);
    assert.match(two.out, /holds a devnet with 1 root chain\(s\); use --reset to start a new one with 2/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
