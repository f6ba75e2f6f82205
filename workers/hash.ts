/** Hash-pool worker (piscina): one Merkle root per task, every layer one native batch call; or one audit-log batch sealed. */
import { checkpointRootFromPreimages, accountRootFromPreimages } from '../src/pools/hashOps.ts';
import { sealPacked } from '../src/audit-log/batch.ts';
import type { HashTask, HashTaskResult } from './hash-types.ts';

export default function hashTask(task: HashTask): HashTaskResult {
  const t0 = performance.now();
  const c0 = process.threadCpuUsage();
  let root: Uint8Array;
  if (task.op === 'checkpoint-root') root = checkpointRootFromPreimages(task.data);
  else if (task.op === 'account-root') root = accountRootFromPreimages(task.data);
  else if (task.op === 'audit-batch') root = sealPacked(task.data);
  else throw new Error(`hash worker: unknown op ${JSON.stringify((task as { op?: unknown }).op)}`);
  // 32 bytes: cloning costs less than setting up a transfer
  const cpu = process.threadCpuUsage(c0);
  return { root, runMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}
