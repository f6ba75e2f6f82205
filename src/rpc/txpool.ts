/**
 * The txpool namespace in geth's shapes: txpool_status counts as hex quantities, txpool_content and
 * txpool_inspect keyed by sender (EIP-55 checksummed, as geth's `account.Hex()`) then by decimal
 * nonce, txpool_contentFrom for one sender. "pending" is what can execute at the head (nonces
 * contiguous from the account nonce), "queued" waits for an earlier nonce.
 */
import type { PoolTx } from '../bttc/txpool/interface.ts';
import { toChecksumAddress } from '../crypto/address.ts';
import { equalBytes } from '../util/bytes.ts';
import { formatTx, qty } from './format.ts';
import type { MethodRegistryApi } from './interface.ts';
import * as p from './params.ts';

/** What the namespace reads of the pool (TxPool implements it). */
export interface TxPoolView {
  stats(): { pending: number; queued: number };
  content(): { sender: Uint8Array; pending: PoolTx[]; queued: PoolTx[] }[];
}

type ByNonce<T> = Record<string, T>;

/** geth: "0xTo…: 1 wei + 21000 gas × 1000000000 wei" ("contract creation: …" without a recipient). */
export function inspectLine(tx: Pick<PoolTx, 'to' | 'value' | 'gasLimit' | 'gasPrice'>): string {
  const head = tx.to ? toChecksumAddress(tx.to) : 'contract creation';
  return `${head}: ${tx.value} wei + ${tx.gasLimit} gas × ${tx.gasPrice} wei`;
}

function byNonce<T>(txs: PoolTx[], f: (tx: PoolTx) => T): ByNonce<T> {
  const out: ByNonce<T> = {};
  for (const tx of txs) out[tx.nonce.toString()] = f(tx);
  return out;
}

function grouped<T>(pool: TxPoolView, f: (tx: PoolTx) => T): { pending: Record<string, ByNonce<T>>; queued: Record<string, ByNonce<T>> } {
  const pending: Record<string, ByNonce<T>> = {};
  const queued: Record<string, ByNonce<T>> = {};
  for (const s of pool.content()) {
    const key = toChecksumAddress(s.sender);
    if (s.pending.length) pending[key] = byNonce(s.pending, f);
    if (s.queued.length) queued[key] = byNonce(s.queued, f);
  }
  return { pending, queued };
}

const asRpcTx = (tx: PoolTx) => formatTx(tx.raw, tx.sender, null);

export function registerTxPool(reg: MethodRegistryApi, pool: TxPoolView): void {
  reg.register('txpool_status', (params) => {
    p.requireParams(params, 0, 0, 'txpool_status');
    const s = pool.stats();
    return { pending: qty(s.pending), queued: qty(s.queued) };
  });
  reg.register('txpool_content', (params) => {
    p.requireParams(params, 0, 0, 'txpool_content');
    return grouped(pool, asRpcTx);
  });
  reg.register('txpool_contentFrom', (params) => {
    p.requireParams(params, 1, 1, 'txpool_contentFrom');
    const addr = p.address(params[0], '0 (address)');
    const s = pool.content().find((x) => equalBytes(x.sender, addr));
    return { pending: s ? byNonce(s.pending, asRpcTx) : {}, queued: s ? byNonce(s.queued, asRpcTx) : {} };
  });
  reg.register('txpool_inspect', (params) => {
    p.requireParams(params, 0, 0, 'txpool_inspect');
    return grouped(pool, inspectLine);
  });
}
