/**
 * The one way tests wait: `until` polls a condition with a deadline and, if time runs out, fails
 * naming what was awaited (and the last error the condition threw); `sleep` and `tick` are for the
 * few tests that must let time or the event loop pass without a condition to poll.
 */

/** What is awaited; a function is called only when time runs out, so the message can show the state then. */
export type WaitingFor = string | (() => string);

/**
 * Polls `fn` until it returns something truthy and returns that. A throw counts as "not yet" (a node
 * may be restarting or still opening its RPC port); the last error is named if time runs out.
 */
export async function until<T>(what: WaitingFor, timeoutMs: number, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, intervalMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const name = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${name}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks), for code that defers work with setImmediate. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
