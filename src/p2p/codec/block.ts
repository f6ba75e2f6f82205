/**
 * Gossip and range-sync payload of a Bttc block: rlp([header, [tx…]]). Senders are never sent;
 * peers recover them in their verify pool.
 */
import { RLP } from '@ethereumjs/rlp';
import type { NetworkBlock } from '../../bttc/layer.ts';
import { decodeHeader, encodeHeader } from '../../bttc/engine/header.ts';

export function encodeNetworkBlock(b: NetworkBlock): Uint8Array {
  return RLP.encode([encodeHeader(b.header), b.txs]);
}

/** Throws on anything that is not rlp([header, [byte string…]]). */
export function decodeNetworkBlock(bytes: Uint8Array): NetworkBlock {
  const d = RLP.decode(bytes) as unknown;
  if (!Array.isArray(d) || d.length !== 2 || !(d[0] instanceof Uint8Array) || !Array.isArray(d[1])) throw new Error('bttc block: expected rlp([header, [txs]])');
  const txs = d[1] as unknown[];
  if (!txs.every((t) => t instanceof Uint8Array)) throw new Error('bttc block: transactions must be byte strings');
  return { header: decodeHeader(d[0]), txs: txs as Uint8Array[] };
}
