/**
 * The node's config file (`bttc-node start --config FILE`): the network preset (a name or a preset
 * file), overrides of its fields (`set`, e.g. root-chain contract addresses and RPC URLs), and the
 * `node` section with this node's own settings. Every error names the file and the field.
 *
 * ```json
 * { "preset": "devnet",
 *   "set": { "rootChains": [{ "name": "ethereum", "id": 2, … "rootChain": "0x…", "rpcUrl": "http://127.0.0.1:8545" }] },
 *   "node": { "dataDir": "./data", "keys": "./validator-keys.json", "genesis": "./genesis.json" (not for mainnet/donau),
 *             "rpc": { "host": "127.0.0.1", "port": 8545, "cors": ["https://app.example"], "namespaces": ["eth", "net", "web3", "bor", "txpool"],
 *                      "gasCap": "50000000", "evmTimeoutMs": 5000, "callWorkers": 1 },
 *             "rest": { "port": 1317 },
 *             "delivery": { "restUrl": null },
 *             "p2p": { "listen": ["/ip4/127.0.0.1/tcp/30303"], "staticPeers": [], "bootstrap": [], "banSeconds": 600, "meshDegree": 4 },
 *             "rootChains": [{ "id": 2, "startBlock": 0 }],
 *             "tron": { "maxFeeLimitSun": "1000000000" },
 *             "verifyThreads": 1, "executor": "worker", "deliveryBlockMs": 1000, "deliveryEmptyBlockMs": 0, "stateCacheNodes": 500000, "stateCacheMB": 256, "buildBudgetMs": null,
 *             "auditLog": { "privateRetentionHours": 720 } } }
 * ```
 *
 * `keys` decides the node's role. With a key file the node is a validator: it seals Bttc blocks
 * when its signer is a producer, votes and proposes in Delivery consensus, signs checkpoints and
 * submits them to the root chains. Without one (`keys` left out, or `null`) it is a follower: it
 * imports Bttc blocks and Delivery decisions from its peers and checks them, serves JSON-RPC and
 * REST, and passes transactions sent to it on to the network, but never signs anything; its
 * root-chain clients are read-only.
 *
 * For a TRON root chain, `rpcUrl` is the full node's HTTP API (e.g. https://api.trongrid.io) and
 * `node.tron.maxFeeLimitSun` caps what one checkpoint transaction may burn for energy (default
 * 1000 TRX = 1e9 sun); the signer's TRON address pays it. TronGrid rate-limits calls without a key:
 * `node.tron.apiKey` (or the TRON_PRO_API_KEY environment variable, which keeps it out of the file) is
 * sent as its TRON-PRO-API-KEY header.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, ConfigError } from '../config/load.ts';
import type { NodeConfig } from '../config/types.ts';
import { validate, type FieldSpec } from '../config/validate.ts';
import type { NodeRole } from './interface.ts';

export interface NodeSection {
  dataDir: string;
  /** The validator key file; null for a follower (see the file comment). */
  keys: string | null;
  /**
   * The genesis: the devnet's own file, or a geth-format Bttc genesis (with `deliveryGenesis`, the
   * Heimdall-format Delivery genesis). Null for mainnet and Donau: their preset names BTTC's files
   * (config/genesis/). See src/node/genesis.ts.
   */
  genesis: string | null;
  deliveryGenesis: string | null;
  /**
   * JSON-RPC. eth_call, eth_estimateGas, eth_createAccessList, eth_getProof and debug_trace* run in
   * `callWorkers` call worker threads (never in the executor, so never delaying block import), each
   * limited to `gasCap` gas and `evmTimeoutMs` of wall time (then "execution aborted (timeout = 5s)").
   */
  rpc: RpcSection;
  rest: { host: string; port: number };
  delivery: DeliverySection;
  /**
   * `banSeconds`: how long a peer that sent junk (gossip score below the graylist threshold) is refused.
   * `meshDegree`: gossipsub's mesh degree D, the peers each message is pushed to (default 4, mesh
   * kept between min(3, D) and max(8, 2D)); with D ≥ validators − 1 every validator is one hop
   * from every other, which matters when peers are 50–100 ms apart.
   */
  p2p: { listen: string[]; staticPeers: string[]; bootstrap: string[]; inWorker: boolean; banSeconds: number; meshDegree: number };
  /** Per root chain: first block the watcher scans on a fresh data directory. */
  rootChains: { id: number; startBlock: number }[];
  /** TRON root chain settings (there is at most one TRON root chain). */
  tron: { maxFeeLimitSun: bigint; apiKey: string | null };
  verifyThreads: number;
  executor: 'worker' | 'inline';
  /** State trie nodes the executor keeps in memory (LRU) beside LevelDB: bounds its memory (~200 bytes a node). */
  stateCacheNodes: number;
  /** The same cache bounded by the bytes of its nodes, MiB (default 256): whichever bound is reached first evicts. */
  stateCacheMB: number;
  /** Pause after a Delivery decision before the next height (Tendermint's timeout_commit), ms. */
  deliveryBlockMs: number;
  /**
   * Tendermint's create_empty_blocks_interval, ms: a Delivery proposer with nothing to include waits
   * up to this long before proposing an empty height; a height with transactions, and the two after
   * it (side-tx votes and tallies), still follow at once. 0 (the default, as Tendermint's): never
   * waits. Every validator of a network should use the same value (the others' round-0 propose
   * timeout grows by it). Windows counted in heights (slashing downtime, telemetry) then span more time.
   */
  deliveryEmptyBlockMs: number;
  /**
   * Longest a block build may take, ms: the producer snapshots its pool at most this long (plus a
   * seal margin) before the block's release time. null: min(1000, half the block period).
   */
  buildBudgetMs: number | null;
  /** Delivery heights in the telemetry window the scorecard scores (src/telemetry). */
  telemetryWindowHeights: number;
  /**
   * Decided Delivery heights the consensus engine keeps in memory to help peers a few heights behind;
   * a node further behind syncs blocks and commits by range instead.
   */
  deliveryCatchUpHeights: number;
  /** Heights a peer must be ahead of us before consensus is paused for a range sync of Delivery. */
  deliverySyncLag: number;
  /**
   * TEST ONLY (issue 19's devnet test): at this Delivery height the validator also signs and sends a
   * nil precommit beside its real one, a double sign its peers turn into slashing evidence. Refused
   * at start unless the network is a devnet. null (the default): never.
   */
  testOnlyDoubleSignHeight: number | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The tamper-evident event log (docs/audit-log.md). */
  auditLog: AuditLogSection;
}

