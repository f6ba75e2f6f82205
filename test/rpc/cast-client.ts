/**
 * Foundry's `cast` as a CompatClient (test/rpc/compat-steps.ts): every call is one `cast`
 * process, run with execFile (async: the node under test answers from the test's own process, so
 * a synchronous spawn would deadlock it). Errors carry cast's stderr, which quotes the node's
 * JSON-RPC error.
 *
 * What cast does not do by itself, and this client therefore does for it:
 * - BTTC has no EIP-1559 and chain 1029 is not on cast's list of legacy chains: without `--legacy`
 *   `cast send` asks eth_feeHistory and stops with "unsupported feature: eip1559".
 * - `cast send` takes its nonce from eth_getTransactionCount "latest", so a second transaction
 *   before the first is mined reuses its nonce (and the pool rejects it as an underpriced
 *   replacement). The client reads the pending nonce with `cast nonce --block pending` and passes it.
 * - `cast run` caches the forked state it reads under ~/.foundry/cache/rpc/<chainId>/<block>, even
 *   for a localhost endpoint: another run of a chain with the same id would read stale state. Each
 *   client gets its own HOME (and working directory, so no foundry.toml is picked up).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { bytesToHex } from '../../src/util/bytes.ts';
import type { CompatClient, ProofJson } from './compat-steps.ts';

const require = createRequire(import.meta.url);

/** The native binary of @foundry-rs/cast (its bin.mjs wrapper would add a Node start to every call). */
export function castBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  try {
    const native = require.resolve(`@foundry-rs/cast-${process.platform}-${arch}/bin/cast`);
    if (existsSync(native)) return native;
  } catch {
    // no platform package: use the wrapper
  }
  return fileURLToPath(new URL('../../node_modules/.bin/cast', import.meta.url));
}

/** The environment without the variables cast reads as defaults (ETH_RPC_URL, ETH_FROM, ETH_GAS_PRICE, CHAIN, FOUNDRY_*…). */
function castEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ETH_|FOUNDRY_|ETHERSCAN_|CHAIN$|TEMPO_)/.test(k)) env[k] = v;
  return { ...env, HOME: home, NO_COLOR: '1' };
}

export interface CastClient extends CompatClient {
  /** Runs cast with these arguments; resolves with its trimmed stdout. */
  cast(args: string[]): Promise<string>;
  /** Removes the client's HOME. */
  close(): void;
}

export function castClient(url: string, opts: { timeoutMs?: number } = {}): CastClient {
  const bin = castBinary();
  const home = mkdtempSync(join(tmpdir(), 'compat-cast-'));
  const env = castEnv(home);

  function cast(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(bin, args, { env, cwd: home, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) {
          // stderr is cast's own message (with the node's error); the command line holds a private key.
          const why = stderr.trim() || (err.killed ? `killed (${err.signal})` : err.message.split('\n')[0]);
          reject(new Error(`cast ${args[0]}: ${why}`));
        } else resolve(stdout.trim());
      });
    });
  }

  const rpcUrl = ['--rpc-url', url];

  return {
    name: 'cast',
    cast,
    async sendTx(key, tx) {
      const from = new Wallet(bytesToHex(key)).address;
      const nonce = await cast(['nonce', ...rpcUrl, '--block', 'pending', from]);
      const args = ['send', '--async', '--legacy', ...rpcUrl, '--nonce', nonce, '--private-key', bytesToHex(key)];
      if (tx.value !== undefined) args.push('--value', tx.value.toString());
      if (tx.to !== undefined) {
        args.push(tx.to);
        if (tx.data !== undefined) args.push('--data', tx.data);
      } else {
        // --create is a subcommand: last, with the init code.
        args.push('--create', tx.data ?? '0x');
      }
      const hash = await cast(args);
      if (!/^0x[0-9a-f]{64}$/.test(hash)) throw new Error(`cast send --async printed ${JSON.stringify(hash)}, not a transaction hash`);
      return hash;
    },
    async rpc<T>(method: string, params: unknown[] = []) {
      // --raw with one JSON array: cast would otherwise guess each argument's type.
      return JSON.parse(await cast(['rpc', ...rpcUrl, '--raw', method, JSON.stringify(params)])) as T;
    },
    async call(tx, block) {
      const args = ['call', ...rpcUrl, tx.to, '--data', tx.data];
      if (tx.from !== undefined) args.push('--from', tx.from);
      if (block !== undefined) args.push('--block', block.toString());
      return cast(args);
    },
    async estimateGas(tx) {
      // cast estimate has no --data: calldata given as the signature is sent as is.
      const args = ['estimate', ...rpcUrl, '--from', tx.from, tx.to, tx.data];
      if (tx.value !== undefined) args.push('--value', tx.value.toString());
      return BigInt(await cast(args));
    },
    async getProof(address, slots, block) {
      return JSON.parse(await cast(['proof', ...rpcUrl, '--block', block.toString(), address, ...slots])) as ProofJson;
    },
    async replayTx(hash) {
      // Berlin, as the Bttc executor; cast's default is its newest fork.
      return cast(['run', ...rpcUrl, '--evm-version', 'berlin', hash]);
    },
    close() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}
