import type { Command } from 'commander';
import { CliError, printJson } from '../io.ts';

export function register(program: Command): void {
  program
    .command('scorecard')
    .description("print every validator's chain-derived telemetry and score from a node's Delivery REST (GET /telemetry/validators)")
    .option('--rest <url>', 'Delivery REST URL of a running node', 'http://127.0.0.1:1317')
    .option('--json', 'print the REST answer as JSON instead of a table')
    .action(async (opts: { rest: string; json?: boolean }) => {
      const { scorecardTable } = await import('../../telemetry/table.ts');
      let base: URL;
      try {
        base = new URL(opts.rest);
      } catch {
        throw new CliError(`--rest: ${JSON.stringify(opts.rest)} is not a URL`);
      }
      const url = new URL('telemetry/validators', base.href.endsWith('/') ? base : new URL(`${base.href}/`));
      const res = await fetch(url).catch((err: Error) => {
        throw new CliError(`--rest: cannot reach ${url.href}: ${(err.cause as Error | undefined)?.message ?? err.message}`, 1);
      });
      const text = await res.text();
      if (!res.ok) throw new CliError(`--rest: ${url.href} answered HTTP ${res.status}: ${text.slice(0, 200)}`, 1);
      const body = JSON.parse(text) as Parameters<typeof scorecardTable>[0];
      if (opts.json) return printJson(body);
      process.stdout.write(scorecardTable(body) + '\n');
    });
}