/**
 * The audit log a validator keeps (a follower has no key to sign batches and keeps none):
 * - `anchor`: send each public batch digest to the AuditAnchor contract on Bttc;
 *   `anchorContract` is where it is: null means the devnet genesis's (0x…1a0d), and no anchoring on a
 *   network whose genesis lacks it (mainnet, Donau) unless it is named here.
 * - `batchIntervalMs` / `batchMaxRecords`: seal pending records this often / at this many.
 * - `privateRetentionHours`: how long private records (peer addresses, local errors) are kept.
 */
export interface AuditLogSection {
  enabled: boolean;
  anchor: boolean;
  anchorContract: string | null;
  batchIntervalMs: number;
  batchMaxRecords: number;
  privateRetentionHours: number;
}

/**
 * Where this node's Bttc layer reads Delivery's spans and state syncs (Bor's `--bor.heimdall`):
 * - `restUrl`: null (the default) reads them from this node's own Delivery, in process; a URL
 *   (`http://host:1317`) reads them from that Delivery's REST API, exactly as BTTC's Bttc client
 *   does (bor/span/{id}, bor/latest-span, clerk/event-record/list). This node still runs its own
 *   Delivery (consensus, REST) either way.
 */
export interface DeliverySection {
  restUrl: string | null;
}

