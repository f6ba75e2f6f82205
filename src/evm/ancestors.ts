/**
 * The `blockchain` EthereumJS's VM asks for BLOCKHASH. The executor keeps no chain: whoever runs a
 * block (or a call) hands in the hashes of the blocks before it, newest first, and this answers from
 * them; anything older or unknown is the zero hash, as an unknown ancestor is in geth.
 */
import { ZERO_HASH } from './block.ts';

export interface AncestorWindow {
  /** Number of the block being run: ancestor `n` is `hashes[of − 1 − n]`. */
  of: bigint;
  /** Hashes of the blocks before it, newest first. */
  hashes: readonly Uint8Array[];
}

/** A minimal EthereumJS `blockchain` over the window `current()` returns at the time of each lookup. */
export function ancestorBlockchain(current: () => AncestorWindow) {
  return {
    getBlock: async (n: number) => {
      const { of, hashes } = current();
      const back = of - 1n - BigInt(n);
      const h = back >= 0n && back < BigInt(hashes.length) ? hashes[Number(back)]! : ZERO_HASH;
      return { hash: () => h };
    },
    putBlock: async () => {},
    shallowCopy() {
      return this;
    },
  };
}
