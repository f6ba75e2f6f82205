/**
 * `audit voting-power`: every account's voting power at a root-chain block, recomputed from
 * StakeVotes' `VotesMoved` logs alone (issue 16). Each log says: `amount` units of `account` moved
 * from `fromDelegatee` (0x0 when created) to `toDelegatee` (0x0 when destroyed) at `blockNumber`, so
 * the power of an address at block N is what moved to it minus what moved from it in logs up to N,
 * and the total is what was created minus what was destroyed. No contract state is read for the
 * recomputation; the StakeVotes address is asked of the StakeManager once (`stakeVotes()`), and with
 * `--check` the contract's own `getPastVotes`/`getPastTotalSupply` are compared with it.
 *
 * Logs are fetched with eth_getLogs over block ranges (several in flight) sized to the history's
 * density; a range the server refuses for its size (too many logs, too wide) is split in halves.
 */
import { Interface } from 'ethers';
import { AuditError, type Progress } from './interface.ts';
import type { JsonRpcEndpoint } from './json-rpc.ts';

const ABI = new Interface([
  'event VotesMoved(address indexed account, address indexed fromDelegatee, address indexed toDelegatee, uint256 amount, uint256 blockNumber)',
  'function stakeVotes() view returns (address)',
  'function getPastVotes(address account, uint256 timepoint) view returns (uint256)',
  'function getPastTotalSupply(uint256 timepoint) view returns (uint256)',
]);
const TOPIC = ABI.getEvent('VotesMoved')!.topicHash;
const ZERO = '0x0000000000000000000000000000000000000000';

/** One VotesMoved log, decoded. Addresses are lower-case 0x hex; 0x0 for "created"/"destroyed". */
export interface VotesMove {
  account: string;
  from: string;
  to: string;
  amount: bigint;
  block: bigint;
}

/** A log as eth_getLogs returns it (only the fields used here). */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex?: string;
  removed?: boolean;
}

export interface VotingPower {
  block: bigint;
  total: bigint;
  /** Every address whose power is not zero at `block` (and any address asked for). */
  accounts: Map<string, bigint>;
  /** Every address any log names as a delegatee up to `block` (checked by --check, zero or not). */
  touched: Set<string>;
}

/** topic0 of VotesMoved: keccak256("VotesMoved(address,address,address,uint256,uint256)"). */
export function votesMovedTopic(): string {
  return TOPIC;
}

const HEX_WORD = /^0x[0-9a-fA-F]{64}$/;

/** Decodes a VotesMoved log by hand (three topics, two data words): fast enough for 10^5 logs a second. */
export function decodeVotesMoved(log: RpcLog, where = 'log'): VotesMove {
  const t = log.topics;
  if (t.length !== 4 || t[0]!.toLowerCase() !== TOPIC) throw new AuditError(`${where}: not a VotesMoved log (topic0 ${t[0] ?? 'missing'})`);
  for (let i = 1; i < 4; i++) if (!HEX_WORD.test(t[i]!)) throw new AuditError(`${where}: topic ${i} is not a 32-byte word`);
  if (typeof log.data !== 'string' || log.data.length !== 2 + 128) throw new AuditError(`${where}: data must be two 32-byte words`);
  const amount = BigInt('0x' + log.data.slice(2, 66));
  const block = BigInt('0x' + log.data.slice(66, 130));
  const logBlock = BigInt(log.blockNumber);
  if (block !== logBlock) throw new AuditError(`${where}: blockNumber ${block} in the event, but the log is in block ${logBlock}`);
  return { account: '0x' + t[1]!.slice(26).toLowerCase(), from: '0x' + t[2]!.slice(26).toLowerCase(), to: '0x' + t[3]!.slice(26).toLowerCase(), amount, block };
}

/**
 * Power of every address at `block` from moves in log order. Moves after `block` are ignored. A move
 * that would take an address below zero, or destroy more than exists, means the logs are not a
 * StakeVotes history: an AuditError naming it.
 */
