/** Devnet plumbing the devnet benches share: CPU from /proc, and waiting for a network to be up. */
import { readFileSync } from 'node:fs';
import type { DevnetSupervisor } from '../../src/devnet/index.ts';

/** CPU seconds (user + system, all threads) a process has used, from /proc; null where there is no /proc. */
export function cpuSeconds(pid: number | null): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** Resolves once every validator has a status, a head of 3 or more and all its peers. */
export async function untilDevnetUp(sup: DevnetSupervisor, validators: number): Promise<void> {
  for (;;) {
    const s = await sup.snapshot();
    if (s.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= validators - 1)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
