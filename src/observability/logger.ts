import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Module name carried on every line (`{"module":"verify-pool",...}`). */
  name?: string;
  /** Write to stderr (default) so that commands printing JSON on stdout stay machine-readable. */
  destination?: 1 | 2;
}

/** Structured JSON logs; modules get a child with their own `module` field. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? (process.env.BTTC_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  return pino({ level, base: opts.name ? { module: opts.name } : {} }, pino.destination({ fd: opts.destination ?? 2, sync: true }));
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
