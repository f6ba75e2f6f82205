/**
 * `bttc-node testnet init` without running anything: the hosts file's format and its errors (each
 * naming the line), and what init writes for 3 hosts — ports, data dirs and peers that never
 * collide (property-tested over random host layouts), key files 0600, the root chain's genesis and
 * data on its host only, a systemd unit per process — and the CLI's errors naming the flag.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseHosts, checkNodeCount, HostsFileError } from '../../src/testnet/hosts.ts';
import { createTestnet, hostPorts, type TestnetLayout } from '../../src/testnet/init.ts';
import { parseNodeFile, readNodeFile } from '../../src/node/config.ts';
import { BIN, patchNodeSection } from '../../src/testnet/lab.ts';

test('hosts file: format, defaults, and errors naming the line', () => {
  const h = parseHosts('# comment\n\n10.0.0.1  2 root  # the root\n10.0.0.2 2\nnode3.example 1\nnode4.example 0 bind=10.1.1.4\n', 'hosts.txt');
  assert.deepEqual(
    h.map((x) => [x.host, x.nodes, x.root, x.bind, x.line]),
    [
      ['10.0.0.1', 2, true, '10.0.0.1', 3],
      ['10.0.0.2', 2, false, '10.0.0.2', 4],
      ['node3.example', 1, false, '0.0.0.0', 5],
      ['node4.example', 0, false, '10.1.1.4', 6],
    ],
  );
  assert.equal(parseHosts('10.0.0.5 1\n10.0.0.6 1\n', 'f')[0]!.root, true, 'no "root": the first host runs it');
  const bad: [string, RegExp][] = [
    ['10.0.0.1 2\n10.0.0.300 1\n', /^f:2: "10\.0\.0\.300" is not an IPv4 address or a host name/],
    ['10.0.0.1\n', /^f:1: host 10\.0\.0\.1 has no node count/],
    ['10.0.0.1 two\n', /^f:1: node count "two" of 10\.0\.0\.1: expected an integer from 0 to 64/],
    ['10.0.0.1 65\n', /^f:1: node count "65"/],
    ['10.0.0.1 1\n10.0.0.1 1\n', /^f:2: host 10\.0\.0\.1 is listed again \(first on line 1\)/],
    ['10.0.0.1 1 root\n10.0.0.2 1 root\n', /^f:2: a second "root" host \(line 1 runs the root chain already\)/],
    ['10.0.0.1 1 rooot\n', /^f:1: unknown field "rooot" \(known: root, bind=IP\)/],
    ['10.0.0.1 1 bind=nope\n', /^f:1: bind=nope: expected an IPv4 address/],
    ['# nothing\n', /^f: no hosts/],
    ['bad_name 1\n', /^f:1: "bad_name" is not an IPv4 address or a host name/],
  ];
  for (const [text, re] of bad)
    assert.throws(
      () => parseHosts(text, 'f'),
      (err: Error) => err instanceof HostsFileError && re.test(err.message),
      text,
    );
  assert.throws(
    () => checkNodeCount(h, 4, 0, 'hosts.txt'),
    /hosts\.txt: the hosts run 5 node\(s\) \(10\.0\.0\.1 2, 10\.0\.0\.2 2, node3\.example 1, node4\.example 0\) but --validators 4 and --followers 0 make 4/,
  );
});

/** Everything a layout binds or dials, checked for collisions. */
function checkNoCollisions(layout: TestnetLayout, dir: string): void {
  // Per host: every bound port distinct (the root chain's too).
  for (const h of layout.hosts) {
    const ports = hostPorts(layout, h.host).map((p) => p.port);
    assert.equal(new Set(ports).size, ports.length, `ports on ${h.host}: ${ports.join(', ')}`);
  }
  // Dial addresses, peer ids and data dirs unique across the network.
  const addrs = layout.nodes.map((n) => n.multiaddr.replace(/\/p2p\/.*$/, ''));
  assert.equal(new Set(addrs).size, addrs.length, 'p2p addresses');
  assert.equal(new Set(layout.nodes.map((n) => n.peerId)).size, layout.nodes.length, 'peer ids');
  const dataDirs = layout.nodes.map((n) => readNodeFile(join(dir, n.host, n.dir, 'config.json')).node.dataDir);
  assert.equal(new Set(dataDirs).size, dataDirs.length, 'data dirs');
  for (const n of layout.nodes) {
    const cfg = readNodeFile(join(dir, n.host, n.dir, 'config.json'));
    // A node never lists itself; validators list every other validator, followers everyone else.
    const want = layout.nodes.filter((p) => p.index !== n.index && (n.role === 'follower' || p.role === 'validator')).map((p) => p.multiaddr);
    assert.deepEqual(cfg.node.p2p.staticPeers, want, `node ${n.index} peers`);
    assert.deepEqual(cfg.node.p2p.listen, [`/ip4/${layout.hosts.find((h) => h.host === n.host)!.bind}/tcp/${n.ports.p2p}`]);
    assert.equal(cfg.node.keys === null, n.role === 'follower', `node ${n.index} keys`);
  }
}

