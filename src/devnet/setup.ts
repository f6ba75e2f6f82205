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

async function writeP2pKey(dir: string, i: number): Promise<string> {
  const d = nodeDir(dir, i);
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
  for (let j = ids.length; j < n; j++) ids.push(await writeP2pKey(dir, layout.validators + j));
  layout.followers = n;
  layout.followerPeerIds = ids;
  writeLayout(dir, layout);
  return layout;
}

/** Writes keys, genesis files and the layout for a fresh devnet. */
export async function createDevnet(dir: string, opts: { validators: number; followers?: number; ports: DevnetPorts; rootChains?: number }): Promise<DevnetLayout> {
  const config = loadConfig('devnet');
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
    const d = nodeDir(dir, i);
    mkdirSync(d, { recursive: true });
    if (!existsSync(join(d, 'validator-keys.json'))) writeKeyFile(join(d, 'validator-keys.json'), { owner, signer });
    peerIds.push(await writeP2pKey(dir, i));
    validators.push({ id: i + 1, signer: bytesToHex(signer.address), pubKey: bytesToHex(signer.publicKey) });
  }
  const genesis: NetworkGenesisJson = { network: 'devnet', bttc: { time: Math.floor(now / 1000), alloc }, delivery: { time: now, validators } };
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesis, null, 2) + '\n');
  writeFileSync(join(dir, 'loadtest-keys.json'), JSON.stringify({ keys: users.map(bytesToHex) }, null, 2) + '\n', { mode: 0o600 });
  const layout: DevnetLayout = {
    version: 1,
    validators: n,
    ports: opts.ports,
    peerIds,
    rootStartBlock: null,
    loadtestAccounts: LOADTEST_ACCOUNTS,
    ...(extra.length ? { extraRootChains: extra } : {}),
  };
  writeLayout(dir, layout);
  if (opts.followers) await setFollowers(dir, layout, opts.followers);
  return layout;
}

export interface RootInfo {
  rpcUrl: string;
  contracts: { stakeManager: string; rootChain: string; stateSender: string; stakingNft: string; bttToken: string; stakingInfo?: string };
}

/**
 * Node i's config file: the devnet preset with the root chain's addresses, and its ports and peers.
 * Validators dial each other; a follower has no keys and dials every validator and the other
 * followers (validators do not list followers: their configs stay what they were without any).
 * `extraRoots` are the running root chains after the first, in layout order.
 */
export function writeNodeConfig(dir: string, layout: DevnetLayout, i: number, root: RootInfo, extraRoots: RootInfo[] = []): string {
  const config = loadConfig('devnet');
  const p = layout.ports;
  const follower = isFollower(layout, i);
  const peers = follower ? [...layout.peerIds, ...(layout.followerPeerIds ?? []).slice(0, followerCount(layout))] : layout.peerIds;
  const rc = config.rootChains[0]!;
  const file = join(nodeDir(dir, i), 'config.json');
  const entry = (r: RootInfo) => ({
    rpcUrl: r.rpcUrl,
    stakeManager: r.contracts.stakeManager,
    rootChain: r.contracts.rootChain,
    stateSender: r.contracts.stateSender,
    stakingInfo: r.contracts.stakingInfo ?? null,
  });
  const extra = extraRootChains(layout);
  if (extraRoots.length !== extra.length) throw new Error(`devnet: ${extra.length} extra root chain(s) in the layout, ${extraRoots.length} running`);
  const json = {
    preset: 'devnet',
    set: { rootChains: [{ ...rc, ...entry(root) }, ...extra.map((c, k) => ({ ...rc, name: c.name, id: c.id, ...entry(extraRoots[k]!) }))] },
    node: {
      dataDir: './data',
      ...(follower ? {} : { keys: './validator-keys.json' }),
      genesis: '../genesis.json',
      // A developer network: browser dapps from any origin, and the debug namespace (traces) on.
      rpc: { host: '127.0.0.1', port: p.rpc + i, cors: ['*'], namespaces: DEVNET_RPC_NAMESPACES },
      rest: { host: '127.0.0.1', port: p.rest + i },
      // A follower's Bttc reads spans and state syncs from validator 0's Delivery REST, as a BTTC Bttc client would.
      ...(follower ? { delivery: { restUrl: `http://127.0.0.1:${p.rest}` } } : {}),
      p2p: {
        listen: [`/ip4/127.0.0.1/tcp/${p.p2p + i}`],
        staticPeers: peers.map((id, j) => (j === i ? null : `/ip4/127.0.0.1/tcp/${p.p2p + j}/p2p/${id}`)).filter((x): x is string => x !== null),
      },
      rootChains: [{ id: rc.id, startBlock: layout.rootStartBlock ?? 0 }, ...extra.map((c) => ({ id: c.id, startBlock: c.startBlock ?? 0 }))],
      verifyThreads: 1,
      executor: 'worker',
      ...testOnlyDoubleSign(i),
    },
  };
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
