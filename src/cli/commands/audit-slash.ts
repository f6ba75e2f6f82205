/**
 * `bttc-node audit slash`: re-checks one slashing evidence record (src/slashing/audit.ts) and prints
 * the offense, the decision and the amounts per staker. Registered under `audit` by commands/audit.ts.
 */
import type { Command } from 'commander';
import { CliError, printJson, readJsonInput } from '../io.ts';

interface SlashOpts {
  evidence: string;
  validators?: string;
  network: string;
}

const HELP = `
Input: --evidence is the evidence JSON (docs/slashing.md) or a record as GET /slashing/evidence/{hash}
answers it. --validators (optional) is the context a node had: {"chainId","height","unbondingHeights"?,
"validators":[{"signer","id"?,"self"?,"partners"?,"delegators"?,"unbonding"?,"leaving"?}],"prior"?:{signer:n},
"commits"?:{height:[signers]},"spans"?:[{"startBlock","endBlock","producers"}],
"checkpoints"?:[{"start","end","borChainId","height"}]} (amounts are decimal wei strings; "commits" is
required for downtime; double seal is checked against the "spans" producers when given). "unbonding":
delegators' stake sold and still unbonding at the slash ({address: claimable wei}), cut at the
delegator bps; "leaving": partners' pending leaves ({address: wei}), cut at the own-stake bps; both
are counted in "self"/"delegators" and "perStaker", as the SlashingManager's SlashApplied counts them.
Output: {"id","offense","validator","decision":"slash"|"refused","code","reason","notChecked",
"penalty":{"selfBps","delegatorBps","jailEpochs","prior"},"amounts":{"self","delegators","perStaker"}}.
Exit status: 0 checked (either decision), 2 bad input (the message names the field).`;

async function slashCmd(opts: SlashOpts): Promise<void> {
  const [{ auditSlash, evidenceFromInput, AuditInputError }, { EvidenceFormatError }, { slashingParams }, { loadConfig }, seal, header, { bytesToHex }] = await Promise.all([
    import('../../slashing/audit.ts'),
    import('../../slashing/evidence.ts'),
    import('../../slashing/params.ts'),
    import('../../config/load.ts'),
    import('../../bttc/engine/seal.ts'),
    import('../../bttc/engine/header.ts'),
    import('../../util/bytes.ts'),
  ]);
  const params = slashingParams(loadConfig(opts.network).slashing);
  const recoverSeal = (rlp: Uint8Array) => {
    const h = header.decodeHeader(rlp);
    return { number: h.number, hash: bytesToHex(header.headerHash(h)), signer: bytesToHex(seal.recoverSignerUncached(h)) };
  };
  try {
    const evidence = evidenceFromInput(readJsonInput(opts.evidence, '--evidence'));
    const ctx = opts.validators ? (readJsonInput(opts.validators, '--validators') as Parameters<typeof auditSlash>[2]) : null;
    if (ctx && (typeof ctx.chainId !== 'string' || !Number.isSafeInteger(ctx.height) || !Array.isArray(ctx.validators))) {
      throw new CliError('--validators: expected {"chainId": string, "height": integer, "validators": [...]}');
    }
    printJson(auditSlash(evidence, params, ctx, recoverSeal));
  } catch (err) {
    if (err instanceof EvidenceFormatError || err instanceof AuditInputError) throw new CliError(`--evidence: ${err.message}`);
    throw err;
  }
}

export function registerSlash(audit: Command): void {
  audit
    .command('slash')
    .description('re-check a slashing evidence record: offense, decision (slash or refused with its reason code) and amounts per staker')
    .requiredOption('--evidence <FILE>', 'evidence JSON or a /slashing/evidence/{hash} record (- for stdin)')
    .option('--validators <FILE>', 'the validator set, stakes and commit signers the check runs against')
    .option('--network <NAME>', 'config preset (or file) whose slashing penalties apply', 'devnet')
    .addHelpText('after', HELP)
    .action(slashCmd);
}
