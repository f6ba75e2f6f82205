/**
 * A devnet's data directory, created once and reused on every later run:
 *
 *   devnet.json          validators, ports, root-chain start blocks (the layout of this network)
 *   root-genesis.json    the embedded root chain's genesis (validators staked in its first blocks)
 *   rootchain/           its data directory
 *   root-genesis-bsc.json, rootchain-bsc/
 *                        with --root-chains 2: a second embedded root chain standing for BSC (root
 *                        chain id 3, JSON-RPC on the root port + 1). The first stays the staking
 *                        chain (no TRON in a devnet), so the second's checkpoints are synced to it.
 *   genesis.json         the network genesis every node reads (Bttc alloc, Delivery validators)
 *   loadtest-keys.json   funded Bttc accounts for `bttc-node loadtest`
 *   node-<i>/            validator i: validator-keys.json, p2p-key, config.json, data/, node.log
 *   node-<V+j>/          follower j (after the V validators, ports too): p2p-key, config.json, data/,
 *                        node.log, and no keys: it follows the network and signs nothing
 *
 * Keys are deterministic dev keys (the root chain's devnetGenesis), so a devnet can be rebuilt
 * identically; they must never hold real value.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devnetGenesis, devKey } from '../rootchain/genesis.ts';
import { loadConfig } from '../config/load.ts';
import { DEVNET_RPC_NAMESPACES } from '../node/config.ts';
import { keyPairFromSecret, writeKeyFile } from '../node/keys.ts';
import { createNetworkKey, peerIdOfKey } from '../p2p/identity.ts';
import { bytesToHex } from '../util/bytes.ts';
import type { NetworkGenesisJson } from '../node/genesis.ts';
import type { NodeConfig } from '../config/types.ts';

export interface DevnetPorts {
  /** Node i serves JSON-RPC on rpc + i (node 0 on 8545: where wallets look first). */
  rpc: number;
  rest: number;
  p2p: number;
  root: number;
}

export interface DevnetLayout {
  version: 1;
  validators: number;
  ports: DevnetPorts;
  /** libp2p peer id of each validator. */
  peerIds: string[];
  /** Follower processes (absent in layouts written before followers existed: 0). */
  followers?: number;
  /** libp2p peer id of each follower. */
  followerPeerIds?: string[];
  /** Root chain block after which the watchers start (genesis staking is already in Delivery's genesis). */
  rootStartBlock: number | null;
  loadtestAccounts: number;
  /** Embedded root chains after the first (absent in layouts written before there could be more: none). */
  extraRootChains?: ExtraRootChain[];
  /** Bttc blocks per checkpoint (checkpoint.avgLength) when not the preset's (`--checkpoint-blocks`); fixed at creation. */
  checkpointBlocks?: number;
  /** Every node's `deliveryEmptyBlockMs` (`--delivery-empty-block-ms`; absent: the node default, 0); fixed at creation. */
  deliveryEmptyBlockMs?: number;
}

/** A root chain beyond the first: its own process, genesis, data directory and port (root + k). */
export interface ExtraRootChain {
  /** Delivery's root chain id (BSC: 3). */
  id: number;
  name: string;
  /** Its EVM chain id (eth_chainId). */
  evmChainId: number;
  /** As rootStartBlock, for this chain. */
  startBlock: number | null;
}

/** The second root chain a devnet can run: BSC's Delivery id (config/mainnet.json: TRON 1, Ethereum 2, BSC 3). */
export const BSC_ROOT_CHAIN: Omit<ExtraRootChain, 'startBlock'> = { id: 3, name: 'bsc', evmChainId: 1338 };
export const MAX_ROOT_CHAINS = 2;

export function extraRootChains(l: DevnetLayout): ExtraRootChain[] {
  return l.extraRootChains ?? [];
}

/** Root chain k (0 the first) serves JSON-RPC on root + k. */
export function rootPort(l: Pick<DevnetLayout, 'ports'>, k: number): number {
  return l.ports.root + k;
}

/** Extra root chain k's genesis file and data directory (k ≥ 1), named for the chain. */
export function extraRootFiles(dir: string, c: Pick<ExtraRootChain, 'name'>): { genesis: string; dataDir: string } {
  return { genesis: join(dir, `root-genesis-${c.name}.json`), dataDir: join(dir, `rootchain-${c.name}`) };
}

/** Epochs (checkpoints, ~70 s each on a devnet) before unbonded stake can be claimed: short enough to try delegation by hand. */
export const DEVNET_WITHDRAWAL_DELAY = 2;

