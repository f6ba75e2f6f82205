import type { Command } from 'commander';
import { CliError, printJson } from '../io.ts';

function int(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag}: expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

export function register(program: Command): void {
  const bench = program.command('bench').description('stress tools (end-to-end benches live under bench/)');
  bench
    .command('checkpoint')
    .description(
      'one checkpoint round as the node runs it, with N validator keys: checkpoint signatures in precommit side-vote extensions, ' +
        'the H+2 block carrying them, precommit verify + SignatureSet tally to 2/3+1 in the verify pool, submitCheckpoint to an embedded root chain staked with N (secp256k1 only)',
    )
    .option('--validators <n>', 'validators (up to 10000)', '100')
    .option('--threads <n>', 'verify-pool threads (0 = inline)', '1')
    .option('--batch <n>', 'checkpoint signatures per SignatureSet.add while tallying (the pool task size)', '128')
    .option('--rounds <n>', 'repeat signing, block and checks this many times; timings are the median', '1')
    .option('--forged <k>', 'validators whose precommit carries a forged checkpoint signature', '0')
    .option('--bad-precommits <k>', 'validators whose precommit signature is corrupted (the block is refused)', '0')
    .option('--no-submit', 'stop at the calldata; no root chain')
    .option('--json', 'print JSON')
    .action(async (opts: { validators: string; threads: string; batch: string; rounds: string; forged: string; badPrecommits: string; submit: boolean; json?: boolean }) => {
      const validators = int(opts.validators, '--validators', 1, 10_000);
      const run = {
        validators,
        threads: int(opts.threads, '--threads', 0),
        batch: int(opts.batch, '--batch', 1),
        rounds: int(opts.rounds, '--rounds', 1),
        forged: int(opts.forged, '--forged', 0),
        badPrecommits: int(opts.badPrecommits, '--bad-precommits', 0),
        submit: opts.submit,
      };
      if (run.forged > validators || run.badPrecommits > validators) throw new CliError('--forged and --bad-precommits: at most --validators');
      const { runCheckpointStress, formatCheckpointStress } = await import('../../loadtest/checkpoint-stress.ts');
      const r = await runCheckpointStress(run);
      if (opts.json) printJson(r);
      else process.stdout.write(formatCheckpointStress(r));
    });
}
