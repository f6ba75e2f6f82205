/**
 * Runs a devnet as real processes: one `bttc-node rootchain` (two with --root-chains 2: the second
 * stands for BSC) and N + F `bttc-node start` (N validators, then F followers), each with its own
 * data directory and log file. A node that dies unexpectedly is started again after
 * `restartDelayMs` (a crash, or a test's SIGKILL); `stop()` sends SIGTERM to every node, then to the
 * root chains, and waits for each to exit (SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync, renameSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../observability/logger.ts';
import type { NodeRole, NodeStatus } from '../node/interface.ts';
import { JsonRpcClient } from '../loadtest/rpc.ts';
import { loadConfig } from '../config/load.ts';
import { readRootChains, type RootChainSnapshot } from './root-status.ts';
import { extraRootChains, extraRootFiles, followerCount, isFollower, readLayout, rootPort, writeLayout, writeNodeConfig, type DevnetLayout, type RootInfo } from './setup.ts';

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
  /** Extra `node` settings merged into every node's config.json (benches: e.g. `{ auditLog: { enabled: false } }`). */
  nodeSettings?: Record<string, unknown>;
}

export interface DevnetSnapshot {
  at: number;
  dir: string;
  rootchain: { pid: number | null; rpcUrl: string | null; head: number | null };
  /** With more than one root chain: each one's checkpoints, and its sync records on the staking chain (the first). */
  rootchains?: RootChainSnapshot[];
  nodes: { index: number; role: NodeRole; pid: number | null; rpcUrl: string; restarts: number; up: boolean; status: NodeStatus | null; error?: string }[];
}