/** The preset overrides a devnet's layout implies: a shorter checkpoint, for tests whose point is not its length. */
export function devnetSet(l: Pick<DevnetLayout, 'checkpointBlocks'>): Record<string, unknown> {
  return l.checkpointBlocks === undefined ? {} : { checkpoint: { avgLength: l.checkpointBlocks } };
}

export const DEFAULT_PORTS: DevnetPorts = { rpc: 8545, rest: 1317, p2p: 30303, root: 8645 };
export const LOADTEST_ACCOUNTS = 128;

export function layoutFile(dir: string): string {
  return join(dir, 'devnet.json');
}

export function readLayout(dir: string): DevnetLayout | null {
  const f = layoutFile(dir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as DevnetLayout) : null;
}

export function writeLayout(dir: string, l: DevnetLayout): void {
  writeFileSync(layoutFile(dir), JSON.stringify(l, null, 2) + '\n');
}

export function nodeDir(dir: string, i: number): string {
  return join(dir, `node-${i}`);
}

export function followerCount(l: DevnetLayout): number {
  return l.followers ?? 0;
}

/** Node i's role: validators first, then followers. */
export function isFollower(l: DevnetLayout, i: number): boolean {
  return i >= l.validators;
}

/** Writes a fresh libp2p key to `<d>/data/p2p-key` (0600) and returns its peer id. */
export async function writeP2pKey(d: string): Promise<string> {
  mkdirSync(join(d, 'data'), { recursive: true });
  const p2pKey = await createNetworkKey();
  writeFileSync(join(d, 'data', 'p2p-key'), Buffer.from(p2pKey).toString('hex') + '\n', { mode: 0o600 });
  return peerIdOfKey(p2pKey);
}

/**
 * Sets the number of follower processes, creating the directories and network keys of new ones.
 * Followers are outside genesis (no keys), so a resumed devnet can gain or lose them.
 */
export async function setFollowers(dir: string, layout: DevnetLayout, n: number): Promise<DevnetLayout> {
  const ids = layout.followerPeerIds ?? [];
  for (let j = ids.length; j < n; j++) ids.push(await writeP2pKey(nodeDir(dir, layout.validators + j)));
  layout.followers = n;
  layout.followerPeerIds = ids;
  writeLayout(dir, layout);
  return layout;
}

/** What writeNetworkFiles made: validator i's libp2p peer id, and the root chains after the first. */
export interface NetworkFiles {
  peerIds: string[];
  extra: ExtraRootChain[];
}

/**
 * The files every network of dev keys shares (a devnet on one machine, a testnet across hosts): in
 * `dir` the root chain genesis (root-genesis.json, and one per extra root chain), the network
 * genesis (genesis.json) and the load-test keys; in `nodeDirOf(i)` validator i's key file and p2p key.
 * `config` is the network's parameters (the devnet preset, with a testnet's overrides).
 */
