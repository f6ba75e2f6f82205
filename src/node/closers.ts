/**
 * How a node shuts down: every module started records how to close it, and `close()` closes them in
 * reverse start order, so nothing is used after its dependency is gone. A failing closer is logged
 * and the rest still run.
 */
import type { Logger } from '../observability/logger.ts';

export class Closers {
  private readonly logger: Logger;
  private readonly closers: { name: string; close: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | null = null;

  constructor(deps: { logger: Logger }) {
    this.logger = deps.logger;
  }

  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /** Closes everything recorded so far, last first; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (let c = this.closers.pop(); c; c = this.closers.pop()) {
        try {
          await c.close();
          this.logger.debug({ module: c.name }, 'closed');
        } catch (err) {
          this.logger.warn({ module: c.name, err: (err as Error).message }, 'close failed');
        }
      }
    })();
    return this.closing;
  }
}
