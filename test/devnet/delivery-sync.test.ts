/**
 * Delivery sync over the real network: a root chain and 4 validator processes whose consensus keeps
 * only 4 decided heights in memory (deliveryCatchUpHeights). One validator is SIGKILLed, stays down
 * well past that window, restarts, range-syncs the Delivery blocks and commits it missed from its
 * peers, and its precommits count in decisions again. Without the range sync it would wait forever
 * for a catch-up its peers can no longer serve.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDevnet, nodeDir, writeLayout } from '../../src/devnet/setup.ts';
import { writeNodeConfig, type RootInfo } from '../../src/devnet/setup.ts';
import { JsonRpcClient } from '../../src/loadtest/rpc.ts';
import type { NodeStatus } from '../../src/node/interface.ts';
import { until } from '../helpers/until.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');
const BASE = 41000 + (process.pid % 1000) * 12;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 9, p2p: 52000 + (process.pid % 1000) * 12 };
const WINDOW = 4;

function ready(child: ChildProcess, what: string, timeoutMs: number, parse: (out: string) => Record<string, unknown> | null): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`${what} not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const v = parse(out);
      if (v) {
        clearTimeout(t);
        res(v);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`${what} exited (${code}) before it was ready`));
    });
  });
}

test('a validator down longer than the consensus catch-up window range-syncs Delivery and signs again', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-dsync-'));
  const procs: (ChildProcess | null)[] = [];
  let root: ChildProcess | null = null;
  try {
    const layout = await createDevnet(dir, { validators: 4, ports: PORTS });
    const rfd = openSync(join(dir, 'rootchain.log'), 'a');
    root = spawn(BIN, ['rootchain', '--datadir', join(dir, 'rootchain'), '--genesis', join(dir, 'root-genesis.json'), '--port', String(PORTS.root), '--block-time', '1'], {
      stdio: ['ignore', 'pipe', rfd],
    });
    closeSync(rfd);
    const info = await ready(root, 'root chain', 120_000, (out) => {
      const end = out.indexOf('\n}\n');
      return end >= 0 ? (JSON.parse(out.slice(0, end + 2)) as Record<string, unknown>) : null;
    });
    layout.rootStartBlock = (info.head as number) + 1;
    writeLayout(dir, layout);
    const rootInfo: RootInfo = { rpcUrl: info.rpcUrl as string, contracts: info.contracts as RootInfo['contracts'] };
    const configs = Array.from({ length: 4 }, (_, i) => {
      const file = writeNodeConfig(dir, layout, i, rootInfo);
      const j = JSON.parse(readFileSync(file, 'utf8')) as { node: Record<string, unknown> };
      j.node.deliveryCatchUpHeights = WINDOW;
      j.node.logLevel = 'info';
      writeFileSync(file, JSON.stringify(j, null, 2));
      return file;
    });
    const start = (i: number) => {
      const fd = openSync(join(nodeDir(dir, i), 'node.log'), 'a');
      const child = spawn(BIN, ['start', '--config', configs[i]!], { stdio: ['ignore', 'pipe', fd] });
      closeSync(fd);
      procs[i] = child;
      return ready(child, `node ${i}`, 120_000, (out) => (out.includes('"ready":true') ? { ok: true } : null));
    };
    await Promise.all([0, 1, 2, 3].map(start));
    const rpc = (i: number) => new JsonRpcClient(`http://127.0.0.1:${PORTS.rpc + i}`, { timeoutMs: 3000 });
    const status = (i: number) => rpc(i).call<NodeStatus>('bttcnode_status');

    await until('every validator deciding Delivery heights', 90_000, async () => {
      const s = await Promise.all([0, 1, 2, 3].map(status));
      return s.every((x) => x.delivery.height >= 3 && x.delivery.lastSignedHeight !== null);
    });

    procs[3]!.kill('SIGKILL');
    await new Promise((r) => procs[3]!.once('exit', r));
    const downAt = (await status(0)).delivery.height;
    // Down for 3 windows and the sync lag: the others' in-memory catch-up no longer reaches back.
    const behind = await until('the others to move well past the window', 60_000, async () => {
      const s = await status(0);
      return s.delivery.height >= downAt + 3 * WINDOW + 4 ? s.delivery.height : null;
    });

    await start(3);
    const synced = await until('the restarted validator to sync by range and sign again', 60_000, async () => {
      const s = await status(3);
      return s.delivery.height > behind && s.delivery.syncedBlocks > 0 && s.delivery.lastSignedHeight !== null && s.delivery.lastSignedHeight > behind ? s : null;
    });
    assert.ok(synced.delivery.syncedBlocks >= behind - downAt - WINDOW, `synced ${synced.delivery.syncedBlocks} blocks by range (missed ${behind - downAt})`);
    // It follows the head with the others.
    const [s0, s3] = await Promise.all([status(0), status(3)]);
    assert.ok(Math.abs(s0.delivery.height - s3.delivery.height) <= 3, `heights ${s0.delivery.height} vs ${s3.delivery.height}`);
  } finally {
    for (const p of procs) p?.kill('SIGTERM');
    await Promise.all(
      procs.map((p) =>
        p && p.exitCode === null && p.signalCode === null
          ? new Promise((r) => {
              const t = setTimeout(() => {
                p.kill('SIGKILL');
                r(null);
              }, 10_000);
              p.once('exit', () => {
                clearTimeout(t);
                r(null);
              });
            })
          : null,
      ),
    );
    root?.kill('SIGTERM');
    if (root && root.exitCode === null)
      await new Promise((r) => {
        const t = setTimeout(() => {
          root!.kill('SIGKILL');
          r(null);
        }, 5000);
        root!.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    if (!process.env.KEEP_DEVNET) rmSync(dir, { recursive: true, force: true });
    else console.log('kept', dir);
  }
});
