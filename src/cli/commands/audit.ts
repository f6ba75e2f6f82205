/**
 * `bttc-node audit …`: an outside party recomputes what the network claims (checkpoint roots,
 * account roots, span producers, the Delivery proposer, a checkpoint's signature set) from JSON on a
 * file or stdin, and gets JSON back. Bad input exits non-zero with a message naming the entry and
 * field at fault; protocol modules are imported lazily so `--help` stays fast. `audit checkpoint` and
 * `audit span` audit a live network instead, from its public endpoints (logic in src/audit/).
 */
import { CommanderError, type Command } from 'commander';
import { CliError, printJson, readJsonInput } from '../io.ts';
import { registerVotingPower } from './audit-voting-power.ts';
import { registerTally } from './audit-tally.ts';
import { registerSlash } from './audit-slash.ts';

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new CliError(message);
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(`${what}: expected a JSON array, got ${value === null ? 'null' : typeof value}`);
  if (value.length === 0) fail(`${what}: the array is empty`);
  return value;
}

function asObject(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${what}: expected a JSON object`);
  return value as Json;
}

/** Non-negative integer from a JSON number or decimal string, as bigint. */
function uintField(o: Json, key: string, what: string): bigint {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (v === undefined) fail(`${what}: missing "${key}"`);
  fail(`${what}.${key}: expected a non-negative integer (number or decimal string), got ${JSON.stringify(v)}`);
}

function intField(o: Json, key: string, what: string): bigint {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  fail(`${what}.${key}: expected an integer (number or decimal string), got ${JSON.stringify(v)}`);
}

function hexField(o: Json, key: string, bytes: number, what: string): string {
  const v = o[key];
  if (v === undefined) fail(`${what}: missing "${key}"`);
  if (typeof v !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v)) fail(`${what}.${key}: expected 0x-prefixed ${bytes}-byte hex, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

function smallId(o: Json, what: string): number {
  const id = uintField(o, 'id', what);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what}.id: too large`);
  return Number(id);
}

/** A JSON-friendly integer: a number when exact, else a decimal string. */
function jsonInt(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function onlyOneStdin(sources: (string | undefined)[]): void {
  if (sources.filter((s) => s === '-').length > 1) fail('only one input can be read from standard input (-)');
}

interface ValidatorInput {
  id: number;
  signer: string;
  power: bigint;
  accum?: bigint;
}

function parseValidators(raw: unknown, what: string, opts: { accum: boolean }): ValidatorInput[] {
  const seen = new Set<string>();
  return asArray(raw, what).map((entry, i) => {
    const w = `${what}[${i}]`;
    const o = asObject(entry, w);
    const signer = hexField(o, 'signer', 20, w);
    if (seen.has(signer)) fail(`${w}.signer: ${signer} appears more than once`);
    seen.add(signer);
    const power = uintField(o, 'power', w);
    const v: ValidatorInput = { id: smallId(o, w), signer, power };
    if (opts.accum && o.accum !== undefined) v.accum = intField(o, 'accum', w);
    return v;
  });
}

async function checkpointRootCmd(opts: { headers: string }): Promise<void> {
  const raw = readJsonInput(opts.headers, '--headers');
  const { checkpointRoot, MAX_ROOT_HASH_BLOCKS } = await import('../../merkle/checkpoint.ts');
  const { hexToBytes, bytesToHex } = await import('../../util/bytes.ts');
  const list = asArray(raw, '--headers');
  if (list.length > MAX_ROOT_HASH_BLOCKS) fail(`--headers: ${list.length} headers exceed the limit of ${MAX_ROOT_HASH_BLOCKS} per root`);
  const headers = list.map((entry, i) => {
    const w = `--headers[${i}]`;
    const o = asObject(entry, w);
    return {
      number: uintField(o, 'number', w),
      timestamp: uintField(o, 'timestamp', w),
      txRoot: hexToBytes(hexField(o, 'txRoot', 32, w)),
      receiptsRoot: hexToBytes(hexField(o, 'receiptsRoot', 32, w)),
    };
  });
  for (const [i, h] of headers.entries()) if (h.number >= 1n << 256n || h.timestamp >= 1n << 256n) fail(`--headers[${i}]: number or timestamp does not fit in 256 bits`);
  printJson({ root: bytesToHex(checkpointRoot(headers)), leaves: headers.length });
}

async function accountRootCmd(opts: { accounts: string }): Promise<void> {
  const raw = readJsonInput(opts.accounts, '--accounts');
  const { accountRoot } = await import('../../merkle/account.ts');
  const { hexToBytes, bytesToHex } = await import('../../util/bytes.ts');
  const seen = new Set<string>();
  const accounts = asArray(raw, '--accounts').map((entry, i) => {
    const w = `--accounts[${i}]`;
    const o = asObject(entry, w);
    const address = hexField(o, 'address', 20, w);
    if (seen.has(address)) fail(`${w}.address: ${address} appears more than once`);
    seen.add(address);
    const fee = uintField(o, 'fee', w);
    if (fee >= 1n << 256n) fail(`${w}.fee: does not fit in 256 bits`);
    return { address: hexToBytes(address), fee };
  });
  printJson({ root: bytesToHex(accountRoot(accounts)) });
}

async function producersCmd(opts: { seed: string; count: string; validators: string }): Promise<void> {
  if (!/^0x(?:[0-9a-fA-F]{2}){8,32}$/.test(opts.seed)) fail(`--seed: expected 0x-prefixed hex of 8 to 32 bytes (a block hash), got ${JSON.stringify(opts.seed)}`);
  if (!/^\d+$/.test(opts.count) || Number(opts.count) > 10_000) fail(`--count: expected a non-negative integer (at most 10000), got ${JSON.stringify(opts.count)}`);
  const raw = readJsonInput(opts.validators, '--validators');
  const vals = parseValidators(raw, '--validators', { accum: false });
  for (const [i, v] of vals.entries()) if (v.power === 0n) fail(`--validators[${i}].power: must be greater than 0`);
  const { selectNextProducers } = await import('../../protocol/span/selection.ts');
  const { makeValidator } = await import('../../protocol/validators/validator.ts');
  const { hexToBytes } = await import('../../util/bytes.ts');
  let eligible;
  try {
    eligible = vals.map((v) => makeValidator({ id: v.id, signer: v.signer, votingPower: v.power }));
  } catch (err) {
    fail(`--validators: ${(err as Error).message}`);
  }
  const sel = selectNextProducers(hexToBytes(opts.seed), eligible, Number(opts.count));
  printJson({ picked: sel.picked, producers: sel.producers.map((p) => ({ id: p.id, signer: p.signer, power: jsonInt(p.votingPower) })) });
}

type ProposerStep = { update: ValidatorInput[] } | { increment: number };

/** `--changes`: [{"update":[{"id","signer","power"}]} | {"increment":k}], checked before anything is applied. */
function parseChanges(raw: unknown): ProposerStep[] {
  return asArray(raw, '--changes').map((entry, i): ProposerStep => {
    const w = `--changes[${i}]`;
    const o = asObject(entry, w);
    const keys = Object.keys(o);
    if (keys.length !== 1 || (keys[0] !== 'update' && keys[0] !== 'increment')) fail(`${w}: expected {"update":[…]} or {"increment":k}, got keys ${JSON.stringify(keys)}`);
    if (keys[0] === 'increment') {
      const k = uintField(o, 'increment', w);
      if (k > 1_000_000n) fail(`${w}.increment: at most 1000000, got ${k}`);
      return { increment: Number(k) };
    }
    const update = parseValidators(o.update, `${w}.update`, { accum: false });
    if (update.length === 0) fail(`${w}.update: expected at least one change`);
    return { update };
  });
}

async function proposerCmd(opts: { validators: string; times: string; changes?: string; each?: boolean }): Promise<void> {
  if (!/^\d+$/.test(opts.times) || Number(opts.times) > 1_000_000) fail(`--times: expected a non-negative integer (at most 1000000), got ${JSON.stringify(opts.times)}`);
  if (opts.each && !opts.changes) fail('--each: only with --changes');
  if (opts.changes) onlyOneStdin([opts.validators, opts.changes]);
  const times = Number(opts.times);
  const vals = parseValidators(readJsonInput(opts.validators, '--validators'), '--validators', { accum: true });
  const steps = opts.changes ? parseChanges(readJsonInput(opts.changes, '--changes')) : [];
  const withAccum = vals.filter((v) => v.accum !== undefined).length;
  if (withAccum !== 0 && withAccum !== vals.length) fail(`--validators: give "accum" for every validator (an existing set) or for none (genesis); ${withAccum} of ${vals.length} have it`);
  for (const [i, v] of vals.entries()) if (v.power === 0n) fail(`--validators[${i}].power: must be greater than 0`);
  const { ValidatorSet } = await import('../../protocol/validators/validator-set.ts');
  const { makeValidator } = await import('../../protocol/validators/validator.ts');
  let set;
  try {
    const list = vals.map((v) => makeValidator({ id: v.id, signer: v.signer, votingPower: v.power, proposerPriority: v.accum ?? 0n }));
    set = withAccum ? ValidatorSet.fromExisting(list) : ValidatorSet.fromValidators(list);
    if (times > 0) set.incrementProposerPriority(times);
  } catch (err) {
    fail(`--validators: ${(err as Error).message}`);
  }
  const view = (s: typeof set) => ({
    validators: s.validators().map((v) => ({ id: v.id, signer: v.signer, power: jsonInt(v.votingPower), accum: jsonInt(v.proposerPriority) })),
    proposer: s.getProposer()!.id,
  });
  const each: ReturnType<typeof view>[] = [];
  // Delivery's UpdateWithChangeSet: power 0 removes, a new signer enters at −1.125 × the new total
  // priority, then priorities are rescaled and centred; an increment moves the proposer k times.
  for (const [i, step] of steps.entries()) {
    try {
      if ('increment' in step) {
        if (step.increment > 0) set.incrementProposerPriority(step.increment);
      } else set.updateWithChangeSet(step.update.map((v) => makeValidator({ id: v.id, signer: v.signer, votingPower: v.power })));
    } catch (err) {
      fail(`--changes[${i}]: ${(err as Error).message}`);
    }
    if (opts.each) each.push(view(set));
  }
  printJson(opts.each ? each : view(set));
}

async function genesisCmd(opts: { genesis: string }): Promise<void> {
  const raw = readJsonInput(opts.genesis, '--genesis');
  const { parseGethGenesis, GethGenesisError } = await import('../../bttc/genesis/geth-genesis.ts');
  const { genesisBlockSummary } = await import('../../bttc/genesis/genesis-block.ts');
  const { bytesToHex } = await import('../../util/bytes.ts');
  let g;
  try {
    g = parseGethGenesis(raw, opts.genesis === '-' ? 'standard input' : opts.genesis);
  } catch (err) {
    if (err instanceof GethGenesisError) fail(err.message);
    throw err;
  }
  const s = await genesisBlockSummary(g);
  printJson({ hash: bytesToHex(s.hash), stateRoot: bytesToHex(s.stateRoot), chainId: jsonInt(s.chainId) });
}

function parseSignature(entry: unknown, w: string, hexToBytes: (h: string) => Uint8Array): { signer?: string; signature: Uint8Array } {
  if (typeof entry === 'string') {
    if (!/^0x[0-9a-fA-F]{130}$/.test(entry)) fail(`${w}: expected a 65-byte 0x-hex signature (r ‖ s ‖ v), got ${entry.length > 40 ? entry.slice(0, 37) + '...' : JSON.stringify(entry)}`);
    return { signature: hexToBytes(entry) };
  }
  const o = asObject(entry, w);
  const signer = o.signer === undefined ? undefined : hexField(o, 'signer', 20, w);
  let signature: Uint8Array;
  if (o.signature !== undefined) signature = hexToBytes(hexField(o, 'signature', 65, w));
  else if (o.r !== undefined || o.s !== undefined || o.v !== undefined) {
    const r = hexToBytes(hexField(o, 'r', 32, w));
    const s = hexToBytes(hexField(o, 's', 32, w));
    const v = uintField(o, 'v', w);
    if (v > 255n) fail(`${w}.v: expected 0, 1, 27 or 28, got ${v}`);
    signature = new Uint8Array(65);
    signature.set(r);
    signature.set(s, 32);
    signature[64] = Number(v);
  } else fail(`${w}: expected "signature" (65-byte hex) or "r", "s", "v"`);
  return signer ? { signer, signature } : { signature };
}

async function checkpointSigsCmd(opts: { checkpoint: string; sigs: string; validators: string }): Promise<void> {
  onlyOneStdin([opts.checkpoint, opts.sigs, opts.validators]);
  const cpRaw = readJsonInput(opts.checkpoint, '--checkpoint');
  const sigsRaw = readJsonInput(opts.sigs, '--sigs');
  const valsRaw = readJsonInput(opts.validators, '--validators');
  const { parseCheckpoint, checkpointSignBytes, voteHash } = await import('../../protocol/checkpoint/checkpoint.ts');
  const { SignatureSet } = await import('../../protocol/checkpoint/signature-set.ts');
  const { InlineVerifier } = await import('../../pools/inline.ts');
  const { hexToBytes, bytesToHex } = await import('../../util/bytes.ts');
  let cp;
  try {
    cp = parseCheckpoint(cpRaw, '--checkpoint');
  } catch (err) {
    fail((err as Error).message);
  }
  const validators = asArray(valsRaw, '--validators').map((entry, i) => {
    const w = `--validators[${i}]`;
    if (typeof entry === 'string') return hexField({ signer: entry }, 'signer', 20, w);
    return hexField(asObject(entry, w), 'signer', 20, w);
  });
  if (new Set(validators).size !== validators.length) fail('--validators: a signer appears more than once');
  const sigList = Array.isArray(sigsRaw) ? sigsRaw : fail('--sigs: expected a JSON array');
  const votes = sigList.map((e, i) => parseSignature(e, `--sigs[${i}]`, hexToBytes));
  const data = checkpointSignBytes(cp);
  const verifier = new InlineVerifier();
  const set = new SignatureSet({ voteHash: voteHash(data), validators }, { verifier });
  const outcomes = await set.add(votes);
  await verifier.close();
  printJson({
    voteHash: bytesToHex(set.voteHash),
    valid: set.signers(),
    invalid: outcomes.flatMap((o, i) => (o.ok ? [] : [{ index: i, ...(o.signer ? { signer: o.signer } : {}), reason: o.detail ? `${o.reason}: ${o.detail}` : o.reason }])),
    count: set.count,
    threshold: set.threshold,
    approved: set.approved,
    calldata: bytesToHex(set.submitCheckpointCalldata(data)),
  });
}

// ---- Live-network audits: claims read from public endpoints, recomputed from others ----
// Exit 0 on match, 1 on mismatch (after the JSON), 2 when the audit cannot be done (bad input,
// an endpoint unreachable or unreadable): the message names the flag or the URL.

const LIVE_EXIT_HELP = `
Exit status: 0 the claim matches, 1 it does not (the JSON is printed either way), 2 the audit could
not be done (bad input, or an endpoint unreachable or answering nonsense; the message names which).
Transient failures (no connection, timeouts, HTTP 429/5xx, rate-limit errors) are retried with backoff.`;

function intOption(raw: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** AuditError → exit 2 with its message; anything else is a bug and keeps its stack. */
async function asAudit<T>(run: () => Promise<T>): Promise<T> {
  const { AuditError } = await import('../../audit/interface.ts');
  try {
    return await run();
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** Progress on stderr once work has taken a second: at most a line a second, and the last one. */
function progressLine(label: string, unit: string): (done: number, total: number) => void {
  let last = Date.now();
  let shown = false;
  return (done, total) => {
    const now = Date.now();
    if (done === total ? !shown : now - last < 1000) return;
    last = now;
    shown = true;
    process.stderr.write(`${label}: ${done}/${total} ${unit}\n`);
  };
}

interface LiveCheckpointOpts {
  bttcRpc: string;
  rootRpc: string;
  rootChain: string;
  headerBlock: string;
  rootChainAddress?: string;
  batchSize: string;
  concurrency: string;
  retries: string;
}

async function liveCheckpointCmd(opts: LiveCheckpointOpts): Promise<void> {
  const { HttpEndpoint } = await import('../../audit/http.ts');
  const { JsonRpcEndpoint } = await import('../../audit/json-rpc.ts');
  const { BttcRpcBlocks } = await import('../../audit/bttc-blocks.ts');
  const { auditCheckpoint, parseHeaderBlockId } = await import('../../audit/checkpoint.ts');
  const rc = await import('../../audit/root-chain.ts');
  const attempts = intOption(opts.retries, '--retries', 0, 20) + 1;
  const batchSize = intOption(opts.batchSize, '--batch-size', 1, 1000);
  const concurrency = intOption(opts.concurrency, '--concurrency', 1, 64);
  const result = await asAudit(async () => {
    if (!(rc.ROOT_CHAINS as readonly string[]).includes(opts.rootChain)) fail(`--root-chain: expected one of ${rc.ROOT_CHAINS.join(', ')}, got ${JSON.stringify(opts.rootChain)}`);
    const chain = opts.rootChain as (typeof rc.ROOT_CHAINS)[number];
    const id = parseHeaderBlockId(opts.headerBlock);
    const address = opts.rootChainAddress ? rc.parseRootChainAddress(chain, opts.rootChainAddress) : rc.mainnetRootChainAddress(chain);
    if (!address) fail(`--root-chain-address: config/mainnet.json has no ${chain} RootChain; give its address`);
    const bttc = new BttcRpcBlocks(new JsonRpcEndpoint(new HttpEndpoint(opts.bttcRpc, { flag: '--bttc-rpc', attempts })), { batchSize, concurrency });
    const apiKey = chain === 'tron' ? process.env.TRON_PRO_API_KEY : undefined;
    const rootHttp = new HttpEndpoint(opts.rootRpc, { flag: '--root-rpc', attempts, ...(apiKey ? { headers: { 'TRON-PRO-API-KEY': apiKey } } : {}) });
    const root = chain === 'tron' ? new rc.TronRootChainReader(rootHttp, address) : new rc.EvmRootChainReader(new JsonRpcEndpoint(rootHttp), address, chain);
    return auditCheckpoint({ headerBlock: id, onProgress: progressLine('audit checkpoint', 'blocks') }, { root, bttc });
  });
  printJson(result);
  if (!result.match)
    throw new CliError(
      `header block ${result.headerBlock}: the RootChain holds root ${result.root}, but Bttc blocks ${result.start}..${result.end} as --bttc-rpc serves them give ${result.recomputed}`,
      1,
    );
}

interface LiveSpanOpts {
  deliveryRest: string;
  span: string;
  seed?: string;
  rootRpc?: string;
  seedBlock?: string;
  producerCount?: string;
  retries: string;
}

async function liveSpanCmd(opts: LiveSpanOpts): Promise<void> {
  const { HttpEndpoint } = await import('../../audit/http.ts');
  const { JsonRpcEndpoint } = await import('../../audit/json-rpc.ts');
  const { DeliveryRest } = await import('../../audit/delivery-rest.ts');
  const { evmBlockHash } = await import('../../audit/root-chain.ts');
  const { auditSpan } = await import('../../audit/span.ts');
  const attempts = intOption(opts.retries, '--retries', 0, 20) + 1;
  const spanId = intOption(opts.span, '--span', 0, Number.MAX_SAFE_INTEGER);
  const producerCount = opts.producerCount === undefined ? undefined : intOption(opts.producerCount, '--producer-count', 1, 10_000);
  if (opts.seed !== undefined && opts.rootRpc !== undefined) fail('--seed and --root-rpc: give one (the seed itself, or the chain to read it from)');
  if (opts.seedBlock !== undefined && opts.rootRpc === undefined) fail('--seed-block: only with --root-rpc');
  const seedBlock = opts.seedBlock === undefined ? undefined : intOption(opts.seedBlock, '--seed-block', 0, Number.MAX_SAFE_INTEGER);
  const result = await asAudit(async () => {
    const rest = new DeliveryRest(new HttpEndpoint(opts.deliveryRest, { flag: '--delivery-rest', attempts }));
    const seedRpc = opts.rootRpc === undefined ? null : new JsonRpcEndpoint(new HttpEndpoint(opts.rootRpc, { flag: '--root-rpc', attempts }));
    const seedSource = seedRpc ? (id: number) => evmBlockHash(seedRpc, seedBlock ?? id) : null;
    return auditSpan({ spanId, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(producerCount !== undefined ? { producerCount } : {}) }, { rest, seedSource });
  });
  printJson(result);
  if (!result.match)
    throw new CliError(`span ${result.span}: Delivery's selected_producers are not the producers recomputed from its validator set${result.seed ? ` and seed ${result.seed}` : ''}`, 1);
}

