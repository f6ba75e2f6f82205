/** eth_sendRawTransaction → the Bttc txpool: a refusal becomes -32000 with the pool's reason, as geth reports it. */
import type { TxPoolApi } from '../bttc/txpool/interface.ts';
import { RpcError, SERVER_ERROR } from './errors.ts';
import type { TxSink } from './interface.ts';

export function poolTxSink(pool: Pick<TxPoolApi, 'addRaw'>, pendingNonce?: TxSink['pendingNonce']): TxSink {
  const sink: TxSink = {
    async sendRawTransaction(raw) {
      const [res] = await pool.addRaw([raw]);
      if (!res) throw new RpcError(SERVER_ERROR, 'transaction pool returned no result');
      if (res.ok) return res.hash;
      throw new RpcError(SERVER_ERROR, res.reason);
    },
  };
  if (pendingNonce) sink.pendingNonce = pendingNonce;
  return sink;
}
