/**
 * Composition-root helpers: which SignatureVerifier to build. `threads: 0` gives the InlineVerifier on the main thread; otherwise a VerifyPool.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SignatureVerifier } from './interface.ts';
import { InlineVerifier } from './inline.ts';
import { VerifyPool, defaultThreads, type VerifyPoolOptions } from './verifyPool.ts';

export type { SignatureVerifier, VerifyItem, VerifyResult, VerifyOptions } from './interface.ts';
export { InlineVerifier } from './inline.ts';
export { VerifyPool, PoolClosedError, PoolOverloadedError, defaultThreads } from './verifyPool.ts';
export { HashPool } from './hashPool.ts';

export function createSignatureVerifier(opts: VerifyPoolOptions & { threads?: number } = {}, deps: { metrics?: Registry | null; logger?: Logger | null } = {}): SignatureVerifier {
  const threads = opts.threads ?? defaultThreads();
  if (threads === 0) return new InlineVerifier();
  // A node checks gossip one or two signatures at a time while idle: those stay on the main thread.
  return new VerifyPool({ inlineMax: 2, ...opts, threads }, deps);
}
