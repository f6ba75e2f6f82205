import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, printJson } from '../io.ts';

/** The consensus WAL of a node's data dir, or the file given. */
function walPath(opts: { file?: string; datadir?: string }): string {
  if (opts.file && opts.datadir) throw new CliError('wal: give --file or --datadir, not both');
  const p = opts.file ? resolve(opts.file) : opts.datadir ? join(resolve(opts.datadir), 'consensus.wal') : null;
  if (!p) throw new CliError('wal: --file FILE or --datadir DIR is required');
  if (!existsSync(p)) throw new CliError(`wal: ${p} does not exist`);
  return p;
}

export function register(program: Command): void {
  const wal = program.command('wal').description("check or repair a node's consensus write-ahead log (its record of every vote it sent)");
  wal
    .command('check')
    .description('read the WAL and say whether it is intact, has a torn tail (cut on the next start), or is corrupt (the node refuses to start); exits 1 unless intact or torn')
    .option('--file <file>', 'the WAL file')
    .option('--datadir <dir>', "a node's data dir (its consensus.wal)")
    .action(async (opts: { file?: string; datadir?: string }) => {
      const { checkWalFile } = await import('../../delivery/consensus/wal.ts');
      const report = await checkWalFile(walPath(opts));
      printJson(report);
      if (report.status === 'corrupt' || report.status === 'empty') process.exitCode = 1;
    });
  wal
    .command('repair')
    .description(
      'keep the intact records of a damaged WAL and drop the rest; the original is copied to <file>.corrupt-<time> first. Votes in the dropped part are forgotten: restart only once the network is past their heights',
    )
    .option('--file <file>', 'the WAL file')
    .option('--datadir <dir>', "a node's data dir (its consensus.wal)")
    .action(async (opts: { file?: string; datadir?: string }) => {
      const { repairWalFile } = await import('../../delivery/consensus/wal.ts');
      const r = await repairWalFile(walPath(opts));
      printJson({ file: r.before.file, was: r.before.status, problem: r.before.problem, backup: r.backup, keptRecords: r.kept, droppedBytes: r.droppedBytes, lastKeptHeight: r.before.lastHeight });
    });
}
