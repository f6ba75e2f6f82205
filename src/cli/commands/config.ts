import type { Command } from 'commander';
import { printJson } from '../io.ts';

export function register(program: Command): void {
  program
    .command('config')
    .description('validate a network preset or config file and print it as the node reads it')
    .argument('[preset-or-file]', 'mainnet, donau, devnet, or a path to a JSON config', 'devnet')
    .option('--set <field=value...>', 'override fields, e.g. --set bttc.period=1 checkpoint.avgLength=64', [])
    .action(async (source: string, opts: { set: string[] }) => {
      const { loadConfig, parseOverrides } = await import('../../config/load.ts');
      printJson(loadConfig(source, parseOverrides(opts.set)));
    });
}
