/**
 * What this node answers to peers' sync requests: its canonical Bttc blocks by number, its Delivery
 * blocks with their commits, and its status (src/p2p/sync/server.ts decodes and clamps requests).
 */
import type { ChainStoreApi } from '../chain/interface.ts';
import type { NetworkBlock } from '../bttc/layer.ts';
import { encodeNetworkBlock } from '../p2p/codec/block.ts';
import type { SyncSource } from '../p2p/sync/server.ts';

export interface SyncServeDeps {
  chain: Pick<ChainStoreApi, 'head' | 'genesisHash' | 'getCanonicalHash' | 'getHeader' | 'getBody'>;
  app: { readonly height: number; syncItems(start: number, count: number): Promise<Uint8Array[]> };
}

export function syncSource({ chain, app }: SyncServeDeps): Required<SyncSource> {
  return {
    bttcBlocksByRange: (start, count) => bttcBlocksByRange(chain, start, count),
    deliveryByRange: (start, count) => app.syncItems(Number(start), count),
    status: async () => {
      const h = chain.head();
      return { genesisHash: chain.genesisHash(), bttcHead: h.number, bttcHeadHash: h.hash, deliveryHeight: BigInt(app.height) };
    },
  };
}

/** Canonical blocks [start, start + count), stopping at the first one not held. */
async function bttcBlocksByRange(chain: SyncServeDeps['chain'], start: bigint, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let n = start; n < start + BigInt(count); n++) {
    const hash = await chain.getCanonicalHash(n);
    if (!hash) break;
    const [header, body] = await Promise.all([chain.getHeader(hash), chain.getBody(hash)]);
    if (!header || !body) break;
    out.push(encodeNetworkBlock({ header: header as NetworkBlock['header'], txs: body.txs }));
  }
  return out;
}
