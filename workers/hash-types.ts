/** Messages between the hash pool and workers/hash.ts. */
export interface HashTask {
  op: 'checkpoint-root' | 'account-root';
  /** Packed preimages (128-byte leaf preimages, or 64-byte sorted account preimages), transferred. */
  data: Uint8Array;
}

export interface HashTaskResult {
  root: Uint8Array;
  runMs: number;
}
