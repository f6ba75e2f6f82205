import type { Command } from 'commander';
import { CliError, printJson } from '../io.ts';

export function register(program: Command): void {
  const bench = program.command('bench').description('stress tools (end-to-end benches live under bench/)');
  bench
    .command('checkpoint')
    .description('N validator keys sign a checkpoint; gossip-encoded, verified in the pool to 2/3+1, submitted to an embedded root chain staked with N validators')
    .option('--validators <n>', 'validators (up to 1000 and beyond)', '100')
    .option('--threads <n>', 'verify-pool threads (0 = inline)', '1')
    .option('--batch <n>', 'votes per verify batch', '32')
    .option('--json', 'print JSON')
    .action(async (opts: { validators: string; threads: string; batch: string; json?: boolean }) => {
      const n = Number(opts.validators);
      const threads = Number(opts.threads);
      const batch = Number(opts.batch);
      if (!Number.isInteger(n) || n < 1) throw new CliError(`--validators: expected a positive integer, got ${JSON.stringify(opts.validators)}`);
      if (!Number.isInteger(threads) || threads < 0) throw new CliError(`--threads: expected an integer ≥ 0, got ${JSON.stringify(opts.threads)}`);
      if (!Number.isInteger(batch) || batch < 1) throw new CliError(`--batch: expected a positive integer, got ${JSON.stringify(opts.batch)}`);
      const { runCheckpointStress } = await import('../../loadtest/checkpoint-stress.ts');
      const r = await runCheckpointStress({ validators: n, threads, batch });
      if (opts.json) return printJson(r);
      const f = (x: number, d = 3) => x.toFixed(d);
      process.stdout.write(
        [
          `checkpoint stress: ${r.validators} validators (quorum ${r.threshold}), verify pool ${r.threads} thread(s), batches of ${r.batch}`,
          `  root chain with ${r.validators} staked ready in ${f(r.rootSetupSeconds, 1)} s`,
          `  signing           ${f(r.signSeconds)} s  (${f(r.signaturesPerSec, 0)} signatures/s)`,
          `  gossip encode+decode ${f(r.encodeDecodeSeconds)} s, ${r.gossipBytes} bytes`,
          `  time to 2/3+1     ${f(r.timeToQuorumSeconds)} s;  all verified in ${f(r.verifyAllSeconds)} s (${f(r.verifiedPerSec, 0)}/s)`,
          `  submitCheckpoint  ${r.submit.outcome}, gas ${r.submit.gasUsed}, calldata ${r.calldataBytes} bytes, ${f(r.submit.seconds)} s`,
        ].join('\n') + '\n',
      );
    });
}
