/**
 * Log criteria as eth_getLogs, eth_newFilter and the "logs" subscription take them, parsed once
 * (bad input is -32602 when the filter is installed, not at its first poll), and the range query
 * eth_getLogs and eth_getFilterLogs share.
 */
import type { ChainStoreApi, LocatedLog, LogFilter } from '../chain/interface.ts';
import { ChainStoreError } from '../chain/interface.ts';
import { equalBytes } from '../util/bytes.ts';
import type { BlockResolver } from './blocks.ts';
import { LIMIT_EXCEEDED, RpcError, SERVER_ERROR, invalidParams } from './errors.ts';
import * as p from './params.ts';

export type TopicFilter = (Uint8Array[] | null)[];

export interface LogCriteria {
  /** A single block by hash (exclusive with fromBlock/toBlock). */
  blockHash?: Uint8Array;
  /** The block tags as given (resolved at query time: "latest" moves). */
  fromBlock?: unknown;
  toBlock?: unknown;
  /** Explicit block numbers, for matching new logs as geth does (tags do not bound new logs). */
  fromNumber?: bigint;
  toNumber?: bigint;
  addresses: Uint8Array[];
  topics: TopicFilter;
}

export function topicFilter(v: unknown): TopicFilter {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidParams(`invalid argument: topics must be an array, got ${p.show(v)}`);
  if (v.length > 4) throw invalidParams('invalid argument: at most 4 topic positions');
  return v.map((t, i) => (t === null ? null : Array.isArray(t) ? t.map((x) => p.hash32(x, `topics[${i}]`)) : [p.hash32(t, `topics[${i}]`)]));
}

export function addressFilter(v: unknown): Uint8Array[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map((a, i) => p.address(a, `address[${i}]`)) : [p.address(v, 'address')];
}

export function logMatches(l: LocatedLog, addrs: Uint8Array[], topics: TopicFilter): boolean {
  if (addrs.length && !addrs.some((a) => equalBytes(a, l.address))) return false;
  return topics.every((t, i) => t === null || t.length === 0 || (l.topics[i] !== undefined && t.some((x) => equalBytes(x, l.topics[i]!))));
}

function explicitNumber(v: unknown, name: string): bigint | undefined {
  const tag = p.blockTag(v, name);
  return tag.kind === 'number' ? tag.number : undefined;
}

export function parseLogCriteria(v: unknown, name = '0 (filter)'): LogCriteria {
  const f = v === undefined || v === null ? {} : p.object(v, name);
  const c: LogCriteria = { addresses: addressFilter(f.address), topics: topicFilter(f.topics) };
  if (f.blockHash !== undefined && f.blockHash !== null) {
    if ((f.fromBlock !== undefined && f.fromBlock !== null) || (f.toBlock !== undefined && f.toBlock !== null))
      throw invalidParams(`invalid argument ${name}: blockHash cannot be combined with fromBlock/toBlock`);
    c.blockHash = p.hash32(f.blockHash, 'blockHash');
    return c;
  }
  if (f.fromBlock !== undefined && f.fromBlock !== null) {
    c.fromBlock = f.fromBlock;
    const n = explicitNumber(f.fromBlock, 'fromBlock');
    if (n !== undefined) c.fromNumber = n;
  }
  if (f.toBlock !== undefined && f.toBlock !== null) {
    c.toBlock = f.toBlock;
    const n = explicitNumber(f.toBlock, 'toBlock');
    if (n !== undefined) c.toNumber = n;
  }
  if (c.fromNumber !== undefined && c.toNumber !== undefined && c.fromNumber > c.toNumber) throw invalidParams('invalid block range: fromBlock is after toBlock');
  return c;
}

/** Whether a new log falls in the criteria (address, topics, and explicit block numbers only). */
export function newLogMatches(l: LocatedLog, c: LogCriteria): boolean {
  if (c.blockHash && !equalBytes(c.blockHash, l.blockHash)) return false;
  if (c.fromNumber !== undefined && l.blockNumber < c.fromNumber) return false;
  if (c.toNumber !== undefined && l.blockNumber > c.toNumber) return false;
  return logMatches(l, c.addresses, c.topics);
}

/** The stored logs the criteria select; the chain store's range and result limits become -32005. */
export async function queryLogs(chain: Pick<ChainStoreApi, 'head' | 'hasBlock' | 'getBlockLogs' | 'getLogs'>, blocks: BlockResolver, c: LogCriteria): Promise<LocatedLog[]> {
  try {
    if (c.blockHash) {
      if (!(await chain.hasBlock(c.blockHash))) throw new RpcError(SERVER_ERROR, 'unknown block');
      return (await chain.getBlockLogs(c.blockHash)).filter((l) => logMatches(l, c.addresses, c.topics));
    }
    const from = await blocks.resolve(c.fromBlock ?? 'latest', 'fromBlock');
    const to = await blocks.resolve(c.toBlock ?? 'latest', 'toBlock');
    const head = chain.head().number;
    const fromN = from?.header.number ?? head + 1n;
    const toN = to?.header.number ?? head;
    if (fromN > toN && from && to) throw invalidParams('invalid block range: fromBlock is after toBlock');
    const filter: LogFilter = { fromBlock: fromN, toBlock: toN, addresses: c.addresses, topics: c.topics };
    return await chain.getLogs(filter);
  } catch (e) {
    if (e instanceof ChainStoreError) throw new RpcError(LIMIT_EXCEEDED, e.message);
    throw e;
  }
}
