/**
 * `bttc-node evidence export`: one evidence package (src/audit-log/evidence.ts) for a checkpoint,
 * built from a node's public audit log (a stopped node's data dir, a running node's REST port, or an
 * export file), or for a governance proposal (src/audit-log/proposal-package.ts). `--slash` names a
 * module this node does not have yet: it exits 2 saying so. `bttc-node audit package FILE` verifies what this writes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const MODULES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../delivery/modules');

/** A subject whose Delivery module is missing: exit 2 naming it. */
function missingModule(flag: string, module: string, what: string): never {
  const exists = existsSync(join(MODULES_DIR, module));
  throw new CliError(
    exists
      ? `evidence export ${flag}: the ${module} module exists, but this exporter does not read its ${what} yet`
      : `evidence export ${flag}: this node has no ${module} module (src/delivery/modules/${module} does not exist yet), so there is no ${what} to export`,
    2,
  );
}

async function exportCmd(opts: ExportOpts): Promise<void> {
  const subjects = (['checkpoint', 'slash', 'proposal'] as const).filter((k) => opts[k] !== undefined);
  if (subjects.length !== 1) throw new CliError(`give exactly one of --checkpoint, --slash, --proposal (got ${subjects.length ? subjects.map((k) => `--${k}`).join(', ') : 'none'})`);
  if (opts.slash !== undefined) missingModule('--slash', 'slashing', 'slash evidence');
  if (opts.checkpoint !== undefined && !/^[1-9]\d*$/.test(opts.checkpoint))
    throw new CliError(`--checkpoint: expected a checkpoint number (1, 2, …: the k-th acked checkpoint), got ${JSON.stringify(opts.checkpoint)}`);
  const sources = (['datadir', 'rest', 'export'] as const).filter((k) => opts[k] !== undefined);
  if (sources.length !== 1) throw new CliError(`give exactly one log source: --datadir, --rest or --export (got ${sources.length ? sources.map((k) => `--${k}`).join(', ') : 'none'})`);
  let rootChainId: number | undefined;
  if (opts.rootChainId !== undefined && opts.proposal !== undefined) throw new CliError('--root-chain-id: only with --checkpoint (proposals live on the staking chain)');
  if (opts.rootChainId !== undefined) {
    if (!/^\d+$/.test(opts.rootChainId)) throw new CliError(`--root-chain-id: expected a root chain id (2 Ethereum, 3 BSC, 1 TRON), got ${JSON.stringify(opts.rootChainId)}`);
    rootChainId = Number(opts.rootChainId);
  }
  const src = await import('../../audit-log/sources.ts');
  const { buildCheckpointPackage, serializePackage } = await import('../../audit-log/evidence.ts');
  const { AuditError } = await import('../../audit/interface.ts');
  const { buildProposalPackage, parseProposalId } = await import('../../audit-log/proposal-package.ts');
  try {
    const proposalId = opts.proposal !== undefined ? parseProposalId(opts.proposal) : null;
    const log = opts.datadir !== undefined ? await src.exportFromDataDir(opts.datadir) : opts.rest !== undefined ? await src.exportFromRest(opts.rest) : src.exportFromFile(opts.export!);
    const pkg = proposalId !== null ? buildProposalPackage(log, proposalId) : buildCheckpointPackage(log, Number(opts.checkpoint), rootChainId === undefined ? {} : { rootChainId });
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
    .option('--slash <ID>', 'a slash (needs the slashing module: not in this node yet)')
    .option('--proposal <ID>', 'a governance proposal (0x 32-byte id or decimal): its ballot manifest, tally, signatures and anchor, recomputed')
    .requiredOption('--out <FILE>', 'where to write the package')
    .option('--datadir <DIR>', "a stopped node's data dir")
    .option('--rest <URL>', "a running node's REST endpoint")
    .option('--export <FILE>', 'an exported log (bttc-node audit log --out)')
    .option('--root-chain-id <ID>', "the checkpoint's root chain when it is not the log's staking chain")
    .addHelpText('after', '\nExit: 0 written, 2 it could not be (bad flags, no such checkpoint or proposal in the log, a missing module).')
    .exitOverride((err: CommanderError) => {
      // a missing or unknown option is bad input: exit 2, as the help says
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(exportCmd);
}