export async function writeNetworkFiles(
  dir: string,
  opts: { validators: number; rootChains?: number; config?: NodeConfig; nodeDirOf: (i: number) => string; network?: string },
): Promise<NetworkFiles> {
  const config = opts.config ?? loadConfig('devnet');
  mkdirSync(dir, { recursive: true });
  const n = opts.validators;
  // Unbonding (a delegator's sale, a validator's or partner's exit) takes DEVNET_WITHDRAWAL_DELAY checkpoints, not mainnet's 80.
  const staking = { validatorThreshold: Math.max(n, config.staking.validatorThreshold), checkpointBlockInterval: config.checkpoint.avgLength, withdrawalDelay: DEVNET_WITHDRAWAL_DELAY };
  const root = devnetGenesis({ validators: n, borChainId: config.bttc.chainId, rootChainId: config.rootChains[0]!.id, staking });
  // It holds the root chain deployer's (governance) private key: 0600 like the other key files.
  writeFileSync(join(dir, 'root-genesis.json'), JSON.stringify(root.json, null, 2) + '\n', { mode: 0o600 });
  // A second root chain has the same validators staked (its RootChain checks their signatures).
  const extra: ExtraRootChain[] = (opts.rootChains ?? 1) >= 2 ? [{ ...BSC_ROOT_CHAIN, startBlock: null }] : [];
  for (const c of extra) {
    const g = devnetGenesis({ validators: n, chainId: c.evmChainId, borChainId: config.bttc.chainId, rootChainId: c.id, staking });
    writeFileSync(extraRootFiles(dir, c).genesis, JSON.stringify(g.json, null, 2) + '\n', { mode: 0o600 });
  }
  const now = Date.now();
  const users = Array.from({ length: LOADTEST_ACCOUNTS }, (_, i) => devKey(`user ${i}`));
  const alloc: Record<string, { balance: string }> = {};
  for (const k of users) alloc[bytesToHex(keyPairFromSecret(k).address)] = { balance: (10n ** 26n).toString() };
  const validators = [];
  const peerIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const owner = keyPairFromSecret(root.ownerKeys[i]!);
    const signer = keyPairFromSecret(root.signerKeys[i]!);
    alloc[bytesToHex(signer.address)] = { balance: (10n ** 24n).toString() };
    const d = opts.nodeDirOf(i);
    mkdirSync(d, { recursive: true });
    if (!existsSync(join(d, 'validator-keys.json'))) writeKeyFile(join(d, 'validator-keys.json'), { owner, signer });
    peerIds.push(await writeP2pKey(d));
    validators.push({ id: i + 1, signer: bytesToHex(signer.address), pubKey: bytesToHex(signer.publicKey) });
  }
  const genesis: NetworkGenesisJson = { network: opts.network ?? 'devnet', bttc: { time: Math.floor(now / 1000), alloc }, delivery: { time: now, validators } };
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesis, null, 2) + '\n');
  writeFileSync(join(dir, 'loadtest-keys.json'), JSON.stringify({ keys: users.map(bytesToHex) }, null, 2) + '\n', { mode: 0o600 });
  return { peerIds, extra };
}

/** Writes keys, genesis files and the layout for a fresh devnet. */
export async function createDevnet(
  dir: string,
  opts: { validators: number; followers?: number; ports: DevnetPorts; rootChains?: number; checkpointBlocks?: number; deliveryEmptyBlockMs?: number },
): Promise<DevnetLayout> {
  const n = opts.validators;
  const shape = opts.checkpointBlocks === undefined ? {} : { checkpointBlocks: opts.checkpointBlocks };
  // The root chain's checkpointBlockInterval (rewards per checkpoint) follows the checkpoint length too.
  const config = loadConfig('devnet', devnetSet(shape));
  const { peerIds, extra } = await writeNetworkFiles(dir, { validators: n, config, ...(opts.rootChains ? { rootChains: opts.rootChains } : {}), nodeDirOf: (i) => nodeDir(dir, i) });
  const layout: DevnetLayout = {
    version: 1,
    validators: n,
    ports: opts.ports,
    peerIds,
    rootStartBlock: null,
    loadtestAccounts: LOADTEST_ACCOUNTS,
    ...(extra.length ? { extraRootChains: extra } : {}),
    ...shape,
    ...(opts.deliveryEmptyBlockMs === undefined ? {} : { deliveryEmptyBlockMs: opts.deliveryEmptyBlockMs }),
  };
  writeLayout(dir, layout);
  if (opts.followers) await setFollowers(dir, layout, opts.followers);
  return layout;
}

export interface RootInfo {
  rpcUrl: string;
  contracts: { stakeManager: string; rootChain: string; stateSender: string; stakingNft: string; bttToken: string; stakingInfo?: string; governor?: string };
}

/** One node's config file contents (see src/node/config.ts), as a devnet or a testnet writes it. */
export interface NodeConfigParams {
  follower: boolean;
  /** The running root chains: the first, then the extra ones (`extra`, in layout order). */
  roots: RootInfo[];
  extra: ExtraRootChain[];
  /** Watchers' first block on each root chain, in the order of `roots`. */
  startBlocks: number[];
  /** The network genesis, relative to the config file. */
  genesis: string;
  rpc: { host: string; port: number; namespaces: readonly string[]; cors: string[] };
  rest: { host: string; port: number };
  /** A follower's Delivery REST source (a validator's), or null for its own Delivery. */
  deliveryRestUrl: string | null;
  listen: string[];
  staticPeers: string[];
  /** Preset fields overridden for the whole network (a testnet's `--set`). */
  set?: Record<string, unknown>;
  /** Extra `node` section fields for this node only (the devnet's test-only double-sign switch). */
  nodeExtra?: Record<string, unknown>;
}

