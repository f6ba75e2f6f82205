/**
 * `bttc-node testnet init`: a devnet-style network spread over several hosts, as one directory per
 * host to copy there:
 *
 *   DIR/testnet.json          the whole layout (hosts, nodes, ports, peer ids, root chain)
 *   DIR/genesis.json          the network genesis (also in every host folder)
 *   DIR/loadtest-keys.json    funded Bttc accounts for `bttc-node loadtest` (dev keys)
 *   DIR/<host>/host.json      this host's share: what `bttc-node testnet start DIR/<host>` runs
 *   DIR/<host>/genesis.json
 *   DIR/<host>/root-genesis.json, rootchain/   (the root chain's host only: its genesis, 0600,
 *                             and its data directory with the contracts already deployed)
 *   DIR/<host>/node-<i>/      config.json, validator-keys.json (0600; validators), data/p2p-key (0600)
 *   DIR/<host>/systemd/       one unit per process (bttc-rootchain.service, bttc-node-<i>.service)
 *
 * Keys and genesis come from the same code as the devnet's (writeNetworkFiles), so a testnet is a
 * devnet whose nodes find each other by host address. The root chain's data directory is created
 * here (contracts deployed, validators staked) so every node's config can name the contract
 * addresses and the first block its watchers scan before anything runs.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { NodeConfig } from '../config/types.ts';
import { nodeConfigJson, writeNetworkFiles, writeP2pKey, DEFAULT_PORTS, type DevnetPorts, type RootInfo } from '../devnet/setup.ts';
import { overlappingPorts, type NamedPort } from '../devnet/ports.ts';
import { checkNodeCount, hostDirName, isIpv4, type HostEntry } from './hosts.ts';
import { systemdUnit } from './systemd.ts';

export class TestnetInitError extends Error {
  override name = 'TestnetInitError';
}

export interface TestnetNode {
  index: number;
  role: 'validator' | 'follower';
  /** The host's name as in the hosts file. */
  host: string;
  /** Relative to DIR/<host>. */
  dir: string;
  ports: { rpc: number; rest: number; p2p: number };
  peerId: string;
  /** The address other hosts dial this node's p2p port at. */
  multiaddr: string;
}

export interface TestnetHost {
  host: string;
  /** Folder under DIR. */
  dir: string;
  bind: string;
  root: boolean;
  nodes: number[];
}

export interface TestnetLayout {
  version: 1;
  validators: number;
  followers: number;
  /** Base ports: a host's k-th node uses base + k; the root chain uses `root`. */
  ports: DevnetPorts;
  rootBlockTimeSec: number;
  rootHost: string;
  root: RootInfo & { startBlock: number };
  hosts: TestnetHost[];
  nodes: TestnetNode[];
  rpcNamespaces: string[];
  /** Preset overrides every node's config carries (`--set`). */
  set: Record<string, unknown>;
}

/** One host's share: what `testnet start` reads. */
export interface HostShare {
  version: 1;
  host: string;
  bind: string;
  rootchain: { port: number; blockTimeSec: number; rpcUrl: string } | null;
  nodes: { index: number; role: 'validator' | 'follower'; dir: string; rpcUrl: string; restUrl: string }[];
}

export interface TestnetInitOptions {
  validators: number;
  followers: number;
  hosts: HostEntry[];
  hostsSource: string;
  ports?: DevnetPorts;
  /** Preset overrides for every node (parsed `--set a.b=v`), checked against the devnet preset. */
  set?: Record<string, unknown>;
  rootBlockTimeSec?: number;
  rpcNamespaces?: string[];
  /** For the systemd units: the bttc-node binary and where DIR/<host> is installed on the host. */
  bin?: string;
  installDir?: string;
}

export const HOST_FILE = 'host.json';
export const LAYOUT_FILE = 'testnet.json';
/** Beyond loopback: the public API plus bttcnode (the status `testnet start` prints and tests read). */
export const TESTNET_RPC_NAMESPACES = ['eth', 'net', 'web3', 'bor', 'bttcnode'];

function dialAddr(host: string, port: number, peerId: string): string {
  return `/${isIpv4(host) ? 'ip4' : 'dns4'}/${host}/tcp/${port}/p2p/${peerId}`;
}

function url(host: string, port: number): string {
  return `http://${host}:${port}`;
}

