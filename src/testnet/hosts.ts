/**
 * The hosts file of `bttc-node testnet init --hosts FILE`: which machines a testnet runs on and how
 * many nodes each runs. One host per line, fields separated by blanks, `#` starts a comment:
 *
 *   # HOST         NODES  [root] [bind=IP]
 *   10.0.0.1       2      root
 *   10.0.0.2       2
 *   node3.example  1      bind=0.0.0.0
 *
 * - HOST: an IPv4 address or a DNS name, as the other hosts reach this one. Each host once.
 * - NODES: how many nodes run there (0–64). Nodes are numbered in file order (the first host gets
 *   0 … NODES-1, and so on); the first --validators of them are validators, the rest followers.
 *   The counts must add up to validators + followers exactly.
 * - root: this host also runs the embedded root chain (at most one host says so; if none does,
 *   the first host runs it).
 * - bind=IP: the address this host's processes listen on. Default: HOST when it is an IPv4 address
 *   (so nothing listens on other interfaces), 0.0.0.0 when HOST is a name.
 */
import { readFileSync } from 'node:fs';

export interface HostEntry {
  /** As written in the file: what other hosts dial. */
  host: string;
  /** The line it came from (1-based), for messages. */
  line: number;
  nodes: number;
  root: boolean;
  /** The listen address of this host's processes. */
  bind: string;
}

export class HostsFileError extends Error {
  override name = 'HostsFileError';
}

export const MAX_NODES_PER_HOST = 64;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** Parses a hosts file's text; `source` names it in errors ("hosts.txt:3: …"). */
export function parseHosts(text: string, source: string): HostEntry[] {
  const out: HostEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [k, raw] of lines.entries()) {
    const line = k + 1;
    const at = `${source}:${line}`;
    const body = raw.replace(/#.*$/, '').trim();
    if (!body) continue;
    const [host, count, ...rest] = body.split(/\s+/) as [string, string | undefined, ...string[]];
    if (!isIpv4(host) && (!NAME.test(host) || /^[\d.]+$/.test(host)))
      throw new HostsFileError(`${at}: ${JSON.stringify(host)} is not an IPv4 address or a host name (expected "HOST NODES [root] [bind=IP]")`);
    const prev = seen.get(host.toLowerCase());
    if (prev !== undefined) throw new HostsFileError(`${at}: host ${host} is listed again (first on line ${prev}); give each host one line with its node count`);
    if (count === undefined) throw new HostsFileError(`${at}: host ${host} has no node count (expected "HOST NODES [root] [bind=IP]")`);
    const nodes = /^\d+$/.test(count) ? Number(count) : NaN;
    if (!Number.isInteger(nodes) || nodes > MAX_NODES_PER_HOST) throw new HostsFileError(`${at}: node count ${JSON.stringify(count)} of ${host}: expected an integer from 0 to ${MAX_NODES_PER_HOST}`);
    let root = false;
    let bind: string | null = null;
    for (const opt of rest) {
      if (opt === 'root') {
        if (root) throw new HostsFileError(`${at}: "root" given twice`);
        root = true;
      } else if (opt.startsWith('bind=')) {
        const ip = opt.slice(5);
        if (!isIpv4(ip)) throw new HostsFileError(`${at}: bind=${ip}: expected an IPv4 address to listen on (0.0.0.0 for every interface)`);
        bind = ip;
      } else throw new HostsFileError(`${at}: unknown field ${JSON.stringify(opt)} (known: root, bind=IP)`);
    }
    seen.set(host.toLowerCase(), line);
    out.push({ host, line, nodes, root, bind: bind ?? (isIpv4(host) ? host : '0.0.0.0') });
  }
  if (out.length === 0) throw new HostsFileError(`${source}: no hosts (expected lines "HOST NODES [root] [bind=IP]")`);
  const roots = out.filter((h) => h.root);
  if (roots.length > 1) throw new HostsFileError(`${source}:${roots[1]!.line}: a second "root" host (line ${roots[0]!.line} runs the root chain already); one host runs it`);
  if (roots.length === 0) out[0]!.root = true;
  return out;
}

export function readHostsFile(path: string): HostEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HostsFileError(`--hosts ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseHosts(text, path);
}

/** Checks the node counts against the network's size; the message names every host's count. */
export function checkNodeCount(hosts: HostEntry[], validators: number, followers: number, source: string): void {
  const total = hosts.reduce((a, h) => a + h.nodes, 0);
  if (total !== validators + followers)
    throw new HostsFileError(
      `${source}: the hosts run ${total} node(s) (${hosts.map((h) => `${h.host} ${h.nodes}`).join(', ')}) but --validators ${validators} and --followers ${followers} make ${validators + followers}; make the NODES column add up`,
    );
}

/** A directory name for a host's folder in the testnet directory (the host as written). */
export function hostDirName(h: Pick<HostEntry, 'host'>): string {
  return h.host.toLowerCase();
}
