/**
 * Polls `fn` until it returns something truthy and returns that. A throw counts as "not yet" (a node
 * may be restarting or still opening its RPC port); the last error is named if time runs out.
 */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, intervalMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
