/**
 * Runs a devnet as real processes: one `bttc-node rootchain` and N + F `bttc-node start` (N
 * validators, then F followers), each with its own data directory and log file. A node that dies
 * unexpectedly is started again after `restartDelayMs` (a crash, or a test's SIGKILL); `stop()`
 * sends SIGTERM to every node, then to the root chain, and waits for each to exit (SIGKILL after a
 * grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../observability/logger.ts';
import type { NodeRole, NodeStatus } from '../node/interface.ts';
import { JsonRpcClient } from '../loadtest/rpc.ts';
import { followerCount, isFollower, readLayout, writeLayout, writeNodeConfig, type DevnetLayout, type RootInfo } from './setup.ts';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/bttc-node');

export interface Proc {
  name: string;
  child: ChildProcess | null;
  pid: number | null;
  /** Set by the ready line on stdout. */
  info: Record<string, unknown> | null;
  restarts: number;
  exits: { code: number | null; signal: string | null; at: number }[];
}

export interface SupervisorOptions {
  dir: string;
  blockTimeSec: number;
  restartDelayMs: number;
  /** Log level of the node processes. */
  logLevel: string;
}

export interface DevnetSnapshot {
  at: number;
  dir: string;
  rootchain: { pid: number | null; rpcUrl: string | null; head: number | null };
  nodes: { index: number; role: NodeRole; pid: number | null; rpcUrl: string; restarts: number; up: boolean; status: NodeStatus | null; error?: string }[];
}

function waitReady(child: ChildProcess, what: string, timeoutMs: number, parse: (buf: string) => Record<string, unknown> | null): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`${what} did not become ready within ${timeoutMs / 1000} s`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const v = parse(out);
      if (v) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        res(v);
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(t);
      rej(new Error(`${what} exited with code ${code} before it was ready (see its log)`));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

export class DevnetSupervisor {
  readonly opts: SupervisorOptions;
  readonly layout: DevnetLayout;
  readonly root: Proc = { name: 'rootchain', child: null, pid: null, info: null, restarts: 0, exits: [] };
  readonly nodes: Proc[];
  private rootInfo: RootInfo | null = null;
  private stopping = false;
  private readonly logger: Logger;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(opts: SupervisorOptions, deps: { logger: Logger }) {
    this.opts = opts;
    const layout = readLayout(opts.dir);
    if (!layout) throw new Error(`${opts.dir} holds no devnet (devnet.json missing)`);
    this.layout = layout;
    this.nodes = Array.from({ length: layout.validators + followerCount(layout) }, (_, i) => ({ name: `node-${i}`, child: null, pid: null, info: null, restarts: 0, exits: [] }));
    this.logger = deps.logger;
  }

  rpcUrl(i: number): string {
    return `http://127.0.0.1:${this.layout.ports.rpc + i}`;
  }

  role(i: number): NodeRole {
    return isFollower(this.layout, i) ? 'follower' : 'validator';
  }

  private logFd(file: string): number {
    mkdirSync(dirname(join(this.opts.dir, file)), { recursive: true });
    return openSync(join(this.opts.dir, file), 'a');
  }

  async start(): Promise<void> {
    const dir = this.opts.dir;
    const fd = this.logFd('rootchain/rootchain.log');
    const child = spawn(BIN, ['rootchain', '--datadir', join(dir, 'rootchain'), '--genesis', join(dir, 'root-genesis.json'), '--port', String(this.layout.ports.root), '--block-time', String(this.opts.blockTimeSec)], { stdio: ['ignore', 'pipe', fd] });
    closeSync(fd);
    this.root.child = child;
    this.root.pid = child.pid ?? null;
    child.on('exit', (code, signal) => {
      this.root.exits.push({ code, signal, at: Date.now() });
      if (!this.stopping) this.logger.error({ code, signal }, 'root chain process exited');
    });
    const info = await waitReady(child, 'root chain', 120_000, (out) => {
      const end = out.indexOf('\n}\n');
      return end >= 0 ? (JSON.parse(out.slice(0, end + 2)) as Record<string, unknown>) : null;
    });
    this.root.info = info;
    this.rootInfo = { rpcUrl: info.rpcUrl as string, contracts: info.contracts as RootInfo['contracts'] };
    if (this.layout.rootStartBlock === null) {
      this.layout.rootStartBlock = (info.head as number) + 1;
      writeLayout(dir, this.layout);
    }
    await Promise.all(this.nodes.map((_, i) => this.startNode(i)));
  }

