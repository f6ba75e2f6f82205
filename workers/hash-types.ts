/** Messages between the hash pool and workers/hash.ts. */
export interface HashTask {
  op: 'checkpoint-root' | 'account-root' | 'audit-batch';
  /**
   * Packed preimages (128-byte leaf preimages, or 64-byte sorted account preimages), or an audit-log
   * batch to hash-chain and sign (src/audit-log/batch.ts packSealTask); transferred.
   */
  data: Uint8Array;
}

export interface HashTaskResult {
  /** The root; for 'audit-batch' the packed seal result (record hashes ‖ digest ‖ signature). */
  root: Uint8Array;
  runMs: number;
  /** CPU time the worker thread spent on the task (user + system). */
  cpuMs: number;
}
