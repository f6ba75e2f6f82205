/**
 * The watcher's two reads (eth_blockNumber, eth_getLogs) as plain JSON-RPC over one keep-alive
 * HTTP agent. Every validator polls its root chains once a second; through ethers' provider each
 * poll (FetchRequest, the provider's request queue and result formatting, Log objects) was ≈ 14 %
 * of an idle validator's main thread. Writes, calls and receipts still go through ethers.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RootLog } from './interface.ts';

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex: string;
  transactionHash: string;
}

export class LightRpcError extends Error {}

export class LightRpc {
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly send: typeof httpRequest;
  private id = 0;

  constructor(url: string, timeoutMs: number) {
    this.url = new URL(url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new LightRpcError(`root chain RPC ${url}: unsupported protocol ${this.url.protocol}`);
    this.timeoutMs = timeoutMs;
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new Agent({ keepAlive: true, maxSockets: 2 });
    this.send = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /** One JSON-RPC call; an HTTP status, a JSON-RPC error or a timeout is an error naming the method and URL. */
  call<T>(method: string, params: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params });
    const where = `root chain RPC ${this.url.origin} ${method}`;
    return new Promise<T>((resolve, reject) => {
      const req = this.send(
        this.url,
        { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new LightRpcError(`${where}: ${err.message}`)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new LightRpcError(`${where}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            let j: { result?: T; error?: { code?: number; message?: string } };
            try {
              j = JSON.parse(text) as typeof j;
            } catch {
              return reject(new LightRpcError(`${where}: the answer is not JSON: ${text.slice(0, 200)}`));
            }
            if (j.error) return reject(new LightRpcError(`${where}: ${j.error.message ?? 'error'} (code ${j.error.code ?? '?'})`));
            if (!('result' in j)) return reject(new LightRpcError(`${where}: the answer has neither result nor error`));
            resolve(j.result as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new LightRpcError(`${where}: ${err.message}`)));
      req.end(body);
    });
  }

  async blockNumber(): Promise<number> {
    return quantity(await this.call<string>('eth_blockNumber', []), 'eth_blockNumber');
  }

  /** Logs of `addresses` in [fromBlock, toBlock], in the RootLog form, ordered by (blockNumber, logIndex). */
  async getLogs(fromBlock: number, toBlock: number, addresses: string[]): Promise<RootLog[]> {
    const raw = await this.call<RpcLog[]>('eth_getLogs', [{ fromBlock: hexQuantity(fromBlock), toBlock: hexQuantity(toBlock), address: addresses }]);
    if (!Array.isArray(raw)) throw new LightRpcError(`root chain RPC ${this.url.origin} eth_getLogs: result is not an array`);
    return raw
      .map((l) => ({
        address: l.address.toLowerCase(),
        topics: [...l.topics],
        data: l.data,
        blockNumber: quantity(l.blockNumber, 'eth_getLogs blockNumber'),
        logIndex: quantity(l.logIndex, 'eth_getLogs logIndex'),
        txHash: l.transactionHash,
      }))
      .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  close(): void {
    this.agent.destroy();
  }
}

function hexQuantity(n: number): string {
  return `0x${n.toString(16)}`;
}

function quantity(v: unknown, what: string): number {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) throw new LightRpcError(`root chain RPC ${what}: not a hex quantity: ${JSON.stringify(v)}`);
  const n = Number.parseInt(v.slice(2), 16);
  if (!Number.isSafeInteger(n)) throw new LightRpcError(`root chain RPC ${what}: ${v} is past 2^53`);
  return n;
}
