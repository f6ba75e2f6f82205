/** Ctrl-C and SIGTERM for the commands that supervise child processes (devnet, testnet start). */
import type { Logger } from '../observability/logger.ts';

/**
 * On the first SIGINT or SIGTERM: log `messages.stopping`, stop everything once, log
 * `messages.stopped`, exit 0. `stopping` tells a status loop to end.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, messages: { stopping: string; stopped: string }): { readonly stopping: boolean } {
  let stopping: Promise<void> | null = null;
  const onSignal = (signal: string) => {
    if (stopping) return;
    logger.info({ signal }, messages.stopping);
    stopping = stop().then(() => {
      logger.info(messages.stopped);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return {
    get stopping() {
      return stopping !== null;
    },
  };
}
