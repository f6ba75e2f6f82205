/**
 * Runs one host's share of a testnet (`bttc-node testnet start DIR/<host>`), as the devnet's
 * supervisor runs a devnet: the root chain first when this host has it, then its nodes, each a
 * process with its own log file; a process that dies is started again after `restartDelayMs`;
 * `stop()` sends SIGTERM to the nodes, then to the root chain, and waits (SIGKILL after a grace
 * period). Nodes on other hosts are not started here: a node whose root chain or peers are not up
 * yet keeps retrying them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../observability/logger.ts';
import type { NodeStatus } from '../node/interface.ts';
import { JsonRpcClient } from '../loadtest/rpc.ts';
import { stopChild, waitReady } from '../devnet/supervisor.ts';
import { readHostShare, rootchainArgs, type HostShare } from './init.ts';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/bttc-node');

export interface HostSupervisorOptions {
  /** DIR/<host>. */
  dir: string;
  restartDelayMs: number;
  logLevel: string;
}

interface Proc {
  name: string;
  args: string[];
  log: string;
  ready: (out: string) => Record<string, unknown> | null;
  child: ChildProcess | null;
  restarts: number;
  info: Record<string, unknown> | null;
}

export interface HostSnapshot {
  at: number;
  host: string;
  rootchain: { pid: number | null; rpcUrl: string; head: number | null } | null;
  nodes: { index: number; role: string; pid: number | null; rpcUrl: string; restarts: number; status: NodeStatus | null; error?: string }[];
}

const rootReady = (out: string) => {
  const end = out.indexOf('\n}\n');
  return end >= 0 ? (JSON.parse(out.slice(0, end + 2)) as Record<string, unknown>) : null;
};
const nodeReady = (out: string) => {
  const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : null;
};

export class HostSupervisor {
  readonly share: HostShare;
  readonly root: Proc | null;
  readonly nodes: Proc[];
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  readonly opts: HostSupervisorOptions;
  private readonly deps: { logger: Logger };

  constructor(opts: HostSupervisorOptions, deps: { logger: Logger }) {
    this.opts = opts;
    this.deps = deps;
    const dir = resolve(opts.dir);
    this.share = readHostShare(dir);
    const rc = this.share.rootchain;
    const proc = (name: string, args: string[], log: string, ready: Proc['ready']): Proc => ({ name, args, log, ready, child: null, restarts: 0, info: null });
    this.root = rc ? proc('rootchain', rootchainArgs(dir, rc, this.share.bind), join(dir, 'rootchain', 'rootchain.log'), rootReady) : null;
    this.nodes = this.share.nodes.map((n) => proc(`${n.role} ${n.index}`, ['start', '--config', join(dir, n.dir, 'config.json')], join(dir, n.dir, 'node.log'), nodeReady));
  }

  private async run(p: Proc): Promise<void> {
    const fd = openSync(p.log, 'a');
    const child = spawn(BIN, p.args, { stdio: ['ignore', 'pipe', fd], env: { ...process.env, BTTC_LOG_LEVEL: this.opts.logLevel } });
    closeSync(fd);
    p.child = child;
    p.info = null;
    child.on('exit', (code, signal) => {
      if (p.child === child) p.child = null;
      if (this.stopping) return;
      this.deps.logger.warn({ process: p.name, code, signal, restartInMs: this.opts.restartDelayMs }, `${p.name} exited; restarting it`);
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopping) return;
        p.restarts++;
        this.run(p).catch((err: Error) => this.deps.logger.error({ process: p.name, err: err.message }, `${p.name} restart failed`));
      }, this.opts.restartDelayMs);
      this.timers.add(t);
    });
    p.info = await waitReady(child, p.name, 120_000, p.ready);
    // Keep reading stdout so a chatty child never blocks on a full pipe.
    child.stdout!.resume();
  }

  async start(): Promise<void> {
    if (this.root) await this.run(this.root);
    await Promise.all(this.nodes.map((p) => this.run(p)));
  }

  async snapshot(): Promise<HostSnapshot> {
    const nodes = await Promise.all(
      this.share.nodes.map(async (n, k) => {
        const p = this.nodes[k]!;
        const base = { index: n.index, role: n.role, pid: p.child?.pid ?? null, rpcUrl: n.rpcUrl, restarts: p.restarts };
        if (!p.child || !p.info) return { ...base, status: null };
        try {
          return { ...base, status: await new JsonRpcClient(n.rpcUrl, { timeoutMs: 2000 }).call<NodeStatus>('bttcnode_status') };
        } catch (err) {
          return { ...base, status: null, error: (err as Error).message };
        }
      }),
    );
    let rootchain: HostSnapshot['rootchain'] = null;
    if (this.share.rootchain && this.root) {
      const rpcUrl = this.share.rootchain.rpcUrl;
      const head = this.root.child
        ? await new JsonRpcClient(rpcUrl, { timeoutMs: 2000 }).call<string>('eth_blockNumber').then(
            (h) => Number(BigInt(h)),
            () => null,
          )
        : null;
      rootchain = { pid: this.root.child?.pid ?? null, rpcUrl, head };
    }
    const snap: HostSnapshot = { at: Date.now(), host: this.share.host, rootchain, nodes };
    // For tools and tests: the same snapshot on disk.
    const f = join(resolve(this.opts.dir), 'status.json');
    writeFileSync(f + '.tmp', JSON.stringify(snap, null, 2) + '\n');
    renameSync(f + '.tmp', f);
    return snap;
  }

  /** Nodes first (a validator may be submitting a checkpoint), then the root chain. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.nodes.map((p) => stopChild(p.child, 15_000)));
    if (this.root) await stopChild(this.root.child, 10_000);
  }
}

/** One status line for a log: root head, then per node head/peers/Delivery height/acked checkpoints. */
export function hostStatusLine(s: HostSnapshot): string {
  const parts = [`${s.host}`];
  if (s.rootchain) parts.push(`root #${s.rootchain.head ?? '?'}`);
  for (const n of s.nodes) {
    const st = n.status;
    parts.push(
      st ? `${n.role[0]}${n.index} #${st.bttc.head} peers ${st.peers} delivery ${st.delivery.height} acked ${st.delivery.checkpointsAcked}` : `${n.role[0]}${n.index} ${n.pid ? 'starting' : 'down'}`,
    );
  }
  return parts.join(' | ');
}