  /** Starts node i (again; a validator, or a follower from index N on); resolves when it printed its ready line. */
  async startNode(i: number): Promise<void> {
    const role = this.role(i);
    const p = this.nodes[i]!;
    const config = writeNodeConfig(this.opts.dir, this.layout, i, this.rootInfo!);
    const fd = this.logFd(`node-${i}/node.log`);
    const child = spawn(BIN, ['start', '--config', config], { stdio: ['ignore', 'pipe', fd], env: { ...process.env, BTTC_LOG_LEVEL: this.opts.logLevel } });
    closeSync(fd);
    p.child = child;
    p.pid = child.pid ?? null;
    p.info = null;
    child.on('exit', (code, signal) => {
      p.exits.push({ code, signal, at: Date.now() });
      if (p.child === child) {
        p.child = null;
        p.pid = null;
      }
      if (this.stopping) return;
      this.logger.warn({ node: i, role, code, signal, restartInMs: this.opts.restartDelayMs }, `${role} exited; restarting it`);
      const t = setTimeout(() => {
        this.restartTimers.delete(t);
        if (this.stopping) return;
        p.restarts++;
        this.startNode(i).catch((err: Error) => this.logger.error({ node: i, role, err: err.message }, `${role} restart failed`));
      }, this.opts.restartDelayMs);
      this.restartTimers.add(t);
    });
    p.info = await waitReady(child, `${role} ${i}`, 120_000, (out) => {
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      return line ? (JSON.parse(line) as Record<string, unknown>) : null;
    });
  }

  async snapshot(): Promise<DevnetSnapshot> {
    const nodes = await Promise.all(
      this.nodes.map(async (p, i) => {
        const rpcUrl = this.rpcUrl(i);
        const base = { index: i, role: this.role(i), pid: p.pid, rpcUrl, restarts: p.restarts };
        if (!p.info || !p.child) return { ...base, up: false, status: null };
        try {
          const status = await new JsonRpcClient(rpcUrl, { timeoutMs: 2000 }).call<NodeStatus>('bttcnode_status');
          return { ...base, up: true, status };
        } catch (err) {
          return { ...base, up: true, status: null, error: (err as Error).message };
        }
      }),
    );
    let head: number | null = null;
    if (this.rootInfo) head = await new JsonRpcClient(this.rootInfo.rpcUrl, { timeoutMs: 2000 }).call<string>('eth_blockNumber').then((h) => Number(BigInt(h)), () => null);
    const snap: DevnetSnapshot = { at: Date.now(), dir: this.opts.dir, rootchain: { pid: this.root.pid, rpcUrl: this.rootInfo?.rpcUrl ?? null, head }, nodes };
    // For tools and tests: the same snapshot on disk (pids, URLs, status).
    const f = join(this.opts.dir, 'status.json');
    writeFileSync(f + '.tmp', JSON.stringify(snap, null, 2) + '\n');
    renameSync(f + '.tmp', f);
    return snap;
  }

  private async stopProc(p: Proc, graceMs: number): Promise<void> {
    const child = p.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }

  /** Nodes first (validators may be mid-submission to the root chain), then the root chain. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all(this.nodes.map((p) => this.stopProc(p, 15_000)));
    await this.stopProc(this.root, 10_000);
  }
}
