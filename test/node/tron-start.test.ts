/**
 * `bttc-node start` with a TRON root chain, as BTTC mainnet has: a real node process whose config
 * names a `kind: "tron"` root chain served by a fake TRON full node on loopback (no TRON node is
 * reachable from here). The node must start, probe the chain over the wallet API and run its
 * watcher there; what a real TRON node would answer is not tested here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { generateValidatorKeys, writeKeyFile } from '../../src/node/keys.ts';
import { JsonRpcClient } from '../../src/loadtest/rpc.ts';
import type { NodeStatus } from '../../src/node/interface.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { startFakeTronNode } from '../root/fake-tron-node.ts';
import { until } from '../helpers/until.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');

test('start: a TRON root chain entry is wired (client, watcher) and the node runs', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-tron-start-'));
  const tron = await startFakeTronNode({ head: 1000, advanceEveryMs: 500 });
  const k = generateValidatorKeys();
  writeKeyFile(join(dir, 'k.json'), k);
  writeFileSync(
    join(dir, 'g.json'),
    JSON.stringify({
      network: 'devnet',
      bttc: { time: Math.floor(Date.now() / 1000), alloc: {} },
      delivery: { time: Date.now(), validators: [{ id: 1, signer: bytesToHex(k.signer.address), pubKey: bytesToHex(k.signer.publicKey) }] },
    }),
  );
  const tronRc = { ...loadConfig('mainnet').rootChains.find((c) => c.kind === 'tron')!, rpcUrl: tron.url };
  writeFileSync(
    join(dir, 'n.json'),
    JSON.stringify({
      preset: 'devnet',
      set: { rootChains: [tronRc] },
      node: {
        dataDir: './d',
        keys: './k.json',
        genesis: './g.json',
        verifyThreads: 0,
        executor: 'inline',
        p2p: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        rpc: { port: 0 },
        rest: { port: 0 },
        rootChains: [{ id: 1, startBlock: 950 }],
        tron: { maxFeeLimitSun: '5000000' },
      },
    }),
  );
  const child = spawn(BIN, ['start', '--config', join(dir, 'n.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BTTC_LOG_LEVEL: 'warn' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const ready = await until('the ready line', 60_000, () => {
      if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${err.slice(-2000)}`);
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      return line ? (JSON.parse(line) as { rpcUrl: string }) : null;
    });
    assert.ok(
      tron.calls.some((c) => c.path === '/wallet/getnowblock'),
      'the TRON client asked for the head',
    );
    // The watcher walks TRON blocks from startBlock, 18 confirmations behind the head.
    await until('the watcher reading TRON blocks', 20_000, () => tron.calls.some((c) => c.path === '/wallet/gettransactioninfobyblocknum' && c.body.num === 950));
    const status = await new JsonRpcClient(ready.rpcUrl, { timeoutMs: 3000 }).call<NodeStatus>('bttcnode_status');
    assert.equal(status.signer, bytesToHex(k.signer.address));
    // A second node on the same data dir is refused with the first one's PID, on the console
    // (synchronously is fine: it stops at the data dir, before it would ask the fake TRON node).
    const second = spawnSync(BIN, ['start', '--config', join(dir, 'n.json')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BTTC_LOG_LEVEL: 'warn' } });
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, new RegExp(`data dir .* is in use by PID ${child.pid}`));
    await until('a committed Delivery height', 30_000, async () => (await new JsonRpcClient(ready.rpcUrl, { timeoutMs: 3000 }).call<NodeStatus>('bttcnode_status')).delivery.height > 0);
  } catch (e) {
    process.stderr.write(`--- node stderr ---\n${err.slice(-3000)}\n`);
    throw e;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  try {
    assert.equal(child.exitCode, 0, 'SIGTERM stops it cleanly');
    // A validator that has voted refuses to start without its consensus WAL (it could sign twice).
    rmSync(join(dir, 'd', 'consensus.wal'));
    // Asynchronously: the fake TRON node answers from this process, so it must not be blocked.
    const again = spawn(BIN, ['start', '--config', join(dir, 'n.json')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BTTC_LOG_LEVEL: 'warn' } });
    let againErr = '';
    again.stderr.on('data', (d: Buffer) => (againErr += d.toString()));
    const code = await new Promise<number | null>((r) => again.once('exit', r));
    assert.notEqual(code, 0);
    assert.match(againErr, /consensus WAL is missing, but this node has already taken part in consensus/);
  } finally {
    await tron.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
