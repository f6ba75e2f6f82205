/**
 * Interleaved side-by-side measurement: several implementations ("sides") each run their own chain
 * of blocks, and block k of every side runs before block k + 1 of any side, so all sides see the
 * same machine load. The order inside a round rotates (round k starts with side k mod n), so no
 * side always runs right after the same neighbour. Round 0 is a warm-up and is not recorded.
 */

export interface Side<S> {
  name: string;
  /** Runs this side's block `k` (0 = warm-up) and returns what was measured. */
  block(k: number): Promise<S>;
}

/** Per side, the samples of rounds 1..blocks, in block order. */
export async function runInterleaved<S>(sides: readonly Side<S>[], blocks: number, onBlock?: (side: string, k: number, s: S) => void): Promise<Map<string, S[]>> {
  const out = new Map<string, S[]>(sides.map((s) => [s.name, []]));
  for (let k = 0; k <= blocks; k++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(k + j) % sides.length]!;
      const s = await side.block(k);
      onBlock?.(side.name, k, s);
      if (k > 0) out.get(side.name)!.push(s);
    }
  }
  return out;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU milliseconds (user + system) of the whole process and of the calling thread, since `from`. */
export interface CpuMark {
  process: NodeJS.CpuUsage;
  thread: NodeJS.CpuUsage;
}

export function cpuMark(): CpuMark {
  return { process: process.cpuUsage(), thread: process.threadCpuUsage() };
}

export function cpuSince(from: CpuMark): { processMs: number; threadMs: number } {
  const p = process.cpuUsage(from.process);
  const t = process.threadCpuUsage(from.thread);
  return { processMs: (p.user + p.system) / 1000, threadMs: (t.user + t.system) / 1000 };
}