export function recomputeVotingPower(moves: Iterable<VotesMove>, block: bigint): VotingPower {
  const power = new Map<string, bigint>();
  const touched = new Set<string>();
  let total = 0n;
  let i = 0;
  for (const m of moves) {
    i++;
    if (m.block > block) continue;
    if (m.from === ZERO) total += m.amount;
    else {
      const left = (power.get(m.from) ?? 0n) - m.amount;
      if (left < 0n) throw new AuditError(`VotesMoved #${i} (block ${m.block}): ${m.from} would have negative power (${left})`);
      power.set(m.from, left);
      touched.add(m.from);
    }
    if (m.to === ZERO) {
      total -= m.amount;
      if (total < 0n) throw new AuditError(`VotesMoved #${i} (block ${m.block}): the total would be negative`);
    } else {
      power.set(m.to, (power.get(m.to) ?? 0n) + m.amount);
      touched.add(m.to);
    }
  }
  const accounts = new Map<string, bigint>();
  for (const [a, p] of power) if (p !== 0n) accounts.set(a, p);
  return { block, total, accounts, touched };
}

/** The printed form: `{"block","total","accounts":{addr: power}}`, decimal strings, accounts sorted. */
export function votingPowerJson(vp: VotingPower, onlyAccount?: string): { block: string; total: string; accounts: Record<string, string> } {
  const accounts: Record<string, string> = {};
  if (onlyAccount !== undefined) accounts[onlyAccount] = (vp.accounts.get(onlyAccount) ?? 0n).toString();
  else for (const a of [...vp.accounts.keys()].sort()) accounts[a] = vp.accounts.get(a)!.toString();
  return { block: vp.block.toString(), total: vp.total.toString(), accounts };
}

export interface FetchOptions {
  /** Blocks in the first eth_getLogs request; later ones adapt to how many logs a block holds. */
  rangeSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  onProgress?: Progress;
}

/** Logs per request the range size aims at: well under the usual 10,000-log caps. */
const TARGET_LOGS = 4000;
const MAX_RANGE = 1_000_000n;

/** A server refusing a query for its size (ours: "more than 10000 logs", geth-likes: "query returned more than", "block range"). */
function isTooLarge(message: string): boolean {
  return /more than|too many|too large|limit|range|exceed/i.test(message);
}

/**
 * VotesMoved logs of `address` in [fromBlock, toBlock], in chain order. Ranges are handed out from
 * a shared cursor to `concurrency` workers; each answer resizes the next ranges so that a request
 * carries about TARGET_LOGS logs (dense history: smaller ranges, sparse: larger), and a range the
 * server refuses for its size is split in halves.
 */
