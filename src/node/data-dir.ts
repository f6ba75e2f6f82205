/**
 * One node per data dir. LevelDB's own lock only says "Database failed to open"; taking the
 * directory first names the process that holds it.
 */
import { acquirePidLock, DirInUseError, type PidLock } from '../util/pid-lock.ts';
import { NodeStartError } from './errors.ts';

export function takeDataDir(dir: string): PidLock {
  try {
    return acquirePidLock(dir, 'data dir');
  } catch (err) {
    if (err instanceof DirInUseError) throw new NodeStartError(`${err.message} (another bttc-node runs on it)`);
    throw err;
  }
}
