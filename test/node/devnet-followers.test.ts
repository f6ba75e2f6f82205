/**
 * The devnet's follower layout, without processes: follower directories and network keys after the
 * validators', follower configs without keys that the node reads as followers, validator configs as
 * they were without followers, followers added on resume, and the live status naming them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevnet, nodeDir, readLayout, setFollowers, writeNodeConfig, type RootInfo } from '../../src/devnet/setup.ts';
import { statusTable } from '../../src/devnet/status.ts';
import type { DevnetSnapshot } from '../../src/devnet/supervisor.ts';
import { parseNodeFile, roleOf } from '../../src/node/config.ts';

const ROOT: RootInfo = {
  rpcUrl: 'http://127.0.0.1:9999',
  contracts: { stakeManager: '0x' + '11'.repeat(20), rootChain: '0x' + '22'.repeat(20), stateSender: '0x' + '33'.repeat(20), stakingNft: '0x' + '44'.repeat(20), bttToken: '0x' + '55'.repeat(20) },
};
const PORTS = { rpc: 9000, rest: 9100, p2p: 9200, root: 9300 };

test('devnet followers: layout, configs, resume, status', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-layout-'));
  try {
    const layout = await createDevnet(dir, { validators: 4, followers: 1, ports: PORTS });
    assert.equal(layout.followers, 1);
    assert.equal(layout.followerPeerIds?.length, 1);
    assert.equal(readLayout(dir)?.followers, 1, 'written to devnet.json');
    assert.ok(existsSync(join(nodeDir(dir, 4), 'data', 'p2p-key')));
    assert.ok(!existsSync(join(nodeDir(dir, 4), 'validator-keys.json')), 'a follower has no keys');

    const read = (i: number) => {
      const file = writeNodeConfig(dir, layout, i, ROOT);
      return {
        raw: JSON.parse(readFileSync(file, 'utf8')) as { node: { keys?: string; rpc: { port: number }; p2p: { staticPeers: string[] } } },
        parsed: parseNodeFile(JSON.parse(readFileSync(file, 'utf8')), file),
      };
    };
    const v0 = read(0);
    assert.equal(v0.raw.node.keys, './validator-keys.json');
    assert.equal(roleOf(v0.parsed.node), 'validator');
    assert.equal(v0.raw.node.p2p.staticPeers.length, 3, 'validators dial the other validators only');
    const f = read(4);
    assert.equal(f.raw.node.keys, undefined);
    assert.equal(roleOf(f.parsed.node), 'follower');
    assert.equal(f.raw.node.rpc.port, PORTS.rpc + 4, 'ports after the validators');
    assert.deepEqual(
      f.raw.node.p2p.staticPeers,
      layout.peerIds.map((id, j) => `/ip4/127.0.0.1/tcp/${PORTS.p2p + j}/p2p/${id}`),
    );

    // Resume with two followers: the first keeps its identity, the second dials everyone.
    const first = layout.followerPeerIds![0];
    await setFollowers(dir, layout, 2);
    const again = readLayout(dir)!;
    assert.equal(again.followers, 2);
    assert.equal(again.followerPeerIds![0], first);
    const f2 = read(5);
    assert.equal(f2.raw.node.p2p.staticPeers.length, 5);
    assert.ok(f2.raw.node.p2p.staticPeers.includes(`/ip4/127.0.0.1/tcp/${PORTS.p2p + 4}/p2p/${first}`));

    const snap: DevnetSnapshot = {
      at: Date.now(),
      dir,
      rootchain: { pid: 1, rpcUrl: ROOT.rpcUrl, head: 10 },
      nodes: [
        { index: 0, role: 'validator', pid: 2, rpcUrl: 'http://127.0.0.1:9000', restarts: 0, up: false, status: null },
        { index: 4, role: 'follower', pid: 3, rpcUrl: 'http://127.0.0.1:9004', restarts: 0, up: false, status: null },
      ],
    };
    const rows = statusTable(snap, Date.now()).split('\n');
    assert.match(rows.at(-1)!, /follower$/);
    assert.doesNotMatch(rows.at(-2)!, /follower/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
