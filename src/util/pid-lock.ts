/**
 * A directory owned by one process at a time, told apart by a pid file. LevelDB's own LOCK only
 * says "Database failed to open"; this names the process that holds the directory, so a second
 * node or devnet on the same data says who is in the way. A pid file whose process is gone (a
 * crash, SIGKILL) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DirInUseError extends Error {
  override name = 'DirInUseError';
  readonly pid: number;
  constructor(message: string, pid: number) {
    super(message);
    this.pid = pid;
  }
}

/** Whether a process with this pid exists (ours or another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export interface PidLock {
  readonly file: string;
  release(): void;
}

/**
 * Takes `dir/<name>` for this process or throws DirInUseError naming the holder's PID. `what` is how
 * the message names the directory ("data dir", "devnet").
 */
export function acquirePidLock(dir: string, what: string, name = 'bttc-node.pid'): PidLock {
  const file = join(dir, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        file,
        release() {
          if (readPid(file) === process.pid) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(file);
      if (holder !== null && holder !== process.pid && alive(holder))
        throw new DirInUseError(`${what} ${dir} is in use by PID ${holder} (${file}); stop that process first, or use another directory`, holder);
      // Stale (its process is gone) or unreadable: take it over.
      try {
        unlinkSync(file);
      } catch {
        // Another starter removed it first; the next attempt settles who wins.
      }
    }
  }
  throw new Error(`${what} ${dir}: could not take ${file}`);
}