/**
 * JSON-RPC server settings (geth's --http.* flags):
 * - `cors`: origins browser dapps may call from (["https://app.example"], or ["*"] for any);
 *   default none, so no CORS header is sent. A single string (the old form) is one origin.
 * - `namespaces`: method namespaces served (geth's --http.api); a method of another namespace
 *   answers -32601. Default eth, net, web3, bor, txpool, bttcnode (this node's status, which
 *   `bttc-node status` and the devnet supervisor read); a node of the devnet preset adds debug.
 *   With `host` beyond loopback (not 127.x, ::1, localhost) the default is eth, net, web3, bor only.
 * - `batchResponseMaxSize`: bytes of results one batch may return before the rest answer -32003
 *   "response too large" (geth's BatchResponseMaxSize, 25 MB).
 * - `maxFilters`, `maxFilterChanges`: polled filters installed at once, and changes buffered per
 *   filter between polls (filters not polled for 5 minutes expire, as in geth).
 */
export interface RpcSection {
  host: string;
  port: number;
  cors: string[];
  namespaces: string[];
  batchResponseMaxSize: number;
  maxFilters: number;
  maxFilterChanges: number;
  gasCap: bigint;
  evmTimeoutMs: number;
  callWorkers: number;
}

/** Namespaces a node can serve (a name outside this list in `rpc.namespaces` is a typo, refused). */
export const RPC_NAMESPACES = ['eth', 'net', 'web3', 'bor', 'txpool', 'debug', 'bttcnode'] as const;
export const DEFAULT_RPC_NAMESPACES = ['eth', 'net', 'web3', 'bor', 'txpool', 'bttcnode'];
/** The devnet is for developers: traces on by default. */
export const DEVNET_RPC_NAMESPACES = [...DEFAULT_RPC_NAMESPACES, 'debug'];
/**
 * What a JSON-RPC server bound beyond loopback serves when the file lists no namespaces (any preset):
 * the read/send API wallets need. txpool (pool contents), bttcnode (node status) and debug (traces,
 * costly) stay off until `rpc.namespaces` names them.
 */
export const PUBLIC_RPC_NAMESPACES = ['eth', 'net', 'web3', 'bor'];

/** Whether a listen host is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface NodeFile {
  config: NodeConfig;
  node: NodeSection;
  /** The file read, for messages. */
  source: string;
}

