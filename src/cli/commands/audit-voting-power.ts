/**
 * `bttc-node audit voting-power`: every account's voting power at a root-chain block, recomputed
 * from StakeVotes' VotesMoved logs alone (src/audit/voting-power.ts), optionally checked against the
 * contract's getPastVotes/getPastTotalSupply. Registered under `audit` by commands/audit.ts.
 */
import { CommanderError, type Command } from 'commander';
import { CliError, printJson } from '../io.ts';

interface VotingPowerOpts {
  rpc: string;
  stakeManager: string;
  block: string;
  account?: string;
  check?: boolean;
  fromBlock: string;
  range: string;
  concurrency: string;
  retries: string;
}

const EXIT_HELP = `
Output: {"block","total","accounts":{address: power}} with decimal strings; accounts with zero power
are left out (with --account, only that account is printed, zero or not).
Exit status: 0 done (and, with --check, every getPastVotes and getPastTotalSupply equal the recomputed
values), 1 --check found a difference (each is named on stderr), 2 the audit could not be done (bad
flag, endpoint unreachable or answering nonsense; the message names which). Progress goes to stderr.`;

function bad(message: string): never {
  throw new CliError(message, 2);
}

function uintFlag(raw: string, flag: string, max = Number.MAX_SAFE_INTEGER, min = 0): number {
  if (!/^\d+$/.test(raw) || Number(raw) > max || Number(raw) < min) bad(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function addressFlag(raw: string, flag: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) bad(`${flag}: expected a 0x-prefixed 20-byte address, got ${JSON.stringify(raw)}`);
  return raw.toLowerCase();
}

/** At most a line a second on stderr, once the work has taken a second, and the last one. */
function progress(label: string, unit: string): (done: number, total: number) => void {
  const start = Date.now();
  let last = start;
  let shown = false;
  return (done, total) => {
    const now = Date.now();
    if (done === total ? !shown && now - start < 1000 : now - last < 1000) return;
    last = now;
    shown = true;
    process.stderr.write(`${label}: ${done}/${total} ${unit}\n`);
  };
}

async function votingPowerCmd(opts: VotingPowerOpts): Promise<void> {
  const stakeManager = addressFlag(opts.stakeManager, '--stake-manager');
  const block = BigInt(uintFlag(opts.block, '--block'));
  const account = opts.account === undefined ? undefined : addressFlag(opts.account, '--account');
  const fromBlock = BigInt(uintFlag(opts.fromBlock, '--from-block'));
  if (fromBlock > block) bad(`--from-block: ${fromBlock} is after --block ${block}`);
  const rangeSize = uintFlag(opts.range, '--range', 1_000_000, 1);
  const concurrency = uintFlag(opts.concurrency, '--concurrency', 64, 1);
  const attempts = uintFlag(opts.retries, '--retries', 20) + 1;
  const { HttpEndpoint } = await import('../../audit/http.ts');
  const { JsonRpcEndpoint } = await import('../../audit/json-rpc.ts');
  const { AuditError } = await import('../../audit/interface.ts');
  const vp = await import('../../audit/voting-power.ts');
  let result: Awaited<ReturnType<typeof vp.auditVotingPower>>;
  try {
    const rpc = new JsonRpcEndpoint(new HttpEndpoint(opts.rpc, { flag: '--rpc', attempts }));
    result = await vp.auditVotingPower(
      {
        stakeManager,
        block,
        ...(account ? { account } : {}),
        check: opts.check === true,
        fromBlock,
        fetch: { rangeSize, concurrency, onProgress: progress('audit voting-power: scanned', 'blocks') },
        onCheckProgress: progress('audit voting-power: checked', 'getPastVotes calls'),
      },
      { rpc },
    );
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
  printJson(vp.votingPowerJson(result.power, account));
  if (result.differences.length > 0) {
    throw new CliError(`voting power at block ${block} differs from StakeVotes ${result.stakeVotes} (${result.differences.length}):\n  ${result.differences.join('\n  ')}`, 1);
  }
}

export function registerVotingPower(audit: Command): void {
  audit
    .command('voting-power')
    .description('every account\'s staking voting power at a root-chain block, recomputed from StakeVotes\' VotesMoved logs alone: {"block","total","accounts"}')
    .requiredOption('--rpc <URL>', 'the root chain JSON-RPC (the embedded root chain, or any EVM chain the contracts run on)')
    .requiredOption('--stake-manager <ADDR>', 'the StakeManager; its stakeVotes() is read once to find the StakeVotes contract')
    .requiredOption('--block <N>', 'the block to recompute the power at')
    .option('--account <ADDR>', 'print only this account')
    .option('--check', "compare with the contract's getPastVotes (every account the logs name) and getPastTotalSupply; needs --block below the head")
    .option('--from-block <N>', 'first block to scan (the StakeVotes deployment block or earlier)', '0')
    .option('--range <N>', 'blocks in the first eth_getLogs request; later ones adapt to the log density (and split when the server refuses one)', '5000')
    .option('--concurrency <N>', 'eth_getLogs requests in flight at once', '4')
    .option('--retries <N>', 'retries of a request after a transient failure', '4')
    .addHelpText('after', EXIT_HELP)
    .exitOverride((err: CommanderError) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(votingPowerCmd);
}