export function nodeConfigJson(p: NodeConfigParams): Record<string, unknown> {
  const rc = loadConfig('devnet').rootChains[0]!;
  const entry = (r: RootInfo) => ({
    rpcUrl: r.rpcUrl,
    stakeManager: r.contracts.stakeManager,
    rootChain: r.contracts.rootChain,
    stateSender: r.contracts.stateSender,
    stakingInfo: r.contracts.stakingInfo ?? null,
    ...(r.contracts.governor ? { governor: r.contracts.governor } : {}),
  });
  if (p.roots.length !== 1 + p.extra.length) throw new Error(`devnet: ${p.extra.length} extra root chain(s) in the layout, ${p.roots.length - 1} running`);
  const rootChains = [{ ...rc, ...entry(p.roots[0]!) }, ...p.extra.map((c, k) => ({ ...rc, name: c.name, id: c.id, ...entry(p.roots[k + 1]!) }))];
  return {
    preset: 'devnet',
    set: { ...p.set, rootChains },
    node: {
      dataDir: './data',
      ...(p.follower ? {} : { keys: './validator-keys.json' }),
      genesis: p.genesis,
      rpc: { host: p.rpc.host, port: p.rpc.port, cors: p.rpc.cors, namespaces: p.rpc.namespaces },
      rest: { host: p.rest.host, port: p.rest.port },
      ...(p.deliveryRestUrl ? { delivery: { restUrl: p.deliveryRestUrl } } : {}),
      p2p: { listen: p.listen, staticPeers: p.staticPeers },
      rootChains: [{ id: rc.id, startBlock: p.startBlocks[0] ?? 0 }, ...p.extra.map((c, k) => ({ id: c.id, startBlock: p.startBlocks[k + 1] ?? 0 }))],
      verifyThreads: 1,
      executor: 'worker',
      ...p.nodeExtra,
    },
  };
}

/**
 * Node i's config file: the devnet preset with the root chain's addresses, and its ports and peers.
 * Validators dial each other; a follower has no keys and dials every validator and the other
 * followers (validators do not list followers: their configs stay what they were without any).
 * `extraRoots` are the running root chains after the first, in layout order.
 */
export function writeNodeConfig(dir: string, layout: DevnetLayout, i: number, root: RootInfo, extraRoots: RootInfo[] = []): string {
  const p = layout.ports;
  const follower = isFollower(layout, i);
  const peers = follower ? [...layout.peerIds, ...(layout.followerPeerIds ?? []).slice(0, followerCount(layout))] : layout.peerIds;
  const file = join(nodeDir(dir, i), 'config.json');
  const extra = extraRootChains(layout);
  const json = nodeConfigJson({
    set: devnetSet(layout),
    follower,
    roots: [root, ...extraRoots],
    extra,
    startBlocks: [layout.rootStartBlock ?? 0, ...extra.map((c) => c.startBlock ?? 0)],
    genesis: '../genesis.json',
    // A developer network: browser dapps from any origin, and the debug namespace (traces) on.
    rpc: { host: '127.0.0.1', port: p.rpc + i, cors: ['*'], namespaces: DEVNET_RPC_NAMESPACES },
    rest: { host: '127.0.0.1', port: p.rest + i },
    // A follower's Bttc reads spans and state syncs from validator 0's Delivery REST, as a BTTC Bttc client would.
    deliveryRestUrl: follower ? `http://127.0.0.1:${p.rest}` : null,
    listen: [`/ip4/127.0.0.1/tcp/${p.p2p + i}`],
    staticPeers: peers.map((id, j) => (j === i ? null : `/ip4/127.0.0.1/tcp/${p.p2p + j}/p2p/${id}`)).filter((x): x is string => x !== null),
    nodeExtra: { ...testOnlyDoubleSign(i), ...(layout.deliveryEmptyBlockMs === undefined ? {} : { deliveryEmptyBlockMs: layout.deliveryEmptyBlockMs }) },
  });
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  return file;
}

/**
 * TEST ONLY (issue 19): BTTC_TEST_ONLY_DOUBLE_SIGN="<node>:<height>" makes that validator double-sign
 * a precommit at that Delivery height (node.testOnlyDoubleSignHeight; the node refuses it off devnet).
 */
function testOnlyDoubleSign(i: number): { testOnlyDoubleSignHeight?: number } {
  const m = /^(\d+):(\d+)$/.exec(process.env.BTTC_TEST_ONLY_DOUBLE_SIGN ?? '');
  return m && Number(m[1]) === i ? { testOnlyDoubleSignHeight: Number(m[2]) } : {};
}
