/**
 * Verify-pool worker (piscina): one packed batch in, one packed result buffer out, transferred
 * both ways. All work is synchronous native calls (libsecp256k1, blst), so the thread is never
 * idle inside a task; BLS public keys validated here stay cached for this thread's lifetime.
 */
import { unpackRequest, packResults } from '../src/pools/verifyCodec.ts';
import { executeWellFormed } from '../src/pools/execute.ts';
import type { VerifyResult } from '../src/pools/interface.ts';
import type { VerifyTask, VerifyTaskResult } from './verify-types.ts';
import { transferBack } from '../src/pools/transfer.ts';

export default function verifyTask(task: VerifyTask): VerifyTaskResult {
  const t0 = performance.now();
  const items = unpackRequest(task.packed);
  const results: VerifyResult[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      results[i] = executeWellFormed(items[i]!);
    } catch (err) {
      results[i] = { ok: false, kind: items[i]!.kind, reason: `error: ${(err as Error).message}` };
    }
  }
  const packed = packResults(results);
  return transferBack<VerifyTaskResult>({ packed, runMs: performance.now() - t0 }, [packed.buffer as ArrayBuffer]);
}
