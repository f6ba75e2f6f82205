/**
 * Compiles every Solidity file under src/contracts/ (root contracts and Bttc system contracts) with
 * the `solc` npm package (standard JSON, optimizer on) and caches the result in
 * src/contracts/build/<content-hash>.json, so only the first load after a source change pays for the
 * (slow, wasm) compiler. `node src/contracts/build.ts` compiles eagerly and prints a summary.
 *
 * Contract names are unique across the tree; a duplicate name is an error so that lookups by name
 * stay unambiguous.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Artifact {
  name: string;
  /** Path of its source relative to src/contracts (e.g. "root/RootChain.sol"). */
  sourceName: string;
  abi: AbiItem[];
  /** Creation code, 0x-prefixed. */
  bytecode: string;
  /** Runtime code, 0x-prefixed. */
  deployedBytecode: string;
}

export interface AbiItem {
  type: string;
  name?: string;
  inputs?: unknown[];
  outputs?: unknown[];
  stateMutability?: string;
  anonymous?: boolean;
}

export type Artifacts = Record<string, Artifact>;

export const CONTRACTS_DIR = dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = join(CONTRACTS_DIR, 'build');

/**
 * Istanbul bytecode (no PUSH0, no MCOPY) runs on every EVM we target: the Bttc layer has no London
 * fork, and the embedded root chain runs a later hardfork.
 */
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'istanbul',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

/** Every .sol under src/contracts (except the build dir), keyed by forward-slash relative path. */
export function listSources(dir = CONTRACTS_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) {
        if (full !== BUILD_DIR && entry.name !== 'node_modules') walk(full);
      } else if (entry.name.endsWith('.sol')) {
        out[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
      }
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function solcVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('solc/package.json') as { version: string }).version;
}

function contentHash(sources: Record<string, string>): string {
  const h = createHash('sha256');
  h.update(`solc ${solcVersion()}\n${JSON.stringify(SETTINGS)}\n`);
  for (const [path, text] of Object.entries(sources)) h.update(`${path}\n${text.length}\n${text}`);
  return h.digest('hex').slice(0, 24);
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: AbiItem[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Compiles the given sources (no cache). Throws with solc's messages on any error. */
export function compile(sources: Record<string, string>): Artifacts {
  const require = createRequire(import.meta.url);
  const solc = require('solc') as { compile(input: string, opts?: { import?: (path: string) => { contents?: string; error?: string } }): string };
  const input = { language: 'Solidity', sources: Object.fromEntries(Object.entries(sources).map(([p, content]) => [p, { content }])), settings: SETTINGS };
  const findImport = (path: string): { contents?: string; error?: string } => ({ error: `import ${path} is not under src/contracts` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`Solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const artifacts: Artifacts = {};
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(contracts)) {
      if (artifacts[name]) throw new Error(`contract name ${name} is defined twice (${artifacts[name].sourceName} and ${sourceName}); names must be unique under src/contracts`);
      artifacts[name] = { name, sourceName, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object };
    }
  }
  return artifacts;
}

let memo: { hash: string; artifacts: Artifacts } | undefined;

/**
 * Artifacts for every contract under src/contracts, compiled on first use after a source change
 * and cached on disk by content hash.
 */
export function loadArtifacts(opts: { force?: boolean } = {}): Artifacts {
  const sources = listSources();
  const hash = contentHash(sources);
  if (!opts.force && memo?.hash === hash) return memo.artifacts;
  const file = join(BUILD_DIR, `${hash}.json`);
  let artifacts: Artifacts | undefined;
  if (!opts.force && existsSync(file)) {
    try {
      artifacts = JSON.parse(readFileSync(file, 'utf8')) as Artifacts;
    } catch {
      artifacts = undefined; // a torn file from a killed writer: recompile
    }
  }
  if (!artifacts) {
    artifacts = compile(sources);
    mkdirSync(BUILD_DIR, { recursive: true });
    // Write-then-rename: concurrent compilers (parallel tests) never see a half-written cache.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(artifacts));
    renameSync(tmp, file);
  }
  memo = { hash, artifacts };
  return artifacts;
}

/** One contract's artifact; the error lists what exists. */
export function getArtifact(name: string): Artifact {
  const all = loadArtifacts();
  const a = all[name];
  if (!a) throw new Error(`no compiled contract named ${name}; known: ${Object.keys(all).join(', ')}`);
  return a;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const artifacts = loadArtifacts({ force: process.argv.includes('--force') });
  const ms = Math.round(performance.now() - t0);
  for (const a of Object.values(artifacts)) {
    const size = (a.deployedBytecode.length - 2) / 2;
    if (size > 0) console.log(`${a.name.padEnd(24)} ${String(size).padStart(6)} bytes  ${a.sourceName}`);
  }
  console.log(`${Object.keys(artifacts).length} contracts in ${ms} ms (cache: ${BUILD_DIR})`);
}