export function waitReady(child: ChildProcess, what: string, timeoutMs: number, parse: (buf: string) => Record<string, unknown> | null): Promise<Record<string, unknown>> {
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

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited (at once if it has). */
export async function stopChild(child: ChildProcess | null, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export class DevnetSupervisor {
  readonly opts: SupervisorOptions;
  readonly layout: DevnetLayout;
  readonly root: Proc = { name: 'rootchain', child: null, pid: null, info: null, restarts: 0, exits: [] };
  /** The root chains after the first, in layout order. */
  readonly extraRoots: Proc[];
  readonly nodes: Proc[];
  private rootInfo: RootInfo | null = null;
  private extraRootInfos: RootInfo[] = [];
  private stopping = false;
  private readonly logger: Logger;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(opts: SupervisorOptions, deps: { logger: Logger }) {
    this.opts = opts;
    const layout = readLayout(opts.dir);
    if (!layout) throw new Error(`${opts.dir} holds no devnet (devnet.json missing)`);
    this.layout = layout;
    this.nodes = Array.from({ length: layout.validators + followerCount(layout) }, (_, i) => ({ name: `node-${i}`, child: null, pid: null, info: null, restarts: 0, exits: [] }));
    this.extraRoots = extraRootChains(layout).map((c) => ({ name: `rootchain-${c.name}`, child: null, pid: null, info: null, restarts: 0, exits: [] }));
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

  /** Starts one `bttc-node rootchain` and resolves with what its ready JSON says. */
  private async startRoot(p: Proc, what: string, files: { dataDir: string; genesis: string; log: string }, port: number): Promise<Record<string, unknown>> {
    const fd = this.logFd(files.log);
    const child = spawn(BIN, ['rootchain', '--datadir', files.dataDir, '--genesis', files.genesis, '--port', String(port), '--block-time', String(this.opts.blockTimeSec)], {
      stdio: ['ignore', 'pipe', fd],
    });
    closeSync(fd);
    p.child = child;
    p.pid = child.pid ?? null;
    child.on('exit', (code, signal) => {
      p.exits.push({ code, signal, at: Date.now() });
      if (!this.stopping) this.logger.error({ code, signal, rootChain: p.name }, `${what} process exited`);
    });
    const info = await waitReady(child, what, 120_000, (out) => {
      const end = out.indexOf('\n}\n');
      return end >= 0 ? (JSON.parse(out.slice(0, end + 2)) as Record<string, unknown>) : null;
    });
    p.info = info;
    return info;
  }

  async start(): Promise<void> {
    const dir = this.opts.dir;
    const info = await this.startRoot(this.root, 'root chain', { dataDir: join(dir, 'rootchain'), genesis: join(dir, 'root-genesis.json'), log: 'rootchain/rootchain.log' }, this.layout.ports.root);
    this.rootInfo = { rpcUrl: info.rpcUrl as string, contracts: info.contracts as RootInfo['contracts'] };
    if (this.layout.rootStartBlock === null) {
      this.layout.rootStartBlock = (info.head as number) + 1;
      writeLayout(dir, this.layout);
    }
    const extra = extraRootChains(this.layout);
    this.extraRootInfos = [];
    for (const [k, c] of extra.entries()) {
      const files = extraRootFiles(dir, c);
      const x = await this.startRoot(this.extraRoots[k]!, `${c.name} root chain`, { ...files, log: `rootchain-${c.name}/rootchain.log` }, rootPort(this.layout, k + 1));
      this.extraRootInfos.push({ rpcUrl: x.rpcUrl as string, contracts: x.contracts as RootInfo['contracts'] });
      if (c.startBlock === null) {
        c.startBlock = (x.head as number) + 1;
        writeLayout(dir, this.layout);
      }
    }
    await Promise.all(this.nodes.map((_, i) => this.startNode(i)));
  }

  /** Starts node i (again; a validator, or a follower from index N on); resolves when it printed its ready line. */
  async startNode(i: number): Promise<void> {
    const role = this.role(i);
    const p = this.nodes[i]!;
    const config = writeNodeConfig(this.opts.dir, this.layout, i, this.rootInfo!, this.extraRootInfos);
    if (this.opts.nodeSettings) {
      const file = JSON.parse(readFileSync(config, 'utf8')) as { node: Record<string, unknown> };
      writeFileSync(config, JSON.stringify({ ...file, node: { ...file.node, ...this.opts.nodeSettings } }, null, 2) + '\n');
    }
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
    if (this.rootInfo)
      head = await new JsonRpcClient(this.rootInfo.rpcUrl, { timeoutMs: 2000 }).call<string>('eth_blockNumber').then(
        (h) => Number(BigInt(h)),
        () => null,
      );
    const snap: DevnetSnapshot = { at: Date.now(), dir: this.opts.dir, rootchain: { pid: this.root.pid, rpcUrl: this.rootInfo?.rpcUrl ?? null, head }, nodes };
    const extra = extraRootChains(this.layout);
    if (extra.length && this.rootInfo && this.extraRootInfos.length === extra.length) {
      // The first root chain is the devnet preset's (Ethereum, id 2): the staking chain.
      const first = loadConfig('devnet').rootChains[0]!;
      const chains = [
        { id: first.id, name: first.name, pid: this.root.pid, info: this.rootInfo },
        ...extra.map((c, k) => ({ id: c.id, name: c.name, pid: this.extraRoots[k]!.pid, info: this.extraRootInfos[k]! })),
      ];
      snap.rootchains = await readRootChains(chains);
    }
    // For tools and tests: the same snapshot on disk (pids, URLs, status).
    const f = join(this.opts.dir, 'status.json');
    writeFileSync(f + '.tmp', JSON.stringify(snap, null, 2) + '\n');
    renameSync(f + '.tmp', f);
    return snap;
  }

  private stopProc(p: Proc, graceMs: number): Promise<void> {
    return stopChild(p.child, graceMs);
  }

  /** Nodes first (validators may be mid-submission to the root chains), then the root chains. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all(this.nodes.map((p) => this.stopProc(p, 15_000)));
    await Promise.all([this.root, ...this.extraRoots].map((p) => this.stopProc(p, 10_000)));
  }
}
