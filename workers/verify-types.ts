/** Messages between the verify pool and workers/verify.ts. */
export interface VerifyTask {
  /** verifyCodec request: an exact-size buffer, transferred. */
  packed: Uint8Array;
}

export interface VerifyTaskResult {
  /** verifyCodec response, transferred back. */
  packed: Uint8Array;
  /** Time spent inside the worker, for the pool's run-time metric. */
  runMs: number;
}
