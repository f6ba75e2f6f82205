/**
 * A testnet run in network namespaces on this machine (the multi-host test and the WAN bench): host
 * 0 runs the root chain only, hosts 1 … N one node each. It is written by the real
 * `bttc-node testnet init` from a hosts file naming the namespaces' addresses, and each host's
 * share runs under the real `bttc-node testnet start DIR/<host>` inside that host's namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostSnapshot } from './supervisor.ts';
import type { TestnetLayout } from './init.ts';
import { spawnInNs, type NetnsLab } from './netns.ts';

export const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/bttc-node');

export interface LabTestnetOptions {
  /** Where testnet init writes (a new directory). */
  dir: string;
  validators: number;
  followers?: number;
  /** `--set` overrides for every node (field=value). */
  set?: string[];
  rootBlockTimeSec?: number;
  logLevel?: string;
  /**
   * Fields merged into every node's `node` section after init (one level deep: `{ p2p: { meshDegree: 6 } }`
   * keeps the other p2p fields), for settings `testnet init` has no flag for (the WAN bench's sweeps).
   */
  node?: Record<string, unknown>;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => res({ code, out }));
  });
}

export class LabTestnet {
  readonly lab: NetnsLab;
  readonly opts: LabTestnetOptions;
  layout: TestnetLayout | null = null;
  private readonly procs: { ns: string; child: ChildProcess; out: string[] }[] = [];

  constructor(lab: NetnsLab, opts: LabTestnetOptions) {
    if (lab.hosts.length < opts.validators + (opts.followers ?? 0) + 1) throw new RangeError(`the lab has ${lab.hosts.length} hosts; a root host and one per node are needed`);
    this.lab = lab;
    this.opts = opts;
  }

  /** The hosts file: the root chain alone on host 0, then one node per host. */
  hostsFile(): string {
    const nodes = this.opts.validators + (this.opts.followers ?? 0);
    return (
      [
        '# written by the netns lab: root chain alone on the first host, one node per other host',
        `${this.lab.hosts[0]!.addr} 0 root`,
        ...this.lab.hosts.slice(1, nodes + 1).map((h) => `${h.addr} 1`),
      ].join('\n') + '\n'
    );
  }

  /** Runs `bttc-node testnet init`; throws with its output when it fails. */
  async init(): Promise<TestnetLayout> {
    const hosts = join(this.opts.dir + '.hosts');
    writeFileSync(hosts, this.hostsFile());
    const args = ['testnet', 'init', '--validators', String(this.opts.validators), '--followers', String(this.opts.followers ?? 0), '--hosts', hosts, '--out', this.opts.dir];
    args.push('--root-block-time', String(this.opts.rootBlockTimeSec ?? 1));
    for (const s of this.opts.set ?? []) args.push('--set', s);
    const r = await run(BIN, args);
    if (r.code !== 0) throw new Error(`testnet init failed (${r.code}): ${r.out}`);
    this.layout = JSON.parse(readFileSync(join(this.opts.dir, 'testnet.json'), 'utf8')) as TestnetLayout;
    if (this.opts.node) for (const file of this.nodeConfigFiles()) patchNodeSection(file, this.opts.node);
    return this.layout;
  }

  /** Every node's config.json, in node order. */
  nodeConfigFiles(): string[] {
    const layout = this.layout!;
    return layout.nodes.map((n) => join(this.opts.dir, layout.hosts.find((h) => h.host === n.host)!.dir, n.dir, 'config.json'));
  }

  hostDir(k: number): string {
    return join(this.opts.dir, this.layout!.hosts[k]!.dir);
  }

  /** `testnet start DIR/<host>` in host k's namespace. */
  startHost(k: number): void {
    const h = this.lab.hosts[k]!;
    const child = spawnInNs(h.ns, BIN, ['testnet', 'start', this.hostDir(k), '--status-interval', '1', '--restart-delay', '2', '--log-level', this.opts.logLevel ?? 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const keep = (d: Buffer) => {
      out.push(d.toString());
      if (out.length > 200) out.splice(0, out.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.procs.push({ ns: h.ns, child, out });
  }

  /** Host k's last status.json (null before its first). */
  snapshot(k: number): HostSnapshot | null {
    try {
      return JSON.parse(readFileSync(join(this.hostDir(k), 'status.json'), 'utf8')) as HostSnapshot;
    } catch {
      return null;
    }
  }

  /** Every node's status, in node order (null where its host has not reported it yet). */
  nodeStatuses(): HostSnapshot['nodes'] {
    const out: HostSnapshot['nodes'] = [];
    for (let k = 1; k < this.layout!.hosts.length; k++) out.push(...(this.snapshot(k)?.nodes ?? []));
    return out;
  }

  /** Each host process's output tail, for a failing test or bench. */
  output(): string {
    return this.procs.map((p) => `--- ${p.ns} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) ---\n${p.out.join('').slice(-3000)}`).join('\n');
  }

  /** Whether any host process exited (a host that gave up). */
  exited(): { ns: string; code: number | null }[] {
    return this.procs.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null).map((p) => ({ ns: p.ns, code: p.child.exitCode }));
  }

  /** SIGTERM to every host's supervisor (nodes first, root host last); resolves with their exit codes. */
  async stop(graceMs = 30_000): Promise<(number | null)[]> {
    const stopOne = async (p: (typeof this.procs)[number]) => {
      const c = p.child;
      if (c.exitCode !== null || c.signalCode !== null) return c.exitCode;
      const done = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
      const code = await done;
      clearTimeout(t);
      return code;
    };
    const nodes = await Promise.all(this.procs.slice(1).map(stopOne));
    const root = this.procs[0] ? await stopOne(this.procs[0]) : null;
    return [root, ...nodes];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges `patch` into the file's `node` section, objects one level deep. */
export function patchNodeSection(file: string, patch: Record<string, unknown>): void {
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as { node: Record<string, unknown> };
  for (const [k, v] of Object.entries(patch)) cfg.node[k] = isPlainObject(v) && isPlainObject(cfg.node[k]) ? { ...cfg.node[k], ...v } : v;
  writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
}
