/**
 * Key prefixes of the Bttc engine and txpool in a shared classic-level store. Chosen in the 0xB0
 * range so they cannot collide with the chain store's buckets (owned by src/chain).
 */
export const BUCKET_BOR_SNAPSHOT = 0xb0;
export const BUCKET_TXPOOL_TX = 0xb1;
export const BUCKET_TXPOOL_META = 0xb2;
