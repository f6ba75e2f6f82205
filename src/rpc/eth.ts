/**
 * The eth namespace (plus net_version, web3_clientVersion and subscriptions) over an EthBackend.
 * Errors follow geth: unknown block → -32000 "header not found", revert → 3 "execution reverted: …"
 * with the revert data, bad arguments → -32602 naming the argument.
 */
import { randomBytes } from 'node:crypto';
import type { HeaderFields } from '../evm/interface.ts';
import { CallRevertedError } from '../evm/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { blockResolver, type BlockRef } from './blocks.ts';
import { EXECUTION_REVERTED, METHOD_NOT_FOUND, RpcError, SERVER_ERROR, invalidParams } from './errors.ts';
import { formatBlock, formatHeader, formatLog, formatReceipt, formatTx, hex, qty } from './format.ts';
import type { EthBackend, MethodRegistryApi, RpcContext } from './interface.ts';
import type { ChainEvents } from './events.ts';
import { newLogMatches, parseLogCriteria, queryLogs } from './logs.ts';
import * as p from './params.ts';
import { callArgs } from './call-backend.ts';
import { clientVersion } from './version.ts';

const ERROR_SELECTOR = '0x08c379a0';

/** "execution reverted: <reason>" when the data is Error(string), as geth formats it. */
export function revertMessage(data: Uint8Array): string {
  const h = bytesToHex(data);
  if (h.startsWith(ERROR_SELECTOR) && data.length >= 68) {
    try {
      const len = Number(BigInt('0x' + h.slice(10 + 64, 10 + 128)));
      const start = 10 + 128;
      const reason = Buffer.from(h.slice(start, start + len * 2), 'hex').toString('utf8');
      if (reason) return `execution reverted: ${reason}`;
    } catch {
      /* fall through */
    }
  }
  return 'execution reverted';
}