test('testnet init: 3 hosts — files, modes, root chain on its host, systemd units, configs that load', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-test-testnet-'));
  try {
    const hosts = parseHosts('10.0.0.1 2 root\n10.0.0.2 2\nnode3.example 2\n', 'hosts.txt');
    const layout = await createTestnet(dir, {
      validators: 5,
      followers: 1,
      hosts,
      hostsSource: 'hosts.txt',
      set: { checkpoint: { avgLength: 8 } },
      bin: '/opt/bttc/bin/bttc-node',
      installDir: '/srv/t',
    });
    assert.deepEqual(
      layout.nodes.map((n) => [n.index, n.role, n.host, n.ports.p2p]),
      [
        [0, 'validator', '10.0.0.1', 30303],
        [1, 'validator', '10.0.0.1', 30304],
        [2, 'validator', '10.0.0.2', 30303],
        [3, 'validator', '10.0.0.2', 30304],
        [4, 'validator', 'node3.example', 30303],
        [5, 'follower', 'node3.example', 30304],
      ],
    );
    assert.equal(layout.nodes[4]!.multiaddr, `/dns4/node3.example/tcp/30303/p2p/${layout.nodes[4]!.peerId}`);
    checkNoCollisions(layout, dir);
    // Keys 0600; the root genesis (deployer key) and data only on the root host.
    for (const n of layout.nodes) {
      const d = join(dir, n.host, n.dir);
      assert.equal(statSync(join(d, 'data', 'p2p-key')).mode & 0o777, 0o600);
      if (n.role === 'validator') assert.equal(statSync(join(d, 'validator-keys.json')).mode & 0o777, 0o600);
      else assert.ok(!existsSync(join(d, 'validator-keys.json')));
    }
    assert.equal(statSync(join(dir, '10.0.0.1', 'root-genesis.json')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(dir, '10.0.0.1', 'rootchain', 'genesis.json')), 'root chain data created (contracts deployed)');
    for (const h of ['10.0.0.2', 'node3.example']) {
      assert.ok(!existsSync(join(dir, h, 'root-genesis.json')) && !existsSync(join(dir, h, 'rootchain')), `no root chain files on ${h}`);
      assert.equal(readFileSync(join(dir, h, 'genesis.json'), 'utf8'), readFileSync(join(dir, 'genesis.json'), 'utf8'), 'the same genesis on every host');
    }
    assert.ok(!existsSync(join(dir, 'root-genesis.json')), 'the deployer key is not left at the top');
    // Configs load as `bttc-node start` reads them: the override, the root chain, bind addresses and namespaces.
    const f5 = readNodeFile(join(dir, 'node3.example', 'node-5', 'config.json'));
    assert.equal(f5.config.checkpoint.avgLength, 8);
    assert.equal(f5.config.rootChains[0]!.rpcUrl, 'http://10.0.0.1:8645');
    assert.equal(f5.config.rootChains[0]!.rootChain, layout.root.contracts.rootChain);
    assert.equal(f5.node.rpc.host, '0.0.0.0');
    assert.deepEqual(f5.node.rpc.namespaces, ['eth', 'net', 'web3', 'bor', 'bttcnode']);
    assert.equal(f5.node.delivery.restUrl, 'http://10.0.0.1:1317', "a follower reads validator 0's Delivery REST");
    assert.equal(f5.node.rootChains[0]!.startBlock, layout.root.startBlock);
    assert.ok(layout.root.startBlock > 1, 'watchers start after the deployment blocks');
    // systemd: one unit per process, absolute paths under the install dir.
    assert.deepEqual(readdirSync(join(dir, '10.0.0.1', 'systemd')).sort(), ['bttc-node-0.service', 'bttc-node-1.service', 'bttc-rootchain.service']);
    assert.deepEqual(readdirSync(join(dir, 'node3.example', 'systemd')).sort(), ['bttc-node-4.service', 'bttc-node-5.service']);
    const unit = readFileSync(join(dir, 'node3.example', 'systemd', 'bttc-node-5.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/opt\/bttc\/bin\/bttc-node start --config \/srv\/t\/node3\.example\/node-5\/config\.json$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    const rootUnit = readFileSync(join(dir, '10.0.0.1', 'systemd', 'bttc-rootchain.service'), 'utf8');
    assert.match(rootUnit, /--genesis \/srv\/t\/10\.0\.0\.1\/root-genesis\.json --host 10\.0\.0\.1 --port 8645/);
    assert.match(readFileSync(join(dir, '10.0.0.1', 'systemd', 'bttc-node-0.service'), 'utf8'), /^After=network-online\.target bttc-rootchain\.service$/m);
    // Never overwrites: a second init into the same directory is refused.
    await assert.rejects(createTestnet(dir, { validators: 5, followers: 1, hosts, hostsSource: 'hosts.txt' }), /is not empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('testnet init: no port, address, peer id or data dir collides, whatever the host layout', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), async (counts, rootAt, tight) => {
      const total = counts.reduce((a, b) => a + b, 0);
      fc.pre(total >= 1);
      const validators = Math.max(1, total - (total > 2 ? 1 : 0));
      const text = counts.map((c, k) => `10.9.0.${k + 1} ${c}${k === rootAt % counts.length ? ' root' : ''}`).join('\n');
      const dir = mkdtempSync(join(tmpdir(), 'bttc-test-testnet-p-'));
      try {
        const layout = await createTestnet(dir, {
          validators,
          followers: total - validators,
          hosts: parseHosts(text, 'h'),
          hostsSource: 'h',
          ports: tight ? { rpc: 8545, rest: 8546, p2p: 30303, root: 8645 } : { rpc: 8545, rest: 1317, p2p: 30303, root: 8547 },
        });
        checkNoCollisions(layout, dir);
      } catch (err) {
        // Ports chosen 1 apart collide as soon as a host runs 2 nodes: refused with a message naming both.
        const msg = (err as Error).message;
        if (tight && /port 8546 would serve both node \d+ (JSON-RPC|Delivery REST) and node \d+ (JSON-RPC|Delivery REST)/.test(msg)) assert.ok(Math.max(...counts) >= 2, msg);
        // With the root chain on 8547, a root host running 3+ nodes puts its third JSON-RPC there.
        else if (!tight && /port 8547 would serve both the root chain JSON-RPC and node \d+ JSON-RPC/.test(msg)) assert.ok(counts[rootAt % counts.length]! >= 3, msg);
        else throw err;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 10 },
  );
});

test('testnet CLI: errors name the flag or the hosts-file line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-test-testnet-cli-'));
  try {
    writeFileSync(join(dir, 'hosts'), '10.0.0.1 2\n10.0.0.2 x\n');
    const run = (args: string[]) => spawnSync(BIN, args, { encoding: 'utf8' });
    let r = run(['testnet', 'init', '--validators', '3', '--hosts', join(dir, 'hosts'), '--out', join(dir, 'out')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /hosts:2: node count "x" of 10\.0\.0\.2/);
    r = run(['testnet', 'init', '--validators', '0', '--hosts', join(dir, 'hosts'), '--out', join(dir, 'out')]);
    assert.match(r.stderr, /--validators: expected an integer from 1 to 64, got "0"/);
    writeFileSync(join(dir, 'hosts'), '10.0.0.1 2\n');
    r = run(['testnet', 'init', '--validators', '2', '--hosts', join(dir, 'hosts'), '--out', join(dir, 'out'), '--rpc-namespaces', 'eth,admin']);
    assert.match(r.stderr, /--rpc-namespaces: unknown namespace "admin"/);
    r = run(['testnet', 'init', '--validators', '2', '--hosts', join(dir, 'hosts'), '--out', join(dir, 'out'), '--set', 'checkpoint.avgLength=0']);
    assert.match(r.stderr, /--set: .*checkpoint\.avgLength/);
    r = run(['testnet', 'start', dir]);
    assert.match(r.stderr, /is not a testnet host folder \(no host\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node config: JSON-RPC beyond loopback serves eth, net, web3, bor unless the file names namespaces', () => {
  const file = (rpc: Record<string, unknown>) => parseNodeFile({ preset: 'devnet', node: { dataDir: './d', genesis: './g.json', rpc } }, '/tmp/x/config.json').node.rpc.namespaces;
  assert.deepEqual(file({ host: '10.0.0.1' }), ['eth', 'net', 'web3', 'bor']);
  assert.deepEqual(file({ host: '0.0.0.0' }), ['eth', 'net', 'web3', 'bor']);
  assert.deepEqual(file({ host: '127.0.0.1' }), ['eth', 'net', 'web3', 'bor', 'txpool', 'bttcnode', 'debug'], 'loopback devnet: as before');
  assert.deepEqual(file({}), ['eth', 'net', 'web3', 'bor', 'txpool', 'bttcnode', 'debug'], 'the default host is loopback');
  assert.deepEqual(file({ host: '10.0.0.1', namespaces: ['eth', 'debug'] }), ['eth', 'debug'], 'named namespaces are served as named');
});

test('a node setting patched into every config (the WAN bench sweeps) keeps the rest and still parses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-patch-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ preset: 'devnet', node: { dataDir: './data', keys: './k.json', genesis: './g.json', p2p: { listen: ['/ip4/10.0.0.2/tcp/30303'], staticPeers: [] } } }));
    patchNodeSection(file, { p2p: { meshDegree: 6 }, buildBudgetMs: 500 });
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(raw.node.p2p, { listen: ['/ip4/10.0.0.2/tcp/30303'], staticPeers: [], meshDegree: 6 });
    const n = parseNodeFile(raw, file).node;
    assert.equal(n.p2p.meshDegree, 6);
    assert.equal(n.buildBudgetMs, 500);
    assert.equal(n.dataDir.endsWith('data'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
