/**
 * `bttc-node audit tally`: a governance proposal's result recomputed from public data only
 * (src/audit/tally.ts) and compared with the tally anchored on the Governor. Registered under
 * `audit` by commands/audit.ts.
 */
import { CommanderError, type Command } from 'commander';
import { CliError, printJson, readJsonInput } from '../io.ts';

interface TallyOpts {
  proposal: string;
  rpc: string;
  governor?: string;
  rest?: string;
  ballots?: string;
  fromBlock: string;
  retries: string;
  threads?: string;
}

/** Below this many ballots the worker threads' start-up costs more than they save. */
const POOL_FROM_BALLOTS = 2048;

const EXIT_HELP = `
Output: {"proposalId","snapshot","deadline","forVotes","againstVotes","abstainVotes","vetoVotes",
"totalPower","ballotCount","manifestRoot","outcome","anchored":{…}|null,"match":true|false,
"refusals":[{"index","height","code","detail","proposalId","voter"}]} (integers as decimal strings).
Power at the snapshot comes from StakeVotes' VotesMoved logs (no getPastVotes is trusted).
The ballot set (--ballots FILE, or GET /gov/proposals/{id}/ballots on --rest) is
{"proposalId","closeHeight","ballots":[{"height","ballot":{proposalId,support,voter,nonce,reason,signature}}]}.
Exit status: 0 match, 1 mismatch (or no tally anchored yet; each difference on stderr), 2 the audit
could not be done (bad flag, endpoint unreachable or answering nonsense).`;

function bad(message: string): never {
  throw new CliError(message, 2);
}

async function tallyCmd(opts: TallyOpts): Promise<void> {
  if (opts.governor !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(opts.governor)) bad(`--governor: expected a 0x-prefixed 20-byte address, got ${JSON.stringify(opts.governor)}`);
  if (opts.governor === undefined && opts.rest === undefined) bad('--governor: needed unless --rest names a Delivery node that serves the proposal');
  let governor = opts.governor?.toLowerCase() ?? '';
  let proposalId: string;
  try {
    const { proposalIdHex } = await import('../../gov/ballot.ts');
    proposalId = proposalIdHex(/^0x/.test(opts.proposal) ? BigInt(opts.proposal) : BigInt(/^\d+$/.test(opts.proposal) ? opts.proposal : 'x'));
  } catch {
    bad(`--proposal: expected a proposal id (decimal or 0x-hex uint256), got ${JSON.stringify(opts.proposal)}`);
  }
  if (!/^\d+$/.test(opts.fromBlock)) bad(`--from-block: expected a non-negative integer, got ${JSON.stringify(opts.fromBlock)}`);
  if (!/^\d{1,2}$/.test(opts.retries)) bad(`--retries: expected an integer from 0 to 99, got ${JSON.stringify(opts.retries)}`);
  if ((opts.ballots === undefined) === (opts.rest === undefined)) bad('give exactly one of --ballots FILE and --rest URL for the ballot set');
  if (opts.threads !== undefined && !/^\d{1,3}$/.test(opts.threads)) bad(`--threads: expected an integer from 0 to 999, got ${JSON.stringify(opts.threads)}`);
  const { HttpEndpoint } = await import('../../audit/http.ts');
  const { JsonRpcEndpoint } = await import('../../audit/json-rpc.ts');
  const { AuditError } = await import('../../audit/interface.ts');
  const audit = await import('../../audit/tally.ts');
  const { tallyJson, refusalJson } = await import('../../gov/tally.ts');
  const attempts = Number(opts.retries) + 1;
  let result: Awaited<ReturnType<typeof audit.auditTally>>;
  try {
    let raw: unknown;
    if (opts.ballots !== undefined) raw = readJsonInput(opts.ballots, '--ballots');
    else {
      const rest = new HttpEndpoint(opts.rest!, { flag: '--rest', attempts });
      if (!governor) governor = (await (await import('../../audit/gov-rest.ts')).restProposal(rest, proposalId)).governor;
      const a = await rest.request('GET', `gov/proposals/${proposalId}/ballots`);
      if (a.status !== 200) throw new AuditError(`--rest ${rest.target(`gov/proposals/${proposalId}/ballots`)}: HTTP ${a.status}`);
      try {
        raw = JSON.parse(a.text);
      } catch {
        throw new AuditError(`--rest: /gov/proposals/${proposalId}/ballots did not answer JSON`);
      }
      if (raw !== null && typeof raw === 'object' && 'result' in raw) raw = (raw as { result: unknown }).result;
    }
    const ballots = audit.parseBallotSet(raw, opts.ballots !== undefined ? '--ballots' : '--rest ballots');
    const rpc = new JsonRpcEndpoint(new HttpEndpoint(opts.rpc, { flag: '--rpc', attempts }));
    const { VerifyPool, defaultThreads } = await import('../../pools/verifyPool.ts');
    const { TALLY_POOL_OPTIONS } = await import('../../gov/tally-pooled.ts');
    const threads = opts.threads !== undefined ? Number(opts.threads) : ballots.ballots.length >= POOL_FROM_BALLOTS ? defaultThreads() : 0;
    const verifier = threads > 0 ? new VerifyPool({ ...TALLY_POOL_OPTIONS, threads }) : null;
    try {
      result = await audit.auditTally({ governor, proposalId, ballots, fromBlock: BigInt(opts.fromBlock) }, { rpc, verifier });
    } finally {
      await verifier?.close();
    }
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
  const a = result.anchored;
  printJson({
    ...tallyJson(result.tally),
    anchored: a && {
      forVotes: a.forVotes.toString(),
      againstVotes: a.againstVotes.toString(),
      abstainVotes: a.abstainVotes.toString(),
      vetoVotes: a.vetoVotes.toString(),
      totalPower: a.totalPower.toString(),
      ballotCount: a.ballotCount.toString(),
      manifestRoot: a.manifestRoot,
    },
    match: result.differences.length === 0,
    refusals: result.refusals.map(refusalJson),
  });
  if (result.differences.length > 0) throw new CliError(`tally of proposal ${proposalId} does not match the Governor (${result.differences.length}):\n  ${result.differences.join('\n  ')}`, 1);
}

export function registerTally(audit: Command): void {
  audit
    .command('tally')
    .description('a governance proposal\'s tally recomputed from public data (root-chain logs + the ballot set) and compared with the one anchored on the Governor: counts, manifest root, "match"')
    .requiredOption('--proposal <ID>', 'the proposal id (decimal or 0x-hex)')
    .requiredOption('--rpc <URL>', 'the root chain JSON-RPC')
    .option('--governor <ADDR>', 'the Governor contract (default with --rest: the one the Delivery node names for the proposal)')
    .option('--rest <URL>', 'Delivery REST to read the ballot set from (GET /gov/proposals/{id}/ballots)')
    .option('--ballots <FILE>', 'the ballot set from a file (- for stdin) instead of --rest')
    .option('--from-block <N>', 'first block to scan for VotesMoved logs (the StakeVotes deployment block or earlier)', '0')
    .option('--retries <N>', 'retries of a request after a transient failure', '4')
    .option('--threads <N>', `worker threads recovering ballot signatures (default: cores − 1 from ${POOL_FROM_BALLOTS} ballots, else 0 = on the main thread)`)
    .addHelpText('after', EXIT_HELP)
    .exitOverride((err: CommanderError) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(tallyCmd);
}
