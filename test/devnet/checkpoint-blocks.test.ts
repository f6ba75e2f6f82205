/**
 * Also `--delivery-empty-block-ms MS` (every node's deliveryEmptyBlockMs), the same way.
 *
 * `bttc-node devnet --checkpoint-blocks N` (the knob the checkpoint-bound devnet tests use to run
 * short checkpoints), without starting processes: the layout keeps N, every node's config and the
 * root chain's StakeManager (checkPointBlockInterval) get it, a devnet without the flag keeps the
 * preset's length, and the CLI refuses a bad N and a changed N on a resumed devnet, naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createDevnet, readLayout, writeNodeConfig, type RootInfo } from '../../src/devnet/setup.ts';
import { parseNodeFile } from '../../src/node/config.ts';
import { BIN } from '../helpers/devnet.ts';

const ROOT: RootInfo = {
  rpcUrl: 'http://127.0.0.1:9999',
  contracts: { stakeManager: '0x' + '11'.repeat(20), rootChain: '0x' + '22'.repeat(20), stateSender: '0x' + '33'.repeat(20), stakingNft: '0x' + '44'.repeat(20), bttToken: '0x' + '55'.repeat(20) },
};
const PORTS = { rpc: 9000, rest: 9100, p2p: 9200, root: 9300 };
const PRESET = loadConfig('devnet').checkpoint.avgLength;

function written(dir: string): { layout: number | undefined; node: number; rootInterval: number } {
  const layout = readLayout(dir)!;
  const file = writeNodeConfig(dir, layout, 0, ROOT);
  const node = parseNodeFile(JSON.parse(readFileSync(file, 'utf8')), file).config.checkpoint.avgLength;
  const rootInterval = (JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { staking: { checkpointBlockInterval: number } }).staking.checkpointBlockInterval;
  return { layout: layout.checkpointBlocks, node, rootInterval };
}

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => execFile(BIN, args, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr })));
}

test('devnet --checkpoint-blocks: the layout, node configs and the root chain carry it; without it the preset', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-ckpt-'));
  try {
    await createDevnet(join(dir, 'short'), { validators: 1, ports: PORTS, checkpointBlocks: 8 });
    assert.deepEqual(written(join(dir, 'short')), { layout: 8, node: 8, rootInterval: 8 });
    await createDevnet(join(dir, 'preset'), { validators: 1, ports: PORTS });
    assert.notEqual(PRESET, 8, 'the two cases differ');
    assert.deepEqual(written(join(dir, 'preset')), { layout: undefined, node: PRESET, rootInterval: PRESET });

    // A bad length is refused naming the flag, before anything is created.
    const bad = await cli(['devnet', '--dir', join(dir, 'bad'), '--checkpoint-blocks', '1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--checkpoint-blocks: expected an integer from 2 to 1024, got "1"/);
    assert.ok(!existsSync(join(dir, 'bad')), 'nothing created');
    // A resumed devnet keeps its length: another one is refused, never ignored.
    const changed = await cli(['devnet', '--dir', join(dir, 'short'), '--checkpoint-blocks', '16']);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /holds a devnet of 8-block checkpoints; use --reset to start a new one with --checkpoint-blocks 16/);
    assert.equal(readLayout(join(dir, 'short'))?.checkpointBlocks, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet --delivery-empty-block-ms: every node config carries it; without it the node default 0; bad or changed values are refused', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-empty-'));
  const nodeValue = (d: string) => {
    const file = writeNodeConfig(d, readLayout(d)!, 0, ROOT);
    return parseNodeFile(JSON.parse(readFileSync(file, 'utf8')), file).node.deliveryEmptyBlockMs;
  };
  try {
    await createDevnet(join(dir, 'idle'), { validators: 1, ports: PORTS, deliveryEmptyBlockMs: 5000 });
    assert.equal(readLayout(join(dir, 'idle'))?.deliveryEmptyBlockMs, 5000);
    assert.equal(nodeValue(join(dir, 'idle')), 5000);
    await createDevnet(join(dir, 'plain'), { validators: 1, ports: PORTS });
    assert.equal(nodeValue(join(dir, 'plain')), 0);

    const bad = await cli(['devnet', '--dir', join(dir, 'bad'), '--delivery-empty-block-ms', '-1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--delivery-empty-block-ms: expected an integer from 0 to 600000, got "-1"/);
    assert.ok(!existsSync(join(dir, 'bad')), 'nothing created');
    const changed = await cli(['devnet', '--dir', join(dir, 'idle'), '--delivery-empty-block-ms', '2000']);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /holds a devnet with --delivery-empty-block-ms 5000; use --reset to start a new one with --delivery-empty-block-ms 2000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
