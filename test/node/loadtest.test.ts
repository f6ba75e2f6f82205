/**
 * `bttc-node loadtest` against a real JSON-RPC endpoint: the embedded root chain (`bttc-node
 * rootchain`) as its own process, with the test's accounts funded in its genesis. The report is
 * checked against the chain read independently through ethers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import type { LoadReport } from '../../src/loadtest/runner.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');
const KEYS = Array.from({ length: 8 }, (_, i) => '0x' + (0xa11ce + i).toString(16).padStart(64, '0'));
const ADDRS = KEYS.map((k) => new Wallet(k).address);
let dir: string;
let rc: ChildProcess;
let url: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bttc-loadtest-'));
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: KEYS }));
  const alloc = Object.fromEntries(ADDRS.map((a) => [a.toLowerCase(), { balance: (10n ** 24n).toString() }]));
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify({ chainId: 31337, borChainId: 1337199, deployerKey: '0x' + '77'.repeat(32), alloc, validators: [] }));
  rc = spawn(BIN, ['rootchain', '--datadir', join(dir, 'rc'), '--genesis', join(dir, 'genesis.json'), '--port', '0', '--block-time', '1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  url = await new Promise<string>((res, rej) => {
    rc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"rpcUrl": "([^"]+)"/.exec(out);
      if (m) res(m[1]!);
    });
    rc.once('exit', (code) => rej(new Error(`rootchain exited with ${code}`)));
  });
});

after(async () => {
  if (rc.exitCode === null) {
    rc.kill('SIGTERM');
    await new Promise((r) => rc.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Async, so the event loop (and ethers' request cache timers) keep running while it works. */
async function loadtest(args: string[]): Promise<{ report: LoadReport; status: number | null; stderr: string }> {
  const p = spawn(BIN, ['loadtest', '--rpc', url, '--keys', join(dir, 'keys.json'), '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((r) => p.once('exit', r));
  return { report: status === 0 ? (JSON.parse(stdout) as LoadReport) : (undefined as never), status, stderr };
}

test('transfer mode: every transaction included, report matches the chain', { timeout: 90_000 }, async () => {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  const noncesBefore = await Promise.all(ADDRS.map((a) => provider.getTransactionCount(a)));
  const { report, status, stderr } = await loadtest(['--mode', 'transfer', '--rate', '40', '--duration', '4']);
  assert.equal(status, 0, stderr);
  assert.equal(report.sent, 160);
  assert.equal(report.included, 160);
  assert.deepEqual(report.errors, {});
  const noncesAfter = await Promise.all(ADDRS.map((a) => provider.getTransactionCount(a)));
  assert.deepEqual(
    noncesAfter.map((n, i) => n - noncesBefore[i]!),
    ADDRS.map(() => 20),
    'each account sent its share, in nonce order',
  );
  let txs = 0;
  let gas = 0n;
  for (let n = report.blocks.first; n <= report.blocks.last; n++) {
    const b = (await provider.getBlock(n))!;
    txs += b.transactions.length;
    gas += b.gasUsed;
  }
  assert.equal(report.blocks.txs, txs);
  assert.equal(BigInt(report.blocks.gasUsed), gas);
  assert.equal(gas, 160n * 21000n);
  assert.ok(Math.abs(report.mgasPerSec - Number(gas) / report.windowSeconds / 1e6) < 1e-9);
  assert.ok(report.inclusionLatency.count === 160 && report.inclusionLatency.p99! < 10);
  assert.ok(report.blockInterval.p50! > 0.5 && report.blockInterval.p50! < 2, `1 s blocks seen as ${report.blockInterval.p50}`);
  // The generator's own loop delay is reported beside the arrival times it qualifies.
  const lag = report.observerLag;
  assert.ok(lag.p50 > 0 && lag.p50 <= lag.p99 && lag.p99 <= lag.max && lag.max < 5, JSON.stringify(lag));
  provider.destroy();
});

test('erc20 mode: token deployed first, every holder pays its neighbour', { timeout: 90_000 }, async () => {
  const { report, status, stderr } = await loadtest(['--mode', 'erc20', '--rate', '24', '--duration', '2']);
  assert.equal(status, 0, stderr);
  assert.equal(report.included, 48);
  assert.deepEqual(report.errors, {});
  assert.match(report.token ?? '', /^0x[0-9a-f]{40}$/);
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  const token = new Contract(report.token!, ['function balanceOf(address) view returns (uint256)', 'function totalSupply() view returns (uint256)'], provider);
  // Each account sent 6 transfers of 1 and received 6 from its neighbour: balances unchanged, supply intact.
  for (const a of ADDRS) assert.equal(await token.getFunction('balanceOf')(a), 10n ** 30n);
  assert.equal(await token.getFunction('totalSupply')(), 8n * 10n ** 30n);
  const logs = await provider.getLogs({ address: report.token!, fromBlock: report.blocks.first, toBlock: report.blocks.last });
  assert.equal(logs.length, 48, 'one Transfer event per load transaction');
  provider.destroy();
});

test('an unfunded account is named, not sent from', { timeout: 30_000 }, () => {
  const f = join(dir, 'poor.json');
  writeFileSync(f, JSON.stringify(['0x' + '42'.repeat(32)]));
  const r = spawnSync(BIN, ['loadtest', '--rpc', url, '--keys', f, '--rate', '1', '--duration', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${new Wallet('0x' + '42'.repeat(32)).address.toLowerCase()} has no balance`));
});
