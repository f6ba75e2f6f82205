/**
 * Several "hosts" on one Linux machine for multi-host tests and the WAN bench: one network
 * namespace per host, each with its own address on a bridge in the root namespace (a veth pair per
 * host). Processes in a namespace reach the others only through the bridge: 127.0.0.1 there is the
 * namespace's own loopback, where no other host's process listens.
 *
 * Names carry the creating process's pid (`bt<pid36>…`), so a later run removes what a crashed run
 * left (namespaces, bridge, veths whose creator is gone) before it makes its own. Needs root and
 * iproute2's `ip`; `netnsUnavailable()` says why not otherwise.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { alive } from '../util/pid-lock.ts';

export interface LabHost {
  ns: string;
  addr: string;
}

export interface NetnsLab {
  /** Name prefix of everything this lab created. */
  id: string;
  bridge: string;
  /** The bridge's own address (the root namespace's side: the test or bench reaches the hosts there). */
  bridgeAddr: string;
  hosts: LabHost[];
}

const PREFIX = 'bt';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function findIp(): string | null {
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (existsSync(`${d}/ip`)) return `${d}/ip`;
  return null;
}

/** Why namespaces cannot be made here (null: they can). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (run as root, as CI does)';
  if (!findIp()) return "iproute2's `ip` command is not installed";
  const probe = `${PREFIX}${process.pid.toString(36)}probe`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
  } catch (err) {
    return `\`ip netns add\` failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`;
  }
  return null;
}

/** The creator pid encoded in a lab name, or null for a name that is not a lab's. */
function ownerOf(name: string): number | null {
  const m = /^bt([0-9a-z]+)(?:-\d+|br|v\d+|probe)$/.exec(name);
  return m ? parseInt(m[1]!, 36) : null;
}

/** Removes namespaces and links of labs whose creating process is gone (a crashed or killed run). */
export function cleanupStaleLabs(): string[] {
  const removed: string[] = [];
  const stale = (name: string) => {
    const pid = ownerOf(name);
    return pid !== null && pid !== process.pid && !alive(pid);
  };
  for (const line of ip(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0];
    if (name && stale(name)) {
      killNamespaceProcesses(name);
      try {
        ip(['netns', 'del', name]);
        removed.push(name);
      } catch {
        /* gone meanwhile */
      }
    }
  }
  for (const line of ip(['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && stale(name)) {
      try {
        ip(['link', 'del', name]);
        removed.push(name);
      } catch {
        /* a veth went with its peer */
      }
    }
  }
  return removed;
}

/** A /24 no interface of the root namespace uses yet: 10.213.X.0. */
function freeSubnet(): string {
  const used = ip(['-4', '-o', 'addr', 'show']);
  const start = process.pid % 250;
  for (let k = 0; k < 250; k++) {
    const x = (start + k) % 250;
    if (!used.includes(`10.213.${x}.`)) return `10.213.${x}`;
  }
  throw new Error('no free 10.213.X.0/24 subnet for the lab bridge');
}

/** Creates `n` namespaces on a new bridge; on any failure removes what it made and rethrows. */
export function createLab(n: number): NetnsLab {
  if (n < 1 || n > 200) throw new RangeError(`createLab: 1 to 200 hosts, got ${n}`);
  const id = `${PREFIX}${process.pid.toString(36)}`;
  const net = freeSubnet();
  const lab: NetnsLab = { id, bridge: `${id}br`, bridgeAddr: `${net}.1`, hosts: [] };
  try {
    ip(['link', 'add', lab.bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${lab.bridgeAddr}/24`, 'dev', lab.bridge]);
    ip(['link', 'set', lab.bridge, 'up']);
    for (let k = 0; k < n; k++) {
      const ns = `${id}-${k}`;
      const outer = `${id}v${k}`;
      const addr = `${net}.${10 + k}`;
      ip(['netns', 'add', ns]);
      lab.hosts.push({ ns, addr });
      ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['link', 'set', outer, 'master', lab.bridge, 'up']);
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    destroyLab(lab);
    throw new Error(`could not create the network namespaces: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
  }
  return lab;
}

/** Pids of the processes inside a namespace. */
export function namespacePids(ns: string): number[] {
  try {
    return ip(['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killNamespaceProcesses(ns: string): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Kills whatever still runs in the lab's namespaces, then removes them and the bridge. Never throws. */
export function destroyLab(lab: NetnsLab): void {
  for (const h of lab.hosts) {
    killNamespaceProcesses(h.ns);
    try {
      ip(['netns', 'del', h.ns]);
    } catch {
      /* already gone */
    }
  }
  for (const name of [lab.bridge, ...lab.hosts.map((_, k) => `${lab.id}v${k}`)]) {
    try {
      ip(['link', 'del', name]);
    } catch {
      /* a veth goes with its namespace */
    }
  }
}

/** Runs a command inside a namespace (`ip netns exec NS …`). */
export function spawnInNs(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}
