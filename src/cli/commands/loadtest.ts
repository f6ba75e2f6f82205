import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, printJson } from '../io.ts';

interface Opts {
  rpc: string;
  mode: string;
  rate: string;
  duration: string;
  keys?: string;
  mnemonic?: string;
  accounts: string;
  devnet: string;
  gasPrice?: string;
  drain: string;
  watch?: string;
  json?: boolean;
}

function positive(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${what}: expected a positive number, got ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('loadtest')
    .description(
      'send pre-signed transactions to a JSON-RPC endpoint at a target rate; report TPS, Mgas/s, block intervals, inclusion latency and errors (a send refused for a full pool is resent; any other refusal stops that account)',
    )
    .option('--rpc <url>', 'JSON-RPC http URL', 'http://127.0.0.1:8545')
    .option('--mode <mode>', 'transfer (plain value transfers) or erc20 (a token is deployed first)', 'transfer')
    .option('--rate <n>', 'transactions per second', '100')
    .option('--duration <s>', 'seconds of sending', '30')
    .option('--keys <file>', 'funded private keys: JSON array or {"keys": [...]} (default: <devnet>/loadtest-keys.json)')
    .option('--mnemonic <phrase>', "derive funded accounts from a mnemonic (m/44'/60'/0'/0/i)")
    .option('--accounts <n>', 'accounts to use (all in the keys file by default)', '0')
    .option('--devnet <dir>', 'devnet data directory whose loadtest keys to use', '.devnet')
    .option('--gas-price <wei>', 'gas price (default: eth_gasPrice)')
    .option('--drain <s>', 'seconds to wait for inclusion after the last send', '30')
    .option('--watch <urls>', "other nodes' RPC URLs, comma-separated: their newHeads time the network's block interval (first arrival anywhere), apart from the RPC node's import time")
    .option('--json', 'print the report as JSON')
    .action(async (opts: Opts) => {
      const { LoadTest, readKeysFile, mnemonicAccounts, formatReport } = await import('../../loadtest/index.ts');
      const rate = positive(opts.rate, '--rate');
      const duration = positive(opts.duration, '--duration');
      const want = Number(opts.accounts);
      if (!Number.isInteger(want) || want < 0) throw new CliError(`--accounts: expected a whole number, got ${JSON.stringify(opts.accounts)}`);
      if (opts.mode !== 'transfer' && opts.mode !== 'erc20') throw new CliError(`--mode: expected transfer or erc20, got ${JSON.stringify(opts.mode)}`);
      let accounts;
      try {
        if (opts.mnemonic) accounts = mnemonicAccounts(opts.mnemonic, want || 16);
        else {
          const file = opts.keys ?? join(opts.devnet, 'loadtest-keys.json');
          if (!opts.keys && !existsSync(file)) throw new Error(`no funded accounts: give --keys FILE or --mnemonic, or run bttc-node devnet (it writes ${file})`);
          accounts = readKeysFile(file);
          if (want) accounts = accounts.slice(0, want);
        }
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      let gasPrice: bigint | undefined;
      if (opts.gasPrice !== undefined) {
        if (!/^\d+$/.test(opts.gasPrice)) throw new CliError(`--gas-price: expected wei as a whole number, got ${JSON.stringify(opts.gasPrice)}`);
        gasPrice = BigInt(opts.gasPrice);
      }
      if (rate / accounts.length > 8)
        process.stderr.write(`warning: ${rate} tx/s over ${accounts.length} accounts is ${(rate / accounts.length).toFixed(1)} tx/s per sender; a txpool holding 64 per sender may refuse some\n`);
      const watch = (opts.watch ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      for (const u of watch) if (!/^(https?|wss?):\/\//.test(u)) throw new CliError(`--watch: expected http(s):// or ws(s):// URLs, got ${JSON.stringify(u)}`);
      let lt;
      try {
        lt = new LoadTest({
          rpc: opts.rpc,
          mode: opts.mode,
          rate,
          durationSec: duration,
          accounts,
          drainSec: Number(opts.drain),
          ...(watch.length ? { watch } : {}),
          ...(gasPrice !== undefined ? { gasPrice } : {}),
          onProgress: opts.json ? undefined : (p) => process.stderr.write(`  ${p.phase} ${p.elapsedSec.toFixed(0)}s sent ${p.sent} included ${p.included} errors ${p.errors} head ${p.head}\n`),
        });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      let report;
      try {
        report = await lt.run();
      } catch (err) {
        const e = err as Error & { code?: unknown };
        if (e.name === 'RpcCallError' || /balance|deployment|not included/.test(e.message)) throw new CliError(`loadtest: ${e.message}`, 1);
        throw err;
      }
      if (opts.json) printJson(report);
      else process.stdout.write(formatReport(report));
    });
}