/** Commander's own errors (a missing or unknown option) exit 2 here, like any bad input: 1 means mismatch. */
function badInputExits2(err: CommanderError): never {
  throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      "recompute what the network claims (roots, producers, proposer, checkpoint signatures) from JSON input (FILE may be - for stdin), or a live network's checkpoints, spans, voting power, tallies and slashes from its endpoints (checkpoint, span, voting-power, tally, slash)",
    );
  audit
    .command('checkpoint-root')
    .description('checkpoint root hash over a block range: input [{"number","timestamp","txRoot","receiptsRoot"}]')
    .requiredOption('--headers <FILE>', 'JSON array of headers in block order')
    .action(checkpointRootCmd);
  audit.command('account-root').description('fee-dividend account root: input [{"address","fee"}] (any order)').requiredOption('--accounts <FILE>', 'JSON array of accounts').action(accountRootCmd);
  audit
    .command('producers')
    .description('span producer selection: input [{"id","signer","power"}] in eligible (signer) order')
    .requiredOption('--seed <HEX>', 'span seed (a root-chain block hash)')
    .requiredOption('--count <N>', 'producer count (11 on mainnet)')
    .requiredOption('--validators <FILE>', 'JSON array of eligible validators')
    .action(producersCmd);
  audit
    .command('proposer')
    .description('the validator set after T proposer-priority increments and then each step of --changes: input [{"id","signer","power","accum"?}]; without accum a genesis set is built first')
    .requiredOption('--validators <FILE>', 'JSON array of validators')
    .option('--times <T>', 'number of increments after loading (or after genesis)', '0')
    .option('--changes <FILE>', 'JSON array of steps applied after --times: {"update":[{"id","signer","power"}]} (power 0 removes; Delivery\'s UpdateWithChangeSet) or {"increment":k}')
    .option('--each', 'print the set after every step of --changes (an array) instead of only the last')
    .action(proposerCmd);
  audit
    .command('genesis')
    .description('the genesis block of a geth-format genesis file (BTTC\'s config/genesis/*-bttc.json): {"hash","stateRoot","chainId"}')
    .requiredOption('--genesis <FILE>', 'geth-format genesis JSON')
    .action(genesisCmd);
  audit
    .command('checkpoint-sigs')
    .description('verify a checkpoint signature set and build the submitCheckpoint calldata')
    .requiredOption('--checkpoint <FILE>', 'JSON {"proposer","start","end","rootHash","accountRootHash","borChainId","epoch"}')
    .requiredOption('--sigs <FILE>', 'JSON array of "0x<65-byte sig>" or {"signer"?,"signature"} or {"signer"?,"r","s","v"}')
    .requiredOption('--validators <FILE>', 'JSON array of current validator signers (strings or {"signer"})')
    .action(checkpointSigsCmd);
  audit
    .command('checkpoint')
    .description('a live checkpoint: the root a RootChain holds for a header block, recomputed from the Bttc blocks it covers: {"headerBlock","start","end","root","recomputed","match"}')
    .requiredOption('--bttc-rpc <URL>', 'a Bttc JSON-RPC endpoint (mainnet: chain 199) serving the blocks of the range')
    .requiredOption('--root-rpc <URL>', "the root chain: an Ethereum/BSC JSON-RPC, or a TRON full node's HTTP API (https://api.trongrid.io; TRON_PRO_API_KEY is sent when set)")
    .requiredOption('--root-chain <NAME>', 'tron, ethereum or bsc')
    .requiredOption('--header-block <ID>', 'the header block id: 10000, 20000, … (the k-th checkpoint on that chain is k×10000)')
    .option('--root-chain-address <ADDR>', "the RootChain contract (TRON: base58 T… or 41-hex too); default: the mainnet preset's for tron and ethereum, none for bsc")
    .option('--batch-size <N>', 'eth_getBlockByNumber calls per HTTP request', '100')
    .option('--concurrency <N>', 'HTTP requests in flight at once', '4')
    .option('--retries <N>', 'retries of a request after a transient failure', '4')
    .addHelpText('after', LIVE_EXIT_HELP)
    .exitOverride(badInputExits2)
    .action(liveCheckpointCmd);
  audit
    .command('span')
    .description('a live span: Delivery\'s selected producers recomputed from the span\'s validator set (and seed, when there is a draw): {"span","seed","producers","recomputed","match"}')
    .requiredOption('--delivery-rest <URL>', 'a Delivery REST endpoint (serves bor/span/{id})')
    .requiredOption('--span <ID>', 'the span id')
    .option('--seed <HEX>', "the span's seed (32-byte block hash); needed only when more validators are eligible than there are producers")
    .option('--root-rpc <URL>', 'instead of --seed: an Ethereum JSON-RPC to read the seed from (BTTC seeds span k with the hash of Ethereum block k)')
    .option('--seed-block <N>', 'with --root-rpc: the seed block when it is not the span id (a network restarted from a later genesis)')
    .option('--producer-count <N>', "producers per span; default: Delivery's bor/params producer_count (11 on mainnet)")
    .option('--retries <N>', 'retries of a request after a transient failure', '4')
    .addHelpText(
      'after',
      LIVE_EXIT_HELP + '\nSpans BTTC mainnet froze before Delivery height 375300 with more eligible validators than producers\nwere drawn by an older algorithm this command does not reproduce.',
    )
    .exitOverride(badInputExits2)
    .action(liveSpanCmd);
  registerVotingPower(audit);
  registerTally(audit);
  registerSlash(audit);
}