/** Every port a host binds, named; two of them equal is a collision. */
export function hostPorts(layout: Pick<TestnetLayout, 'nodes' | 'ports' | 'rootHost'>, host: string): NamedPort[] {
  const out: NamedPort[] = host === layout.rootHost ? [{ port: layout.ports.root, what: 'the root chain JSON-RPC' }] : [];
  for (const n of layout.nodes.filter((x) => x.host === host))
    out.push({ port: n.ports.rpc, what: `node ${n.index} JSON-RPC` }, { port: n.ports.rest, what: `node ${n.index} Delivery REST` }, { port: n.ports.p2p, what: `node ${n.index} p2p` });
  return out;
}

async function deployRoot(dataDir: string, genesisFile: string): Promise<{ contracts: RootInfo['contracts']; head: number }> {
  const { RootChainNode } = await import('../rootchain/node.ts');
  const genesisJson: unknown = JSON.parse(readFileSync(genesisFile, 'utf8'));
  const node = await RootChainNode.open({ dataDir, genesisJson, genesisSource: genesisFile, blockTimeMs: 0 }, { metrics: null });
  try {
    return { contracts: { ...node.info.contracts }, head: Number(node.store.head().number) };
  } finally {
    await node.close();
  }
}

export async function createTestnet(out: string, o: TestnetInitOptions): Promise<TestnetLayout> {
  out = resolve(out);
  if (existsSync(out) && readdirSync(out).length > 0) throw new TestnetInitError(`--out ${out} is not empty: give a new directory (a testnet's keys are never overwritten)`);
  checkNodeCount(o.hosts, o.validators, o.followers, o.hostsSource);
  const ports = o.ports ?? DEFAULT_PORTS;
  const set = o.set ?? {};
  let config: NodeConfig;
  try {
    config = loadConfig('devnet', set);
  } catch (err) {
    throw new TestnetInitError(`--set: ${(err as Error).message}`);
  }
  const hosts: TestnetHost[] = [];
  const nodes: Omit<TestnetNode, 'peerId' | 'multiaddr'>[] = [];
  for (const h of o.hosts) {
    const th: TestnetHost = { host: h.host, dir: hostDirName(h), bind: h.bind, root: h.root, nodes: [] };
    for (let k = 0; k < h.nodes; k++) {
      const index = nodes.length;
      th.nodes.push(index);
      nodes.push({ index, role: index < o.validators ? 'validator' : 'follower', host: h.host, dir: `node-${index}`, ports: { rpc: ports.rpc + k, rest: ports.rest + k, p2p: ports.p2p + k } });
    }
    hosts.push(th);
  }
  const rootHost = hosts.find((h) => h.root)!;
  const hostOf = (host: string) => hosts.find((h) => h.host === host)!;
  const nodeDirOf = (i: number) => join(out, hostOf(nodes[i]!.host).dir, nodes[i]!.dir);
  const draft = { nodes: nodes as TestnetNode[], ports, rootHost: rootHost.host };
  for (const h of hosts) {
    const clash = overlappingPorts(hostPorts(draft, h.host));
    if (clash)
      throw new TestnetInitError(
        `on ${h.host}, port ${clash[0].port} would serve both ${clash[0].what} and ${clash[1].what}; choose --rpc-port, --rest-port, --p2p-port and --root-port further apart`,
      );
  }

  mkdirSync(out, { recursive: true });
  for (const h of hosts) mkdirSync(join(out, h.dir), { recursive: true });
  const { peerIds } = await writeNetworkFiles(out, { validators: o.validators, config, nodeDirOf });
  for (let j = 0; j < o.followers; j++) peerIds.push(await writeP2pKey(nodeDirOf(o.validators + j)));
  // The root chain's genesis holds the deployer key: it goes to the root chain's host only.
  const rootDir = join(out, rootHost.dir);
  renameSync(join(out, 'root-genesis.json'), join(rootDir, 'root-genesis.json'));
  chmodSync(join(rootDir, 'root-genesis.json'), 0o600);
  for (const h of hosts) copyFileSync(join(out, 'genesis.json'), join(out, h.dir, 'genesis.json'));
  const deployed = await deployRoot(join(rootDir, 'rootchain'), join(rootDir, 'root-genesis.json'));
  const root = { rpcUrl: url(rootHost.host, ports.root), contracts: deployed.contracts, startBlock: deployed.head + 1 };

  const full: TestnetNode[] = nodes.map((n, i) => ({ ...n, peerId: peerIds[i]!, multiaddr: dialAddr(n.host, n.ports.p2p, peerIds[i]!) }));
  const rpcNamespaces = o.rpcNamespaces ?? TESTNET_RPC_NAMESPACES;
  const v0 = full[0]!;
  for (const n of full) {
    const h = hostOf(n.host);
    const follower = n.role === 'follower';
    // Validators dial the other validators; a follower dials everyone (as in the devnet).
    const peers = full.filter((p) => p.index !== n.index && (follower || p.role === 'validator')).map((p) => p.multiaddr);
    const json = nodeConfigJson({
      follower,
      roots: [root],
      extra: [],
      startBlocks: [root.startBlock],
      genesis: '../genesis.json',
      rpc: { host: h.bind, port: n.ports.rpc, namespaces: rpcNamespaces, cors: [] },
      rest: { host: h.bind, port: n.ports.rest },
      deliveryRestUrl: follower ? url(v0.host, v0.ports.rest) : null,
      listen: [`/ip4/${h.bind}/tcp/${n.ports.p2p}`],
      staticPeers: peers,
      set,
    });
    writeFileSync(join(nodeDirOf(n.index), 'config.json'), JSON.stringify(json, null, 2) + '\n');
  }

  const rootBlockTimeSec = o.rootBlockTimeSec ?? 1;
  const layout: TestnetLayout = { version: 1, validators: o.validators, followers: o.followers, ports, rootBlockTimeSec, rootHost: rootHost.host, root, hosts, nodes: full, rpcNamespaces, set };
  writeFileSync(join(out, LAYOUT_FILE), JSON.stringify(layout, null, 2) + '\n');
  const bin = o.bin ?? '/usr/local/bin/bttc-node';
  const installDir = o.installDir ?? '/var/lib/bttc-testnet';
  for (const h of hosts) {
    const share: HostShare = {
      version: 1,
      host: h.host,
      bind: h.bind,
      rootchain: h.root ? { port: ports.root, blockTimeSec: rootBlockTimeSec, rpcUrl: root.rpcUrl } : null,
      nodes: h.nodes.map((i) => {
        const n = full[i]!;
        return { index: i, role: n.role, dir: n.dir, rpcUrl: url(n.host, n.ports.rpc), restUrl: url(n.host, n.ports.rest) };
      }),
    };
    writeFileSync(join(out, h.dir, HOST_FILE), JSON.stringify(share, null, 2) + '\n');
    const unitDir = join(out, h.dir, 'systemd');
    mkdirSync(unitDir, { recursive: true });
    const at = join(installDir, h.dir);
    if (share.rootchain)
      writeFileSync(
        join(unitDir, 'bttc-rootchain.service'),
        systemdUnit({
          description: `bttc-node testnet root chain on ${h.host}`,
          workDir: at,
          exec: [bin, ...rootchainArgs(at, share.rootchain, h.bind)],
        }),
      );
    for (const n of share.nodes)
      writeFileSync(
        join(unitDir, `bttc-node-${n.index}.service`),
        systemdUnit({
          description: `bttc-node testnet ${n.role} ${n.index} on ${h.host}`,
          workDir: join(at, n.dir),
          exec: [bin, 'start', '--config', join(at, n.dir, 'config.json')],
          after: share.rootchain ? ['bttc-rootchain.service'] : [],
        }),
      );
  }
  return layout;
}

/** The root chain's command line on its host (`hostDir`: DIR/<host> where it runs). */
export function rootchainArgs(hostDir: string, rc: NonNullable<HostShare['rootchain']>, bind: string): string[] {
  return ['rootchain', '--datadir', join(hostDir, 'rootchain'), '--genesis', join(hostDir, 'root-genesis.json'), '--host', bind, '--port', String(rc.port), '--block-time', String(rc.blockTimeSec)];
}

export function readHostShare(hostDir: string): HostShare {
  const f = join(hostDir, HOST_FILE);
  if (!existsSync(f)) throw new TestnetInitError(`${hostDir} is not a testnet host folder (no ${HOST_FILE}; give DIR/<host> as written by testnet init)`);
  return JSON.parse(readFileSync(f, 'utf8')) as HostShare;
}
