/**
 * `bttc-node evidence export`: one evidence package (src/audit-log/evidence.ts) for a checkpoint,
 * built from a node's public audit log (a stopped node's data dir, a running node's REST port, or an
 * export file), for a governance proposal (src/audit-log/proposal-package.ts) or for a slash
 * (src/audit-log/slash-package.ts). `bttc-node audit package FILE` verifies what this writes.
 */
import { writeFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { CliError, printJson } from '../io.ts';

interface ExportOpts {
  checkpoint?: string;
  slash?: string;
  proposal?: string;
  out: string;
  datadir?: string;
  rest?: string;
  export?: string;
  rootChainId?: string;
}

async function exportCmd(opts: ExportOpts): Promise<void> {
  const subjects = (['checkpoint', 'slash', 'proposal'] as const).filter((k) => opts[k] !== undefined);
  if (subjects.length !== 1) throw new CliError(`give exactly one of --checkpoint, --slash, --proposal (got ${subjects.length ? subjects.map((k) => `--${k}`).join(', ') : 'none'})`);
  if (opts.checkpoint !== undefined && !/^[1-9]\d*$/.test(opts.checkpoint))
    throw new CliError(`--checkpoint: expected a checkpoint number (1, 2, …: the k-th acked checkpoint), got ${JSON.stringify(opts.checkpoint)}`);
  const sources = (['datadir', 'rest', 'export'] as const).filter((k) => opts[k] !== undefined);
  if (sources.length !== 1) throw new CliError(`give exactly one log source: --datadir, --rest or --export (got ${sources.length ? sources.map((k) => `--${k}`).join(', ') : 'none'})`);
  let rootChainId: number | undefined;
  if (opts.rootChainId !== undefined && opts.checkpoint === undefined) throw new CliError('--root-chain-id: only with --checkpoint (proposals and slashes live on the staking chain)');
  if (opts.rootChainId !== undefined) {
    if (!/^\d+$/.test(opts.rootChainId)) throw new CliError(`--root-chain-id: expected a root chain id (2 Ethereum, 3 BSC, 1 TRON), got ${JSON.stringify(opts.rootChainId)}`);
    rootChainId = Number(opts.rootChainId);
  }
  const src = await import('../../audit-log/sources.ts');
  const { buildCheckpointPackage, serializePackage } = await import('../../audit-log/evidence.ts');
  const { AuditError } = await import('../../audit/interface.ts');
  const { buildProposalPackage, parseProposalId } = await import('../../audit-log/proposal-package.ts');
  const { buildSlashPackage, parseSlashId } = await import('../../audit-log/slash-package.ts');
  try {
    const proposalId = opts.proposal !== undefined ? parseProposalId(opts.proposal) : null;
    const slashId = opts.slash !== undefined ? parseSlashId(opts.slash) : null;
    const log = opts.datadir !== undefined ? await src.exportFromDataDir(opts.datadir) : opts.rest !== undefined ? await src.exportFromRest(opts.rest) : src.exportFromFile(opts.export!);
    const pkg =
      slashId !== null
        ? buildSlashPackage(log, slashId)
        : proposalId !== null
          ? buildProposalPackage(log, proposalId)
          : buildCheckpointPackage(log, Number(opts.checkpoint), rootChainId === undefined ? {} : { rootChainId });
    try {
      writeFileSync(opts.out, serializePackage(pkg));
    } catch (err) {
      throw new CliError(`--out: cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    printJson({ out: opts.out, id: pkg.id, manifestRoot: pkg.manifest.root, records: pkg.content.records.length, batches: pkg.content.batches.length, anchors: pkg.content.anchors.length });
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
}

export function register(program: Command): void {
  const evidence = program.command('evidence').description('evidence packages for reviewers who trust no node (verify one with `bttc-node audit package FILE`)');
  evidence
    .command('export')
    .description("write one versioned evidence package (canonical JSON with a manifest of hashes and a Markdown summary) from a node's public audit log")
    .option('--checkpoint <N>', "the N-th acked checkpoint (on the log's staking root chain, or --root-chain-id)")
    .option('--slash <ID>', 'a slash (its evidence id, 0x 32-byte hex): evidence re-checked, decision, challenge window, penalty')
    .option('--proposal <ID>', 'a governance proposal (0x 32-byte id or decimal): its ballot manifest, tally, signatures and anchor, recomputed')
    .requiredOption('--out <FILE>', 'where to write the package')
    .option('--datadir <DIR>', "a stopped node's data dir")
    .option('--rest <URL>', "a running node's REST endpoint")
    .option('--export <FILE>', 'an exported log (bttc-node audit log --out)')
    .option('--root-chain-id <ID>', "the checkpoint's root chain when it is not the log's staking chain")
    .addHelpText('after', '\nExit: 0 written, 2 it could not be (bad flags, no such checkpoint, proposal or slash in the log).')
    .exitOverride((err: CommanderError) => {
      // a missing or unknown option is bad input: exit 2, as the help says
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(exportCmd);
}