export function registerEth(reg: MethodRegistryApi, b: EthBackend, events?: ChainEvents): void {
  const chain = b.chain;

  const blocks = blockResolver(b);
  const { resolve, byNumber } = blocks;

  async function stateAt(tagArg: unknown, name: string): Promise<HeaderFields> {
    const r = await resolve(tagArg, name);
    if (!r) throw new RpcError(SERVER_ERROR, 'header not found');
    return r.header;
  }

  function gasCap(): bigint {
    return b.rpcGasCap ?? chain.head().header.gasLimit;
  }

  function refOf(h: HeaderFields) {
    return { stateRoot: h.stateRoot, number: h.number, time: h.time, gasLimit: h.gasLimit, coinbase: h.coinbase, difficulty: h.difficulty };
  }

  async function blockJson(r: BlockRef | null, full: boolean): Promise<unknown> {
    if (!r) return null;
    const body = await chain.getBody(r.hash);
    if (!body) return null;
    return formatBlock(r.header, body, full, await chain.getTd(r.hash));
  }

  async function receiptsOf(hash: Uint8Array, header: HeaderFields): Promise<Record<string, unknown>[] | null> {
    const body = await chain.getBody(hash);
    const receipts = await chain.getReceipts(hash);
    if (!body || !receipts) return null;
    let logIndex = 0;
    return receipts.map((r, i) => {
      const out = formatReceipt(r, body.txs[i]!, body.senders[i]!, hash, header.number, i, logIndex);
      logIndex += r.logs.length;
      return out;
    });
  }

  const r = (name: string, fn: (params: unknown[], ctx: RpcContext) => unknown) => reg.register(name, fn);

  r('web3_clientVersion', () => b.clientVersion ?? clientVersion());
  r('net_version', () => String(b.networkId ?? b.chainId));
  r('net_listening', () => true);
  r('eth_chainId', () => qty(b.chainId));
  r('eth_syncing', () => false);
  r('eth_accounts', () => []);
  r('eth_blockNumber', () => qty(chain.head().number));
  r('eth_gasPrice', async () => qty(await b.gasPrice()));
  // No London on BTTC: the whole price is the "tip"; ethers then sends legacy transactions.
  r('eth_maxPriorityFeePerGas', async () => qty(await b.gasPrice()));
  r('eth_feeHistory', async (params) => {
    p.requireParams(params, 2, 3, 'eth_feeHistory');
    const count = Number(p.quantity(typeof params[0] === 'number' ? qty(params[0]) : params[0], '0 (blockCount)'));
    if (count < 1 || count > 1024) throw invalidParams('blockCount must be between 1 and 1024');
    const newest = await resolve(params[1], '1 (newestBlock)');
    if (!newest) throw new RpcError(SERVER_ERROR, 'header not found');
    const percentiles = params[2] === undefined || params[2] === null ? null : (params[2] as unknown[]);
    const oldest = newest.header.number - BigInt(count) + 1n < 0n ? 0n : newest.header.number - BigInt(count) + 1n;
    const ratios: number[] = [];
    const rewards: string[][] = [];
    const price = qty(await b.gasPrice());
    for (let n = oldest; n <= newest.header.number; n++) {
      const h = (await byNumber(n))!.header;
      ratios.push(h.gasLimit === 0n ? 0 : Number(h.gasUsed) / Number(h.gasLimit));
      if (percentiles) rewards.push(percentiles.map(() => price));
    }
    const out: Record<string, unknown> = { oldestBlock: qty(oldest), baseFeePerGas: ratios.map(() => '0x0').concat('0x0'), gasUsedRatio: ratios };
    if (percentiles) out.reward = rewards;
    return out;
  });

  r('eth_getBalance', async (params) => {
    p.requireParams(params, 1, 2, 'eth_getBalance');
    const addr = p.address(params[0], '0 (address)');
    const h = await stateAt(params[1], '1 (block)');
    return qty((await b.executor.getAccount(h.stateRoot, addr))?.balance ?? 0n);
  });
  r('eth_getTransactionCount', async (params) => {
    p.requireParams(params, 1, 2, 'eth_getTransactionCount');
    const addr = p.address(params[0], '0 (address)');
    const h = await stateAt(params[1], '1 (block)');
    const stateNonce = (await b.executor.getAccount(h.stateRoot, addr))?.nonce ?? 0n;
    if (params[1] === 'pending' && b.txSink.pendingNonce) {
      // The pool's view may lag the head by a block (its accounts refresh after import): never below the state.
      const n = await b.txSink.pendingNonce(addr);
      if (n !== undefined && n > stateNonce) return qty(n);
    }
    return qty(stateNonce);
  });
  r('eth_getCode', async (params) => {
    p.requireParams(params, 1, 2, 'eth_getCode');
    const addr = p.address(params[0], '0 (address)');
    const h = await stateAt(params[1], '1 (block)');
    return hex(await b.executor.getCode(h.stateRoot, addr));
  });
  r('eth_getStorageAt', async (params) => {
    p.requireParams(params, 2, 3, 'eth_getStorageAt');
    const addr = p.address(params[0], '0 (address)');
    const slotQ = p.quantity(params[1], '1 (slot)');
    if (slotQ >= 1n << 256n) throw invalidParams('invalid argument 1 (slot): larger than 32 bytes');
    const slot = new Uint8Array(32);
    let v = slotQ;
    for (let i = 31; i >= 0; i--, v >>= 8n) slot[i] = Number(v & 0xffn);
    const h = await stateAt(params[2], '2 (block)');
    return hex(await b.executor.getStorage(h.stateRoot, addr, slot));
  });

  r('eth_call', async (params) => {
    p.requireParams(params, 1, 3, 'eth_call');
    const args = callArgs(params[0]);
    const h = await stateAt(params[1], '1 (block)');
    const cap = gasCap();
    const res = await b.executor.call({ ...args, gasLimit: args.gasLimit === undefined || args.gasLimit > cap ? cap : args.gasLimit }, refOf(h));
    if (res.success) return hex(res.returnValue);
    if (res.error === 'revert') throw new RpcError(EXECUTION_REVERTED, revertMessage(res.returnValue), hex(res.returnValue));
    throw new RpcError(SERVER_ERROR, res.error ?? 'execution failed');
  });
  r('eth_estimateGas', async (params) => {
    p.requireParams(params, 1, 2, 'eth_estimateGas');
    const args = callArgs(params[0]);
    const h = await stateAt(params[1], '1 (block)');
    const cap = gasCap();
    try {
      return qty(await b.executor.estimateGas({ ...args, gasLimit: args.gasLimit === undefined || args.gasLimit > cap ? cap : args.gasLimit }, refOf(h)));
    } catch (e) {
      if (e instanceof CallRevertedError) throw new RpcError(EXECUTION_REVERTED, revertMessage(e.data), hex(e.data));
      throw new RpcError(SERVER_ERROR, (e as Error).message);
    }
  });
  r('eth_sendRawTransaction', async (params) => {
    p.requireParams(params, 1, 1, 'eth_sendRawTransaction');
    const raw = p.data(params[0], '0 (transaction)');
    if (raw.length === 0) throw invalidParams('invalid argument 0: empty transaction');
    try {
      return hex(await b.txSink.sendRawTransaction(raw));
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(SERVER_ERROR, (e as Error).message);
    }
  });

  r('eth_getBlockByNumber', async (params) => {
    p.requireParams(params, 1, 2, 'eth_getBlockByNumber');
    return blockJson(await resolve(params[0], '0 (block)'), p.bool(params[1], '1 (fullTransactions)', false));
  });
  r('eth_getBlockByHash', async (params) => {
    p.requireParams(params, 1, 2, 'eth_getBlockByHash');
    const hash = p.hash32(params[0], '0 (hash)');
    const header = await chain.getHeader(hash);
    return blockJson(header ? { hash, header } : null, p.bool(params[1], '1 (fullTransactions)', false));
  });
  r('eth_getBlockTransactionCountByNumber', async (params) => {
    const res = await resolve(params[0], '0 (block)');
    return res ? qty((await chain.getBody(res.hash))?.txs.length ?? 0) : null;
  });
  r('eth_getBlockTransactionCountByHash', async (params) => {
    const hash = p.hash32(params[0], '0 (hash)');
    const body = await chain.getBody(hash);
    return body ? qty(body.txs.length) : null;
  });
  r('eth_getTransactionByHash', async (params) => {
    p.requireParams(params, 1, 1, 'eth_getTransactionByHash');
    const hash = p.hash32(params[0], '0 (hash)');
    const t = await chain.getTransaction(hash);
    if (t) return formatTx(t.raw, t.sender, t);
    const pending = b.txSink.pendingTransaction?.(hash);
    return pending ? formatTx(pending.raw, pending.sender, null) : null;
  });
  r('eth_getTransactionReceipt', async (params) => {
    p.requireParams(params, 1, 1, 'eth_getTransactionReceipt');
    const loc = await chain.getTxLocation(p.hash32(params[0], '0 (hash)'));
    if (!loc) return null;
    const header = await chain.getHeader(loc.blockHash);
    if (!header) return null;
    return (await receiptsOf(loc.blockHash, header))?.[loc.index] ?? null;
  });
  r('eth_getBlockReceipts', async (params) => {
    p.requireParams(params, 1, 1, 'eth_getBlockReceipts');
    const res = await resolve(params[0], '0 (block)');
    return res ? receiptsOf(res.hash, res.header) : null;
  });
  r('eth_getLogs', async (params) => {
    p.requireParams(params, 1, 1, 'eth_getLogs');
    return (await queryLogs(chain, blocks, parseLogCriteria(params[0]))).map(formatLog);
  });

  // Subscriptions (websocket only).
  const subs = new Map<string, () => void>();
  r('eth_subscribe', (params, ctx) => {
    const conn = ctx.connection;
    if (!conn || !events) throw new RpcError(METHOD_NOT_FOUND, 'notifications not supported');
    const kind = params[0];
    const id = '0x' + randomBytes(16).toString('hex');
    const send = (result: unknown) => {
      if (!conn.notify('eth_subscription', { subscription: id, result })) unsubscribe();
    };
    let offs: (() => void)[] = [];
    const unsubscribe = () => {
      for (const o of offs) o();
      offs = [];
      subs.delete(id);
    };
    if (kind === 'newHeads') {
      offs.push(events.onHead((ev) => send(formatHeader(ev.header))));
    } else if (kind === 'logs') {
      const c = parseLogCriteria(params[1], '1 (filter)');
      offs.push(events.onLogs((logs) => logs.filter((l) => newLogMatches(l, c)).forEach((l) => send(formatLog(l)))));
      offs.push(events.onRemovedLogs((logs) => logs.filter((l) => newLogMatches(l, c)).forEach((l) => send(formatLog(l)))));
    } else if (kind === 'newPendingTransactions') {
      // geth's optional second parameter `true` sends whole transactions instead of hashes.
      const full = p.bool(params[1], '1 (fullTx)', false);
      offs.push(events.onPendingTxs((txs) => txs.forEach((t) => send(full ? formatTx(t.raw, t.sender, null) : hex(t.hash)))));
    } else if (kind === 'syncing') {
      throw invalidParams('subscription syncing is not supported');
    } else {
      throw invalidParams(`invalid argument 0: unknown subscription ${p.show(kind)} (newHeads, logs, newPendingTransactions)`);
    }
    subs.set(id, unsubscribe);
    conn.onClose(unsubscribe);
    return id;
  });
  r('eth_unsubscribe', (params) => {
    const id = params[0];
    if (typeof id !== 'string') throw invalidParams('invalid argument 0: subscription id expected');
    const off = subs.get(id);
    if (!off) return false;
    off();
    return true;
  });
}
