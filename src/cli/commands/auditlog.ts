/**
 * `bttc-node audit log` and `bttc-node audit package`: verify a node's tamper-evident event log
 * (src/audit-log, docs/audit-log.md) or an evidence package, offline and, with --rpc/--root, online
 * down to the root chain. They join the `audit` command registered by ./audit.ts (this file sorts
 * after it). Exit codes: 0 verified, 1 a record, batch, anchor or package entry fails (named on
 * stderr and in the JSON), 2 the check could not be done (bad flags, unreadable input, an endpoint
 * down).
 */
import { writeFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { CliError, printJson } from '../io.ts';

interface LogOpts {
  datadir?: string;
  export?: string;
  rest?: string;
  out?: string;
  rpc?: string;
  root?: string;
  rootChainAddress?: string;
}

interface PackageOpts {
  rpc?: string;
  root?: string;
  rootChainAddress?: string;
}

async function asCli<T>(fn: () => Promise<T>): Promise<T> {
  const { AuditError } = await import('../../audit/interface.ts');
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
}

function onlineFlags(o: { rpc?: string; root?: string; rootChainAddress?: string }, fromLog: string | null | undefined): { rpc: string; root: string; rootChainAddress: string } | null {
  if ((o.rpc === undefined) !== (o.root === undefined))
    throw new CliError(`${o.rpc === undefined ? '--root' : '--rpc'}: needs ${o.rpc === undefined ? '--rpc' : '--root'} too (anchors are checked on Bttc and down to the root chain)`);
  if (o.rpc === undefined || o.root === undefined) {
    if (o.rootChainAddress !== undefined) throw new CliError('--root-chain-address: only with --rpc and --root');
    return null;
  }
  const address = o.rootChainAddress ?? fromLog ?? null;
  if (!address) throw new CliError('--root-chain-address: the log does not name its RootChain contract; give it');
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new CliError(`--root-chain-address: expected a 0x 20-byte address, got ${JSON.stringify(address)}`);
  return { rpc: o.rpc, root: o.root, rootChainAddress: address };
}

async function logCmd(opts: LogOpts): Promise<void> {
  const given = (['datadir', 'export', 'rest'] as const).filter((k) => opts[k] !== undefined);
  if (given.length !== 1) throw new CliError(`give exactly one of --datadir, --export, --rest (got ${given.length ? given.map((k) => `--${k}`).join(', ') : 'none'})`);
  const src = await import('../../audit-log/sources.ts');
  const { verifyLog } = await import('../../audit-log/verify.ts');
  const report = await asCli(async () => {
    const log = opts.datadir !== undefined ? await src.exportFromDataDir(opts.datadir) : opts.rest !== undefined ? await src.exportFromRest(opts.rest) : src.exportFromFile(opts.export!);
    if (opts.out !== undefined) {
      try {
        writeFileSync(opts.out, JSON.stringify(log, null, 1) + '\n');
      } catch (err) {
        throw new CliError(`--out: cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const online = onlineFlags(opts, log.rootChain?.address);
    return verifyLog(log, online ? src.onlineDeps(online) : null);
  });
  printJson(report);
  if (report.failure) throw new CliError(`audit log: ${report.failure.kind} ${report.failure.id} fails: ${report.failure.reason}`, 1);
}

async function packageCmd(file: string, opts: PackageOpts): Promise<void> {
  const { readPackage, verifyPackage } = await import('../../audit-log/evidence.ts');
  const src = await import('../../audit-log/sources.ts');
  const report = await asCli(async () => {
    const pkg = readPackage(file);
    const online = onlineFlags(opts, pkg.rootChainAddress);
    return verifyPackage(pkg, online ? src.onlineDeps(online) : null);
  });
  printJson(report);
  if (!report.ok) throw new CliError(`audit package: ${report.failure}`, 1);
}

/** A missing or unknown option is bad input: exit 2, as the other audits (1 means something failed). */
function badInputExits2(err: CommanderError): never {
  throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
}

export function register(program: Command): void {
  const audit = program.commands.find((c) => c.name() === 'audit');
  if (!audit) throw new Error('src/cli/commands/auditlog.ts: the audit command (audit.ts) must be registered first');
  audit.description(`${audit.description()}; verify a node's event log down to the root chain (log) or an evidence package (package)`);
  audit
    .command('log')
    .description(
      "verify a node's audit log: the record hash chain and batch signatures, and with --rpc/--root each anchor down to the root-chain checkpoint covering its Bttc block (a Merkle proof of the block in the checkpoint root); prints a JSON report naming the first record/batch/anchor that fails",
    )
    .option('--datadir <DIR>', "a stopped node's data dir (its node/ LevelDB)")
    .option('--export <FILE>', 'an exported log (JSON, as --out writes it)')
    .option('--rest <URL>', "a running node's REST endpoint (reads GET /audit-log/export)")
    .option('--out <FILE>', 'also write the public log read from --datadir/--rest/--export to FILE (an export)')
    .option('--rpc <URL>', 'Bttc JSON-RPC: check each anchor transaction and its block')
    .option('--root <URL>', "the root chain's JSON-RPC: find the checkpoint covering each anchor's block")
    .option('--root-chain-address <ADDR>', "the RootChain contract; default: the one the log names (the node's staking root chain)")
    .addHelpText(
      'after',
      '\nExit: 0 verified, 1 a record, batch or anchor fails (named), 2 the audit could not be done.\nAnchors in blocks no checkpoint covers yet are counted as awaitingCheckpoint, not failures.',
    )
    .exitOverride(badInputExits2)
    .action(logCmd);
  audit
    .command('package')
    .description('verify an evidence package (bttc-node evidence export): manifest hashes, record chain and signatures offline; with --rpc/--root its anchors down to the root chain')
    .argument('<FILE>', 'the package (JSON)')
    .option('--rpc <URL>', 'Bttc JSON-RPC')
    .option('--root <URL>', "the root chain's JSON-RPC")
    .option('--root-chain-address <ADDR>', 'the RootChain contract; default: the one the package names')
    .addHelpText('after', '\nExit: 0 verified, 1 the package fails (named), 2 the check could not be done.')
    .exitOverride(badInputExits2)
    .action(packageCmd);
}
