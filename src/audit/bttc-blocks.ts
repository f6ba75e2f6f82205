/**
 * Bttc blocks over JSON-RPC for the checkpoint audit: `eth_getBlockByNumber(n, false)` for each block
 * of a range, in batches of `batchSize` calls per HTTP request with at most `concurrency` requests in
 * flight (a checkpoint is up to 1024 blocks on mainnet: 11 requests at the defaults, not 1024).
 * Each answer is checked: the block asked for, 32-byte roots, a timestamp.
 */
import type { CheckpointHeader } from '../merkle/checkpoint.ts';
import { hexToBytes } from '../util/bytes.ts';
import { AuditError, type BttcHeaderSource, type Progress } from './interface.ts';
import type { JsonRpcEndpoint } from './json-rpc.ts';

export interface BttcBlocksOptions {
  /** Calls per HTTP request (default 100). */
  batchSize?: number;
  /** HTTP requests in flight at once (default 4). */
  concurrency?: number;
}

const QUANTITY = /^0x(?:0|[1-9a-f][0-9a-f]*)$/i;
const HASH = /^0x[0-9a-fA-F]{64}$/;

function quantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !QUANTITY.test(v)) throw new AuditError(`${what}: expected a hex quantity, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

function hash(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !HASH.test(v)) throw new AuditError(`${what}: expected 32 bytes of 0x hex, got ${JSON.stringify(v)}`);
  return hexToBytes(v);
}

/** An `eth_getBlockByNumber` answer → the fields the checkpoint root reads; `where` names the source. */
export function headerFromRpcBlock(block: unknown, n: number, where: string): CheckpointHeader {
  if (block === null || block === undefined) throw new AuditError(`${where} has no Bttc block ${n} (not produced yet, or not served by this node)`);
  if (typeof block !== 'object' || Array.isArray(block)) throw new AuditError(`${where}: block ${n} is not a JSON object`);
  const b = block as Record<string, unknown>;
  const what = `${where}: block ${n}`;
  const number = quantity(b.number, `${what} number`);
  if (number !== BigInt(n)) throw new AuditError(`${where} answered block ${number} when asked for block ${n}`);
  return { number, timestamp: quantity(b.timestamp, `${what} timestamp`), txRoot: hash(b.transactionsRoot, `${what} transactionsRoot`), receiptsRoot: hash(b.receiptsRoot, `${what} receiptsRoot`) };
}

export class BttcRpcBlocks implements BttcHeaderSource {
  private readonly rpc: JsonRpcEndpoint;
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(rpc: JsonRpcEndpoint, opts: BttcBlocksOptions = {}) {
    this.rpc = rpc;
    this.batchSize = opts.batchSize ?? 100;
    this.concurrency = opts.concurrency ?? 4;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new AuditError(`--batch-size: expected a positive integer, got ${this.batchSize}`);
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) throw new AuditError(`--concurrency: expected a positive integer, got ${this.concurrency}`);
  }

  get url(): string {
    return this.rpc.url;
  }

  async chainId(): Promise<bigint> {
    return quantity(await this.rpc.call('eth_chainId'), `${this.rpc.http.name}: eth_chainId`);
  }

  async headers(start: number, end: number, onProgress?: Progress): Promise<CheckpointHeader[]> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new RangeError(`bad block range [${start}, ${end}]`);
    const total = end - start + 1;
    const out: CheckpointHeader[] = new Array(total);
    const chunks: [number, number][] = [];
    for (let a = start; a <= end; a += this.batchSize) chunks.push([a, Math.min(end, a + this.batchSize - 1)]);
    let next = 0;
    let done = 0;
    let failed = false;
    // A fixed pool of workers taking the next chunk: never more than `concurrency` requests in flight.
    const worker = async (): Promise<void> => {
      try {
        while (!failed && next < chunks.length) {
          const [a, b] = chunks[next++]!;
          const calls = [];
          for (let n = a; n <= b; n++) calls.push({ method: 'eth_getBlockByNumber', params: ['0x' + n.toString(16), false] });
          const blocks = await this.rpc.batch(calls);
          for (const [k, block] of blocks.entries()) out[a + k - start] = headerFromRpcBlock(block, a + k, this.rpc.http.name);
          done += b - a + 1;
          onProgress?.(done, total);
        }
      } catch (err) {
        failed = true; // the other workers stop at their next chunk
        throw err;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
    return out;
  }
}
