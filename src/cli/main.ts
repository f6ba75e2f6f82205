#!/usr/bin/env node
/**
 * bttc-node command line. Each file in ./commands/ exports `register(program)` and adds one
 * command; they are discovered here so that a new command touches no shared file. Commands import
 * their heavy modules inside their action, so `--help` stays fast.
 */
import { Command } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError } from './io.ts';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, '../../package.json'), 'utf8')) as { version: string };

export interface CommandModule {
  register(program: Command): void;
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('bttc-node')
    .description('A performance-oriented node for BTTC (BitTorrent Chain): Delivery (Tendermint BFT) and Bttc (EVM) in one process.')
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  const dir = join(here, 'commands');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Partial<CommandModule>;
    if (typeof mod.register === 'function') mod.register(program);
  }
  return program;
}

async function main(): Promise<void> {
  const program = await buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') process.exit(0);
    if (typeof code === 'string' && code.startsWith('commander.')) process.exit((err as { exitCode?: number }).exitCode ?? 1);
    if (err instanceof CliError) {
      process.stderr.write(`bttc-node: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    if ((err as Error).name === 'ConfigError') {
      process.stderr.write(`bttc-node: bad config: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bttc-node: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
