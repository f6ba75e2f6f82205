/**
 * `bttc-node devnet` refuses, with the real cause on the console, what used to half-start: a second
 * devnet on the same directory, a port something else holds, and ports given to a resumed devnet.
 * Each case stops before any process is started, so the test is quick.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { createDevnet, DEFAULT_PORTS } from '../../src/devnet/setup.ts';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
const base = mkdtempSync(join(tmpdir(), 'devnet-guards-'));
after(() => rmSync(base, { recursive: true, force: true }));

function devnet(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [MAIN, 'devnet', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

function layout(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'devnet.json'),
    JSON.stringify({ version: 1, validators: 1, ports: { rpc: 47545, rest: 47317, p2p: 47303, root: 47645 }, peerIds: ['x'], followers: 0, rootStartBlock: null, loadtestAccounts: 1 }),
  );
}

test('a port something else listens on is named, and no devnet directory is left behind', async () => {
  const dir = join(base, 'busy');
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(47911, '127.0.0.1', r));
  try {
    const r = devnet(['--dir', dir, '--validators', '2', '--rpc-port', '47910', '--rest-port', '47920', '--p2p-port', '47930', '--root-port', '47940']);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /47911 \(validator 1 JSON-RPC\)/);
    assert.equal(existsSync(dir), false, 'nothing was created');
  } finally {
    holder.close();
  }
});

test('ports that overlap each other are refused before anything starts', () => {
  const r = devnet(['--dir', join(base, 'overlap'), '--validators', '4', '--rpc-port', '47700', '--rest-port', '47702', '--p2p-port', '47800', '--root-port', '47900']);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /port 47702 would serve both validator 0 Delivery REST and validator 2 JSON-RPC/);
});

test('a second devnet on a running one names its PID', async () => {
  const dir = join(base, 'running');
  layout(dir);
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, 'devnet.pid'), `${other.pid}\n`);
    const r = devnet(['--dir', dir]);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, new RegExp(`already running in .*running \\(PID ${other.pid}\\)`));
  } finally {
    other.kill('SIGKILL');
  }
});

test('a resumed devnet refuses ports other than its own instead of ignoring them', () => {
  const dir = join(base, 'resumed');
  layout(dir);
  const r = devnet(['--dir', dir, '--rpc-port', '9999']);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /was created with --rpc-port 47545; a resumed devnet keeps its ports/);
});

test('the files holding keys are readable by their owner only', async () => {
  const dir = join(base, 'files');
  await createDevnet(dir, { validators: 1, followers: 0, ports: DEFAULT_PORTS });
  for (const f of ['root-genesis.json', 'loadtest-keys.json']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
});
