/**
 * `bttc-node gov vote`: signs an EIP-712 governance ballot with a root-chain key and sends it to a
 * Delivery node (POST /gov/ballots) or prints it (docs/governance.md). A later ballot with a higher
 * nonce replaces the voter's earlier one for the same proposal.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CliError, printJson } from '../io.ts';

interface VoteOpts {
  proposal: string;
  support: string;
  nonce: string;
  key: string;
  governor?: string;
  chainId?: string;
  reason: string;
  rest?: string;
  out?: string;
}

function bad(message: string): never {
  throw new CliError(message, 2);
}

/** A 0x-hex secret on its own, or a validator key file (its owner key: the owner holds the stake). */
async function readSecret(path: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    bad(`--key: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { hexToBytes } = await import('../../util/bytes.ts');
  const { isValidSecretKey } = await import('../../crypto/secp256k1.ts');
  let secret: Uint8Array | null = null;
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) secret = hexToBytes(text.startsWith('0x') ? text : `0x${text}`);
  else {
    const { readKeyFile, KeyFileError } = await import('../../node/keys.ts');
    try {
      secret = readKeyFile(path).owner.privateKey;
    } catch (err) {
      if (err instanceof KeyFileError) bad(`--key: ${path} is neither a 0x-hex secret key nor a validator key file: ${err.message}`);
      throw err;
    }
  }
  if (!isValidSecretKey(secret)) bad(`--key: ${path} does not hold a valid secp256k1 secret key`);
  return secret;
}

async function voteCmd(opts: VoteOpts): Promise<void> {
  const { proposalIdHex, signBallot, signedBallotJson, SUPPORT_NAMES, MAX_REASON_BYTES } = await import('../../gov/ballot.ts');
  let proposalId: string;
  try {
    proposalId = proposalIdHex(BigInt(/^(0x[0-9a-fA-F]+|\d+)$/.test(opts.proposal) ? opts.proposal : 'x'));
  } catch {
    bad(`--proposal: expected a proposal id (decimal or 0x-hex uint256), got ${JSON.stringify(opts.proposal)}`);
  }
  const byName = (SUPPORT_NAMES as readonly string[]).indexOf(opts.support);
  const support = byName >= 0 ? byName : /^[0-3]$/.test(opts.support) ? Number(opts.support) : bad(`--support: expected against, for, abstain, veto or 0..3, got ${JSON.stringify(opts.support)}`);
  if (!/^\d{1,78}$/.test(opts.nonce)) bad(`--nonce: expected a non-negative integer, got ${JSON.stringify(opts.nonce)}`);
  if (opts.governor !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(opts.governor)) bad(`--governor: expected a 0x-prefixed 20-byte address, got ${JSON.stringify(opts.governor)}`);
  if (opts.chainId !== undefined && !/^\d+$/.test(opts.chainId)) bad(`--chain-id: expected the root chain's id as an integer, got ${JSON.stringify(opts.chainId)}`);
  if ((opts.governor === undefined || opts.chainId === undefined) && opts.rest === undefined)
    bad('--governor and --chain-id: needed with --out (with --rest they default to what the Delivery node names for the proposal)');
  if (Buffer.byteLength(opts.reason) > MAX_REASON_BYTES) bad(`--reason: longer than ${MAX_REASON_BYTES} bytes`);
  if ((opts.rest === undefined) === (opts.out === undefined)) bad('give exactly one of --rest URL (send it) and --out FILE (write it; - for stdout)');
  const secret = await readSecret(opts.key);
  const { addressFromPublicKey } = await import('../../crypto/address.ts');
  const { publicKeyCreate } = await import('../../crypto/secp256k1.ts');
  const { bytesToHex } = await import('../../util/bytes.ts');
  const voter = bytesToHex(addressFromPublicKey(publicKeyCreate(secret, false)));
  const ballot = { proposalId, support: support as 0 | 1 | 2 | 3, voter, nonce: BigInt(opts.nonce), reason: opts.reason };
  const { HttpEndpoint } = await import('../../audit/http.ts');
  const { AuditError } = await import('../../audit/interface.ts');
  let governor = opts.governor;
  let chainId = opts.chainId;
  if (governor === undefined || chainId === undefined) {
    try {
      const p = await (await import('../../audit/gov-rest.ts')).restProposal(new HttpEndpoint(opts.rest!, { flag: '--rest', attempts: 3 }), proposalId);
      governor ??= p.governor;
      chainId ??= p.chainId ?? bad('--chain-id: the Delivery node cannot read the root chain id; give --chain-id');
    } catch (err) {
      if (err instanceof AuditError) throw new CliError(err.message, 2);
      throw err;
    }
  }
  const json = signedBallotJson({ ballot, signature: signBallot(ballot, { chainId: BigInt(chainId), governor: governor.toLowerCase() }, secret) });
  if (opts.out !== undefined) {
    if (opts.out === '-') return printJson(json);
    writeFileSync(opts.out, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`wrote ballot of ${voter} to ${opts.out}\n`);
    return;
  }
  try {
    const rest = new HttpEndpoint(opts.rest!, { flag: '--rest', attempts: 3 });
    const a = await rest.request('POST', 'gov/ballots', json);
    let body: unknown = a.text;
    try {
      body = JSON.parse(a.text);
    } catch {
      // printed as text below
    }
    if (a.status < 200 || a.status >= 300) throw new CliError(`--rest: POST /gov/ballots answered HTTP ${a.status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`, 1);
    printJson({ ballot: json, answer: body });
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
}

export function register(program: Command): void {
  const gov = program.command('gov').description('governance: sign and send ballots (docs/governance.md)');
  gov
    .command('vote')
    .description('sign an EIP-712 ballot {proposalId, support, voter, nonce, reason} with a root-chain key and POST it to a Delivery node, or write it')
    .requiredOption('--proposal <ID>', 'the proposal id (decimal or 0x-hex)')
    .requiredOption('--support <S>', 'against | for | abstain | veto (or 0..3)')
    .requiredOption('--nonce <N>', "ballot nonce: a later ballot with a higher nonce replaces this voter's earlier one")
    .requiredOption('--key <FILE>', "the voter's key: a file with a 0x-hex secret, or a validator key file (its owner key is used)")
    .option('--governor <ADDR>', 'the Governor contract (part of the signed EIP-712 domain; default with --rest: the one the node names for the proposal)')
    .option('--chain-id <N>', 'the root chain id (part of the signed EIP-712 domain; default with --rest: the one the node reads)')
    .option('--reason <TEXT>', 'free text, at most 256 bytes', '')
    .option('--rest <URL>', 'Delivery REST to POST /gov/ballots to')
    .option('--out <FILE>', 'write the signed ballot JSON instead (- for stdout)')
    .action(voteCmd);
}
