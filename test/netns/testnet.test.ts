/**
 * A testnet across "hosts" on this machine: network namespaces on a bridge, the root chain in one
 * and a validator in each of four others, written by `bttc-node testnet init` and run by one
 * `bttc-node testnet start DIR/<host>` per namespace. Checks 2 s blocks and a checkpoint acked, with
 * the nodes' peers being the namespaces' addresses and 127.0.0.1 in a namespace reaching no other
 * node. Short checkpoints (checkpoint.avgLength 8) so one is acked within a minute or two.
 * Skips only where namespaces cannot be created (not root, no `ip`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { cleanupStaleLabs, createLab, destroyLab, namespacePids, netnsUnavailable, spawnInNs, type NetnsLab } from '../../src/testnet/netns.ts';
import { LabTestnet } from '../../src/testnet/lab.ts';
import { JsonRpcClient } from '../../src/loadtest/rpc.ts';
import { until } from '../helpers/until.ts';

const NODE = process.execPath;
const unavailable = netnsUnavailable();

/** Connects from inside namespace `ns` to host:port: 'connected' or the error code. */
function connectFrom(ns: string, host: string, port: number): Promise<string> {
  const js = `const s=require('net').connect(${port},'${host}');s.setTimeout(3000,()=>{console.log('TIMEOUT');process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  return new Promise((res) => {
    const c = spawnInNs(ns, NODE, ['-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => res(out.trim()));
  });
}

const CURRENT_HEADER_BLOCK = new Interface(['function currentHeaderBlock() view returns (uint256)']);

test('testnet in network namespaces: root chain + 4 validators on their own addresses, 2 s blocks, checkpoint acked', { skip: unavailable ?? false, timeout: 240_000 }, async () => {
  const removed = cleanupStaleLabs();
  if (removed.length) console.log(`removed a crashed run's namespaces/links: ${removed.join(', ')}`);
  const base = mkdtempSync(join(tmpdir(), 'bttc-test-netns-'));
  let lab: NetnsLab | null = null;
  let net: LabTestnet | null = null;
  const started = Date.now();
  try {
    lab = createLab(5);
    net = new LabTestnet(lab, { dir: join(base, 'testnet'), validators: 4, set: ['checkpoint.avgLength=8'] });
    const layout = await net.init();
    const addrs = lab.hosts.map((h) => h.addr);

    // Every peer and listen address is a namespace's address; the root chain URL too.
    for (const n of layout.nodes) {
      const cfg = JSON.parse(readFileSync(join(net.opts.dir, n.host, n.dir, 'config.json'), 'utf8')) as {
        set: { rootChains: { rpcUrl: string }[] };
        node: { p2p: { listen: string[]; staticPeers: string[] }; rpc: { host: string } };
      };
      assert.deepEqual(cfg.node.p2p.listen, [`/ip4/${n.host}/tcp/${n.ports.p2p}`]);
      assert.equal(cfg.node.rpc.host, n.host);
      assert.equal(cfg.node.p2p.staticPeers.length, 3);
      for (const p of cfg.node.p2p.staticPeers) {
        const host = /^\/ip4\/([\d.]+)\//.exec(p)?.[1];
        assert.ok(host && addrs.includes(host) && host !== n.host, `node ${n.index} peer ${p} is another namespace's address`);
      }
      assert.equal(cfg.set.rootChains[0]!.rpcUrl, `http://${addrs[0]}:${layout.ports.root}`);
    }

    net.startHost(0);
    await until('the root chain up in its namespace', 60_000, () => (net!.snapshot(0)?.rootchain?.head ?? 0) > 0);
    for (let k = 1; k <= 4; k++) net.startHost(k);
    const fail = () => {
      const gone = net!.exited();
      if (gone.length) throw new Error(`a testnet start process exited: ${JSON.stringify(gone)}\n${net!.output()}`);
    };
    try {
      await until('4 validators with 3 peers each and blocks', 120_000, () => {
        fail();
        const s = net!.nodeStatuses();
        return s.length === 4 && s.every((n) => n.status && n.status.peers >= 3 && n.status.bttc.head >= 3);
      });
      console.log(`network up after ${((Date.now() - started) / 1000).toFixed(0)} s`);

      // No loopback shortcut: in validator 1's namespace, 127.0.0.1 reaches no node (the other nodes
      // use the same ports in their own namespaces), while validator 2's address does.
      const p2p = layout.nodes[1]!.ports.p2p;
      assert.equal(await connectFrom(lab.hosts[1]!.ns, '127.0.0.1', p2p), 'ECONNREFUSED', '127.0.0.1 in a namespace reaches no node');
      assert.equal(await connectFrom(lab.hosts[1]!.ns, '127.0.0.1', layout.ports.root), 'ECONNREFUSED', '127.0.0.1 in a node namespace reaches no root chain');
      assert.equal(await connectFrom(lab.hosts[1]!.ns, addrs[2]!, p2p), 'connected', "another namespace's address is reachable over the bridge");
      // The node processes really live in their namespaces.
      for (let k = 1; k <= 4; k++) assert.ok(namespacePids(lab.hosts[k]!.ns).length >= 2, `processes in ${lab.hosts[k]!.ns}`);

      // 2 s blocks: header times 2 s apart, and the head advancing at that pace in wall time.
      const rpc = new JsonRpcClient(`http://${addrs[1]}:${layout.nodes[0]!.ports.rpc}`, { timeoutMs: 5000 });
      const head = async () => Number(BigInt(await rpc.call<string>('eth_blockNumber')));
      const h0 = await head();
      const t0 = Date.now();
      const h1 = await until('12 more blocks', 60_000, async () => {
        const h = await head();
        return h >= h0 + 12 ? h : null;
      });
      const perBlock = (Date.now() - t0) / 1000 / (h1 - h0);
      const stamps: number[] = [];
      for (let b = h1 - 12; b <= h1; b++) stamps.push(Number(BigInt((await rpc.call<{ timestamp: string }>('eth_getBlockByNumber', ['0x' + b.toString(16), false])).timestamp)));
      const gaps = stamps.slice(1).map((s, i) => s - stamps[i]!);
      const sorted = [...gaps].sort((a, b) => a - b);
      console.log(`block header gaps ${gaps.join(' ')} s; ${perBlock.toFixed(2)} s per block in wall time`);
      assert.equal(sorted[Math.floor(sorted.length / 2)], 2, `median header gap is 2 s (${gaps.join(' ')})`);
      assert.ok(perBlock >= 1.6 && perBlock <= 3, `blocks every ${perBlock.toFixed(2)} s of wall time`);

      // A checkpoint on the root chain and its ack in Delivery.
      const root = new JsonRpcClient(layout.root.rpcUrl, { timeoutMs: 5000 });
      await until('a checkpoint on the root chain', 150_000, async () => {
        fail();
        const out = await root.call<string>('eth_call', [{ to: layout.root.contracts.rootChain, data: CURRENT_HEADER_BLOCK.encodeFunctionData('currentHeaderBlock', []) }, 'latest']);
        return (CURRENT_HEADER_BLOCK.decodeFunctionResult('currentHeaderBlock', out)[0] as bigint) >= 10000n;
      });
      await until('the ack in Delivery on every validator', 90_000, () => {
        fail();
        return net!.nodeStatuses().every((n) => (n.status?.delivery.checkpointsAcked ?? 0) >= 1);
      });
      console.log(`checkpoint acked after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } catch (err) {
      process.stderr.write(net.output() + '\n');
      throw err;
    }
    const codes = await net.stop();
    assert.deepEqual(codes, [0, 0, 0, 0, 0], 'every testnet start exits cleanly on SIGTERM');
    for (const h of lab.hosts) assert.deepEqual(namespacePids(h.ns), [], `nothing left running in ${h.ns}`);
  } finally {
    await net?.stop(5000);
    if (lab) destroyLab(lab);
    rmSync(base, { recursive: true, force: true });
  }
});