const str: FieldSpec = { type: 'string' };
const port: FieldSpec = { type: 'int', min: 0, max: 65535 };
const multiaddrs: FieldSpec = { type: 'array', of: { type: 'string', pattern: /^\/(ip4|ip6|dns4|dns6|dns)\//, describe: 'a multiaddr such as /ip4/127.0.0.1/tcp/30303' } };

const NODE_SPEC: FieldSpec = {
  type: 'object',
  fields: {
    dataDir: str,
    keys: { type: 'optional', of: { type: 'string', describe: 'the path of a validator key file (leave "keys" out, or null, to run a follower)' } },
    genesis: { type: 'optional', of: { type: 'string', describe: "the path of a genesis file (leave it out for mainnet and Donau: the preset names BTTC's)" } },
    deliveryGenesis: { type: 'optional', of: { type: 'string', describe: 'the path of a Heimdall-format Delivery genesis (with a geth-format node.genesis)' } },
    rpc: {
      type: 'object',
      fields: {
        host: str,
        port,
        cors: { type: 'array', of: { type: 'string', pattern: /^(\*|https?:\/\/[^\s/]+)$/, describe: 'an origin such as "https://app.example" (scheme://host[:port], no path), or "*" for any' } },
        namespaces: { type: 'array', of: { type: 'enum', values: RPC_NAMESPACES } },
        batchResponseMaxSize: { type: 'int', min: 0, max: 2 ** 31 - 1 },
        maxFilters: { type: 'int', min: 0, max: 1_000_000 },
        maxFilterChanges: { type: 'int', min: 1, max: 10_000_000 },
        gasCap: { type: 'bigint', min: 21_000n },
        evmTimeoutMs: { type: 'int', min: 1, max: 600_000 },
        callWorkers: { type: 'int', min: 1, max: 64 },
      },
    },
    rest: { type: 'object', fields: { host: str, port } },
    delivery: {
      type: 'object',
      fields: {
        restUrl: {
          type: 'optional',
          of: { type: 'string', pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/, describe: 'a Delivery REST URL such as "http://127.0.0.1:1317" (or null: read this node\'s own Delivery)' },
        },
      },
    },
    p2p: {
      type: 'object',
      fields: {
        listen: { ...multiaddrs, minLength: 1 } as FieldSpec,
        staticPeers: multiaddrs,
        bootstrap: multiaddrs,
        inWorker: { type: 'bool' },
        banSeconds: { type: 'int', min: 0, max: 7 * 24 * 3600 },
        meshDegree: { type: 'int', min: 1, max: 32 },
      },
    },
    rootChains: { type: 'array', of: { type: 'object', fields: { id: { type: 'int', min: 1 }, startBlock: { type: 'int', min: 0 } } } },
    tron: { type: 'object', fields: { maxFeeLimitSun: { type: 'bigint', min: 1n }, apiKey: { type: 'optional', of: { type: 'string', describe: 'a TronGrid API key (or set TRON_PRO_API_KEY)' } } } },
    verifyThreads: { type: 'int', min: 0, max: 64 },
    executor: { type: 'enum', values: ['worker', 'inline'] },
    stateCacheNodes: { type: 'int', min: 0, max: 100_000_000 },
    stateCacheMB: { type: 'int', min: 1, max: 1_048_576 },
    deliveryBlockMs: { type: 'int', min: 0, max: 60_000 },
    deliveryEmptyBlockMs: { type: 'int', min: 0, max: 600_000 },
    buildBudgetMs: { type: 'optional', of: { type: 'int', min: 50, max: 60_000 } },
    telemetryWindowHeights: { type: 'int', min: 1, max: 100_000 },
    deliveryCatchUpHeights: { type: 'int', min: 1, max: 100_000 },
    deliverySyncLag: { type: 'int', min: 1, max: 100_000 },
    testOnlyDoubleSignHeight: { type: 'optional', of: { type: 'int', min: 1 } },
    logLevel: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    auditLog: {
      type: 'object',
      fields: {
        enabled: { type: 'bool' },
        anchor: { type: 'bool' },
        anchorContract: { type: 'optional', of: { type: 'string', pattern: /^0x[0-9a-fA-F]{40}$/, describe: 'the AuditAnchor contract address (0x + 40 hex), or null for the devnet genesis one' } },
        batchIntervalMs: { type: 'int', min: 0, max: 3_600_000 },
        batchMaxRecords: { type: 'int', min: 1, max: 65_536 },
        // at least an hour: a shorter window would delete private records before anyone could read them
        privateRetentionHours: { type: 'int', min: 1, max: 10 * 365 * 24 },
      },
    },
  },
};

const DEFAULTS = {
  // gasCap and evmTimeoutMs as geth's defaults (RPCGasCap 50M, RPCEVMTimeout 5s).
  rpc: {
    host: '127.0.0.1',
    port: 8545,
    cors: [],
    namespaces: DEFAULT_RPC_NAMESPACES,
    batchResponseMaxSize: 25_000_000,
    maxFilters: 1000,
    maxFilterChanges: 10_000,
    gasCap: '50000000',
    evmTimeoutMs: 5000,
    callWorkers: 1,
  },
  rest: { host: '127.0.0.1', port: 1317 },
  delivery: { restUrl: null },
  p2p: { listen: ['/ip4/127.0.0.1/tcp/30303'], staticPeers: [], bootstrap: [], inWorker: true, banSeconds: 600, meshDegree: 4 },
  rootChains: [],
  // 1000 TRX: TronRootChainClient's own default, so a file that does not set it gets what the client always used.
  tron: { maxFeeLimitSun: '1000000000', apiKey: null },
  verifyThreads: 1,
  executor: 'worker',
  stateCacheNodes: 500_000,
  stateCacheMB: 256,
  deliveryBlockMs: 1000,
  deliveryEmptyBlockMs: 0,
  buildBudgetMs: null,
  telemetryWindowHeights: 100,
  deliveryCatchUpHeights: 64,
  deliverySyncLag: 4,
  testOnlyDoubleSignHeight: null,
  logLevel: 'info',
  auditLog: { enabled: true, anchor: true, anchorContract: null, batchIntervalMs: 5000, batchMaxRecords: 1024, privateRetentionHours: 30 * 24 },
};

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills defaults one level deep, so a file can give `rpc: { port: 9000 }` alone. */
function withDefaults(node: Record<string, unknown>, preset: string): Record<string, unknown> {
  const host = isObj(node.rpc) && typeof node.rpc.host === 'string' ? node.rpc.host : DEFAULTS.rpc.host;
  const namespaces = !isLoopbackHost(host) ? PUBLIC_RPC_NAMESPACES : preset === 'devnet' ? DEVNET_RPC_NAMESPACES : DEFAULT_RPC_NAMESPACES;
  const defaults = { ...DEFAULTS, rpc: { ...DEFAULTS.rpc, namespaces } };
  const out: Record<string, unknown> = { ...defaults, ...node };
  for (const k of ['rpc', 'rest', 'delivery', 'p2p', 'tron', 'auditLog'] as const) if (isObj(node[k])) out[k] = { ...(defaults[k] as object), ...node[k] };
  // rpc.cors was one origin (a string) before it became a list: such files still load.
  const rpc = out.rpc as Record<string, unknown>;
  if (typeof rpc.cors === 'string') out.rpc = { ...rpc, cors: rpc.cors === '' ? [] : [rpc.cors] };
  return out;
}

export function parseNodeFile(raw: unknown, source: string): NodeFile {
  if (!isObj(raw)) throw new ConfigError(source, '(root)', 'an object with preset, set and node', raw);
  for (const k of Object.keys(raw)) if (!['preset', 'set', 'node'].includes(k)) throw new ConfigError(source, k, 'no such field (known: preset, set, node)', raw[k]);
  if (typeof raw.preset !== 'string' || !raw.preset) throw new ConfigError(source, 'preset', 'a preset name (mainnet, donau, devnet) or a preset file path', raw.preset);
  if (raw.set !== undefined && !isObj(raw.set)) throw new ConfigError(source, 'set', 'an object of preset fields to override', raw.set);
  if (!isObj(raw.node)) throw new ConfigError(source, 'node', 'an object (dataDir, keys, genesis, rpc, rest, p2p, …)', raw.node);
  const base = dirname(resolve(source));
  const preset = ['mainnet', 'donau', 'devnet'].includes(raw.preset) ? raw.preset : resolve(base, raw.preset);
  let config: NodeConfig;
  try {
    config = loadConfig(preset, (raw.set ?? {}) as Record<string, unknown>);
  } catch (err) {
    // Override errors are reported against the preset; say they came through this file's `set`.
    if (err instanceof ConfigError) {
      const e = new ConfigError(source, `set.${err.field}`, '', '');
      e.message = `${source}: set.${err.field} (applied to ${err.source}): ${err.message.slice(err.message.indexOf(err.field) + err.field.length + 2)}`;
      throw e;
    }
    throw err;
  }
  const node = validate(NODE_SPEC, withDefaults(raw.node, raw.preset), source, 'node') as NodeSection;
  // Paths in the file are relative to the file.
  node.dataDir = resolve(base, node.dataDir);
  if (node.keys !== null) node.keys = resolve(base, node.keys);
  if (node.genesis !== null) node.genesis = resolve(base, node.genesis);
  else if (!config.genesis) throw new ConfigError(source, 'node.genesis', `a genesis file (the ${config.network} preset names none)`, undefined);
  if (node.deliveryGenesis !== null) node.deliveryGenesis = resolve(base, node.deliveryGenesis);
  for (const [i, rc] of node.rootChains.entries()) {
    if (!config.rootChains.some((c) => c.id === rc.id))
      throw new ConfigError(source, `node.rootChains[${i}].id`, `the id of a configured root chain (${config.rootChains.map((c) => c.id).join(', ')})`, rc.id);
  }
  return { config, node, source };
}

export function roleOf(node: Pick<NodeSection, 'keys'>): NodeRole {
  return node.keys === null ? 'follower' : 'validator';
}

export function readNodeFile(path: string): NodeFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, '(file)', code ? 'a readable file' : 'valid JSON', code ?? (err as Error).message);
  }
  return parseNodeFile(raw, path);
}
