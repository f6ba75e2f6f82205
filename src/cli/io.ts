import { readFileSync } from 'node:fs';

/** An error meant for the user: printed as one line without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Reads and parses JSON from a file path or `-` (stdin); errors name the source. */
export function readJsonInput(source: string, what: string): unknown {
  let text: string;
  try {
    text = source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8');
  } catch (err) {
    throw new CliError(`${what}: cannot read ${source === '-' ? 'standard input' : source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what}: ${source === '-' ? 'standard input' : source} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Prints a JSON result on stdout, bigints as decimal strings. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}