export async function fetchVotesMoved(rpc: JsonRpcEndpoint, address: string, fromBlock: bigint, toBlock: bigint, opts: FetchOptions = {}): Promise<VotesMove[]> {
  let size = BigInt(Math.max(1, opts.rangeSize ?? 5000));
  let cursor = fromBlock;
  const chunks: { from: bigint; moves: VotesMove[] }[] = [];
  const totalBlocks = Number(toBlock - fromBlock + 1n);
  let doneBlocks = 0;
  const fetchRange = async (from: bigint, to: bigint): Promise<VotesMove[]> => {
    let logs: RpcLog[];
    try {
      logs = await rpc.call<RpcLog[]>('eth_getLogs', [{ address, topics: [TOPIC], fromBlock: '0x' + from.toString(16), toBlock: '0x' + to.toString(16) }]);
    } catch (err) {
      if (err instanceof AuditError && from < to && isTooLarge(err.message)) {
        const mid = from + (to - from) / 2n;
        size = mid - from + 1n;
        return [...(await fetchRange(from, mid)), ...(await fetchRange(mid + 1n, to))];
      }
      throw err;
    }
    if (!Array.isArray(logs)) throw new AuditError(`${rpc.http.name}: eth_getLogs answered ${typeof logs}, not an array`);
    const moves: VotesMove[] = new Array(logs.length);
    for (let i = 0; i < logs.length; i++) {
      const l = logs[i]!;
      if (l.removed) throw new AuditError(`${rpc.http.name}: eth_getLogs returned a removed log in block ${l.blockNumber}`);
      moves[i] = decodeVotesMoved(l, `${rpc.http.name}: log ${l.logIndex ?? i} of block ${BigInt(l.blockNumber)}`);
    }
    // Aim the next ranges at TARGET_LOGS logs each.
    const span = to - from + 1n;
    const next = logs.length === 0 ? span * 4n : (span * BigInt(TARGET_LOGS)) / BigInt(logs.length);
    size = next < 1n ? 1n : next > MAX_RANGE ? MAX_RANGE : next;
    return moves;
  };
  const worker = async () => {
    while (cursor <= toBlock) {
      const from = cursor;
      const to = from + size - 1n < toBlock ? from + size - 1n : toBlock;
      cursor = to + 1n;
      chunks.push({ from, moves: await fetchRange(from, to) });
      doneBlocks += Number(to - from + 1n);
      opts.onProgress?.(doneBlocks, totalBlocks);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  chunks.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return chunks.flatMap((c) => c.moves);
}

export interface VotingPowerAuditInput {
  stakeManager: string;
  block: bigint;
  account?: string;
  check: boolean;
  /** First block to scan (the StakeVotes deployment block or earlier); default 0. */
  fromBlock?: bigint;
  fetch?: FetchOptions;
  /** Called with the number of getPastVotes answers compared so far. */
  onCheckProgress?: Progress;
}

export interface VotingPowerAuditResult {
  stakeVotes: string;
  power: VotingPower;
  events: number;
  /** With --check: each difference, "what: recomputed X, contract Y". */
  differences: string[];
}

async function ethCall(rpc: JsonRpcEndpoint, to: string, data: string, block: string): Promise<string> {
  const res = await rpc.call<string>('eth_call', [{ to, data }, block]);
  if (typeof res !== 'string' || !/^0x[0-9a-fA-F]*$/.test(res)) throw new AuditError(`${rpc.http.name}: eth_call answered ${JSON.stringify(res)}`);
  return res;
}

export async function auditVotingPower(input: VotingPowerAuditInput, deps: { rpc: JsonRpcEndpoint }): Promise<VotingPowerAuditResult> {
  const { rpc } = deps;
  const head = BigInt(await rpc.call<string>('eth_blockNumber'));
  if (input.block > head) throw new AuditError(`--block: ${input.block} is beyond the chain head (${head})`);
  const smCode = await rpc.call<string>('eth_getCode', [input.stakeManager, 'latest']);
  if (typeof smCode !== 'string' || smCode === '0x') throw new AuditError(`--stake-manager: no contract at ${input.stakeManager}`);
  let stakeVotes: string;
  try {
    stakeVotes = (ABI.decodeFunctionResult('stakeVotes', await ethCall(rpc, input.stakeManager, ABI.encodeFunctionData('stakeVotes'), 'latest'))[0] as string).toLowerCase();
  } catch (err) {
    if (err instanceof AuditError) throw new AuditError(`--stake-manager ${input.stakeManager}: stakeVotes() failed (not a bttc-node StakeManager?): ${err.message}`);
    throw new AuditError(`--stake-manager ${input.stakeManager}: stakeVotes() answered no address (not a bttc-node StakeManager?)`);
  }
  const moves = await fetchVotesMoved(rpc, stakeVotes, input.fromBlock ?? 0n, input.block, input.fetch);
  const power = recomputeVotingPower(moves, input.block);
  const differences: string[] = [];
  if (input.check) {
    // getPastVotes answers only for blocks before the one the call runs in.
    if (input.block >= head) throw new AuditError(`--check: --block ${input.block} must be below the chain head ${head} (getPastVotes answers past blocks only)`);
    const at = 'latest';
    const accounts = [...new Set([...power.touched, ...(input.account ? [input.account] : [])])].sort();
    const calls = accounts.map((a) => ({ method: 'eth_call', params: [{ to: stakeVotes, data: ABI.encodeFunctionData('getPastVotes', [a, input.block]) }, at] }));
    calls.push({ method: 'eth_call', params: [{ to: stakeVotes, data: ABI.encodeFunctionData('getPastTotalSupply', [input.block]) }, at] });
    const answers: unknown[] = [];
    const BATCH = 200;
    for (let i = 0; i < calls.length; i += BATCH) {
      answers.push(...(await rpc.batch(calls.slice(i, i + BATCH))));
      input.onCheckProgress?.(Math.min(i + BATCH, calls.length), calls.length);
    }
    const word = (v: unknown, what: string): bigint => {
      if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new AuditError(`${rpc.http.name}: ${what} answered ${JSON.stringify(v)}`);
      return BigInt(v);
    };
    accounts.forEach((a, i) => {
      const onChain = word(answers[i], `getPastVotes(${a}, ${input.block})`);
      const mine = power.accounts.get(a) ?? 0n;
      if (onChain !== mine) differences.push(`${a}: recomputed ${mine}, getPastVotes ${onChain}`);
    });
    const totalOnChain = word(answers[accounts.length], `getPastTotalSupply(${input.block})`);
    if (totalOnChain !== power.total) differences.push(`total: recomputed ${power.total}, getPastTotalSupply ${totalOnChain}`);
  }
  return { stakeVotes, power, events: moves.length, differences };
}
