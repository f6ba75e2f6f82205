/**
 * eth_sendRawTransaction → the Bttc txpool: a refusal becomes -32000 with the pool's reason, as geth
 * reports it. The sink also answers the pending nonce and pending transactions from the same pool, so
 * a composition cannot wire one without the others (wallets sending two transactions in a row got
 * the same nonce when "pending" fell back to the head state).
 */
import type { AddResult, PoolTx } from '../bttc/txpool/interface.ts';
import { RpcError, SERVER_ERROR } from './errors.ts';
import type { TxSink } from './interface.ts';

export interface PoolForSink {
  /** Intake (the node's TxIntake in front of the pool, or the pool itself). */
  addRaw(raws: readonly Uint8Array[]): Promise<AddResult[]>;
  /** TxPool.nextNonce: account nonce plus the sender's executable run. */
  nextNonce(sender: Uint8Array): bigint | undefined;
  get(hash: Uint8Array): Pick<PoolTx, 'raw' | 'sender'> | undefined;
}

export interface PoolTxSinkOptions {
  /** After the pool accepted a transaction (the node gossips it). */
  onAccepted?: (raw: Uint8Array, hash: Uint8Array) => void;
}

export function poolTxSink(pool: PoolForSink, opts: PoolTxSinkOptions = {}): Required<TxSink> {
  return {
    async sendRawTransaction(raw) {
      const [res] = await pool.addRaw([raw]);
      if (!res) throw new RpcError(SERVER_ERROR, 'transaction pool returned no result');
      if (!res.ok) throw new RpcError(SERVER_ERROR, res.reason);
      opts.onAccepted?.(raw, res.hash);
      return res.hash;
    },
    async pendingNonce(address) {
      return pool.nextNonce(address);
    },
    pendingTransaction(hash) {
      const tx = pool.get(hash);
      return tx ? { raw: tx.raw, sender: tx.sender } : undefined;
    },
  };
}
