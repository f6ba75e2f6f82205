/**
 * `bttc-node devnet` as a child process for the multi-process tests: start it, read its status.json,
 * show its output when a test fails, and stop it with Ctrl-C checking that every node went away.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess, type ExecFileOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DevnetSnapshot } from '../../src/devnet/supervisor.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');

/** `bttc-node …` as a child process, without blocking this one: its exit code (-1 if it had none) and output. */
export function runBin(args: string[], opts: ExecFileOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(BIN, args, { ...opts, encoding: 'utf8' }, (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

/** The devnet's last status.json, or null while it has not written one (or mid-write). */
export function readDevnetSnapshot(dir: string): DevnetSnapshot | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as DevnetSnapshot;
  } catch {
    return null;
  }
}

export class DevnetProcess {
  readonly dir: string;
  private readonly proc: ChildProcess;
  private out = '';

  /** Runs `bttc-node devnet --dir DIR …args`. */
  constructor(dir: string, args: string[]) {
    this.dir = dir;
    this.proc = spawn(BIN, ['devnet', '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  snapshot(): DevnetSnapshot | null {
    return readDevnetSnapshot(this.dir);
  }

  /** The tail of the devnet's output on stderr, for a failing test. */
  dumpOutput(): void {
    process.stderr.write(`--- devnet output ---\n${this.out.slice(-4000)}\n`);
  }

  /**
   * Ctrl-C: asserts a clean exit and that no node process is left, then removes the directory
   * (kept with KEEP_DEVNET=1).
   */
  async stopAndCheck(): Promise<void> {
    this.proc.kill('SIGINT');
    const p = this.proc;
    const code = await new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', r)));
    assert.equal(code, 0, 'Ctrl-C stops the devnet cleanly');
    for (const n of this.snapshot()?.nodes ?? []) if (n.pid) assert.throws(() => process.kill(n.pid!, 0), `node process ${n.pid} gone`);
    if (!existsSync(this.dir)) return;
    if (process.env.KEEP_DEVNET) console.log('kept', this.dir);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The port options of a devnet test (each test picks its own range) and the status line period. */
export function devnetPortArgs(ports: { rpc: number; rest: number; p2p: number; root: number }): string[] {
  return ['--rpc-port', String(ports.rpc), '--rest-port', String(ports.rest), '--p2p-port', String(ports.p2p), '--root-port', String(ports.root), '--status-interval', '2'];
}
