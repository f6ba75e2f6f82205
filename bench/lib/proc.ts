/**
 * Resource use of a process and everything it started, from /proc (Linux): CPU seconds (user +
 * system over all threads, plus children already reaped) and resident memory. A `bttc-node` started
 * through bin/bttc-node is `exec`ed, but a tree walk also catches any helper it spawns.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

interface Stat {
  ppid: number;
  cpu: number;
  rssPages: number;
}

function stat(pid: number): Stat | null {
  try {
    // Field 2 (comm) may hold spaces: split after its closing parenthesis.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    // After comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14) … rss(21).
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS, rssPages: Number(f[21]) };
  } catch {
    return null;
  }
}

/** `pid` and its descendants alive now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    if (!s) continue;
    const l = children.get(s.ppid) ?? [];
    l.push(Number(e));
    children.set(s.ppid, l);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** CPU seconds used so far by `pid` and its descendants; null when the process is gone. */
export function treeCpuSeconds(pid: number | null | undefined): number | null {
  if (!pid || !stat(pid)) return null;
  let sum = 0;
  for (const p of processTree(pid)) sum += stat(p)?.cpu ?? 0;
  return sum;
}

/** Resident memory of `pid` and its descendants, bytes; null when the process is gone. */
export function treeRssBytes(pid: number | null | undefined): number | null {
  if (!pid || !stat(pid)) return null;
  let pages = 0;
  for (const p of processTree(pid)) pages += stat(p)?.rssPages ?? 0;
  return pages * 4096;
}

/**
 * Anonymous resident memory (RssAnon in /proc/<pid>/status: heaps, malloc, buffers) of `pid` and its
 * descendants, bytes; null when the process is gone. RSS minus this is file-backed (the binary,
 * mapped files): page cache the kernel can drop, not the process's own memory.
 */
export function treeRssAnonBytes(pid: number | null | undefined): number | null {
  if (!pid || !stat(pid)) return null;
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited between the walk and the read
    }
  }
  return kb * 1024;
}

/**
 * CPU seconds per thread of `pid`, keyed by thread name (threads of one name summed: node names
 * its V8 and libuv helpers alike); empty when the process is gone.
 */
export function threadCpuSeconds(pid: number | null | undefined): Map<string, number> {
  return new Map([...threadCpuSplit(pid)].map(([name, t]) => [name, t.user + t.system]));
}

/** User and system (kernel) CPU seconds of one thread or a group of threads. */
export interface UserSys {
  user: number;
  system: number;
}

/**
 * User and system CPU seconds per thread of `pid`, keyed by thread name (threads of one name
 * summed, as `threadCpuSeconds`): system time is what the kernel spent for the thread (syscalls,
 * wake-ups, fsync, socket writes), which a JavaScript profile does not show. Empty when the
 * process is gone.
 */
export function threadCpuSplit(pid: number | null | undefined): Map<string, UserSys> {
  const out = new Map<string, UserSys>();
  if (!pid) return out;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const acc = out.get(name) ?? { user: 0, system: 0 };
      acc.user += Number(f[11]) / TICKS;
      acc.system += Number(f[12]) / TICKS;
      out.set(name, acc);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Thread id → thread name of `pid` now (the names strace's per-thread output files need). */
export function threadNames(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.set(Number(tid), readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
      } catch {
        // ended
      }
    }
  } catch {
    // process gone
  }
  return out;
}
