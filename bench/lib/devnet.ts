/** Bench plumbing for devnets: start one, wait until every node has blocks and all its peers, read a process's CPU. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevnet, DevnetSupervisor } from '../../src/devnet/index.ts';
import { createLogger } from '../../src/observability/logger.ts';

/** Resolves when every node is at Bttc block ≥ 3 and sees the other validators. */
export async function waitDevnetReady(sup: DevnetSupervisor, validators: number): Promise<void> {
  for (;;) {
    const s = await sup.snapshot();
    if (s.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= validators - 1)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A fresh devnet in a temporary directory (ports from `base`), started and ready; the caller stops it and removes `dir`. */
export async function startBenchDevnet(
  name: string,
  validators: number,
  base: number,
  logLevel: 'warn' | 'info' = 'warn',
  extra: { deliveryEmptyBlockMs?: number } = {},
): Promise<{ sup: DevnetSupervisor; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `bttc-bench-${name}-`));
  await createDevnet(dir, { validators, ports: { rpc: base, rest: base + 20, p2p: base + 40, root: base + 60 }, ...extra });
  const sup = new DevnetSupervisor({ dir, blockTimeSec: 1, restartDelayMs: 5000, logLevel }, { logger: createLogger({ name: `bench-${name}`, level: 'warn' }) });
  try {
    await sup.start();
    await waitDevnetReady(sup, validators);
  } catch (err) {
    await sup.stop();
    throw err;
  }
  return { sup, dir };
}

/** CPU seconds (user + system, all threads) one process has used, from /proc; null where there is no /proc. */
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
