import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { printJson } from '../io.ts';

export function register(program: Command): void {
  program
    .command('status')
    .description('print what this installation runs on: Node.js, native crypto backends, worker threads, network presets')
    .option('--json', 'print JSON instead of text')
    .action(async (opts: { json?: boolean }) => {
      const { nativeStatus } = await import('../../crypto/status.ts');
      const { loadConfig, PRESETS } = await import('../../config/load.ts');
      const crypto = await nativeStatus();
      const presets = PRESETS.map((name) => {
        const c = loadConfig(name);
        return { name, bttcChainId: c.bttc.chainId, deliveryChainId: c.delivery.chainId, sprint: c.bttc.sprint, span: c.bttc.spanLength, rootChains: c.rootChains.map((r) => r.name) };
      });
      const status = { version: program.version(), node: process.version, cores: availableParallelism(), crypto, presets };
      if (opts.json) return printJson(status);
      const lines = [
        `bttc-node ${status.version} on Node.js ${status.node}, ${status.cores} core(s)`,
        ...Object.entries(crypto).map(([k, v]) => `  ${k.padEnd(10)} ${v.backend}${v.backend === 'native' ? '' : `   <-- SLOW FALLBACK${v.error ? `: ${v.error}` : ''}`}`),
        'presets:',
        ...presets.map((p) => `  ${p.name.padEnd(8)} bttc chain ${p.bttcChainId}, ${p.deliveryChainId}, sprint ${p.sprint}, span ${p.span}, root chains: ${p.rootChains.join(', ')}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
