/**
 * Gossip payload of the bttc-tx topic: a batch of raw signed transactions, so a node forwarding
 * hundreds of transactions per second sends tens of gossip messages, not hundreds (each message
 * costs a message id, a seen-cache entry and an IHAVE slot everywhere).
 *   v1: version u8 (=1) ‖ count u16 ‖ (length u32 ‖ raw tx) × count
 *   v2: version u8 (=2) ‖ epoch u32 ‖ count u16 ‖ (length u32 ‖ raw tx) × count
 * The epoch (coarse send time, TX_EPOCH_MS) is only there to change the message id: gossipsub's
 * seen cache (120 s) silently drops a second publish of the same bytes, so without it re-announcing
 * a transaction — after a restart, to a peer that just connected — would go nowhere for two
 * minutes. Receivers do not check it: a re-sent batch whose transactions they hold is dropped
 * after a hash lookup and not relayed. Nodes publish v2; v1 still decodes.
 */
import { Reader, Writer, decodeErr, type DecodeResult } from './result.ts';

export const TX_BATCH_VERSION = 1;
export const TX_BATCH_VERSION_EPOCH = 2;
export const MAX_TXS_PER_BATCH = 1024;
/** Largest raw transaction accepted (geth's txpool limit is 128 KiB). */
export const MAX_TX_BYTES = 128 * 1024;
/** Resend epoch of tx batches: identical batches published within one epoch share a message id. */
export const TX_EPOCH_MS = 1000;

export function txEpoch(nowMs: number): number {
  return Math.floor(nowMs / TX_EPOCH_MS) >>> 0;
}

/** v1 without `epoch`, v2 with it. */
export function encodeTxBatch(txs: readonly Uint8Array[], epoch?: number): Uint8Array {
  if (txs.length === 0 || txs.length > MAX_TXS_PER_BATCH) throw new RangeError(`tx batch: ${txs.length} transactions, expected 1..${MAX_TXS_PER_BATCH}`);
  const w = new Writer(7 + txs.reduce((n, t) => n + 4 + t.length, 0));
  if (epoch === undefined) w.u8(TX_BATCH_VERSION);
  else w.u8(TX_BATCH_VERSION_EPOCH).u32(epoch >>> 0);
  w.u16(txs.length);
  for (const [i, t] of txs.entries()) {
    if (t.length === 0 || t.length > MAX_TX_BYTES) throw new RangeError(`tx batch: transaction ${i} is ${t.length} bytes, expected 1..${MAX_TX_BYTES}`);
    w.varBytes(t);
  }
  return w.finish();
}

/** Views into `bytes` (no copies). */
export function decodeTxBatch(bytes: Uint8Array): DecodeResult<Uint8Array[]> {
  const r = new Reader(bytes, 'tx batch');
  const version = r.u8('version');
  if (version === TX_BATCH_VERSION_EPOCH) r.u32('epoch');
  const count = r.u16('count');
  if (r.failed) return { ok: false, error: r.failed };
  if (version !== TX_BATCH_VERSION && version !== TX_BATCH_VERSION_EPOCH) return decodeErr('bad-version', `tx batch: version ${version}, expected ${TX_BATCH_VERSION} or ${TX_BATCH_VERSION_EPOCH}`);
  if (count === 0 || count > MAX_TXS_PER_BATCH) return decodeErr('bad-value', `tx batch: count ${count}, expected 1..${MAX_TXS_PER_BATCH}`);
  const txs: Uint8Array[] = [];
  for (let i = 0; i < count && !r.failed; i++) {
    const t = r.varBytes(`tx ${i}`, MAX_TX_BYTES);
    if (!r.failed && t.length === 0) r.fail('bad-value', `tx ${i} is empty`);
    txs.push(t);
  }
  return r.finish(txs);
}
