/**
 * `bttc-node audit checkpoint|span` as a user runs them, against fake endpoints on loopback: the JSON
 * on stdout, exit 0 on match, 1 on mismatch, 2 when the audit cannot be done (the message naming the
 * flag or URL, no stack trace), progress on stderr for a slow range.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin } from '../helpers/devnet.ts';
import { vectors } from '../helpers/vectors.ts';
import type { HeaderBlock } from '../../src/audit/interface.ts';
import { checkpointRoot } from '../../src/merkle/checkpoint.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { deadUrl, startFakeBttcRpc, startFakeEvmRootChain, startFakeRest, startFakeTronApi, syntheticBlock } from './fakes.ts';

/** Runs the CLI without blocking this process's event loop (the fakes answer from here). */
const run = (args: string[], env: Record<string, string> = {}) => runBin(args, { env: { ...process.env, ...env } });

function header(id: bigint, start: number, end: number): HeaderBlock {
  const hs = [];
  for (let n = start; n <= end; n++) {
    const b = syntheticBlock(n);
    hs.push({ number: n, timestamp: BigInt(b.timestamp as string), txRoot: hexToBytes(b.transactionsRoot as string), receiptsRoot: hexToBytes(b.receiptsRoot as string) });
  }
  return { id, root: bytesToHex(checkpointRoot(hs)), start: BigInt(start), end: BigInt(end), createdAt: 1n, proposer: '0x' + 'ab'.repeat(20) };
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

describe('bttc-node audit checkpoint', { timeout: 120_000 }, () => {
  it('exit 0 with the JSON on a match; 1 on a tampered block; 2 naming an unreachable endpoint', async () => {
    const hb = header(30000n, 200, 263);
    const bttc = await startFakeBttcRpc({ delayMs: 120 });
    const root = await startFakeEvmRootChain({ headers: [hb] });
    cleanups.push(bttc.close, root.close);
    const base = ['audit', 'checkpoint', '--bttc-rpc', bttc.url, '--root-rpc', root.url, '--root-chain', 'ethereum', '--header-block', '30000'];

    // Slow blocks (120 ms a request, 8 requests one at a time): progress on stderr.
    const ok = await run([...base, '--batch-size', '8', '--concurrency', '1']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { headerBlock: 30000, start: 200, end: 263, root: hb.root, recomputed: hb.root, match: true });
    assert.match(ok.stderr, /audit checkpoint: \d+\/64 blocks\n(.*\n)*audit checkpoint: 64\/64 blocks\n$/);
    assert.equal(bttc.batches.length, 8);

    bttc.tamper.set(230, { receiptsRoot: '0x' + '00'.repeat(32) });
    const bad = await run(base);
    assert.equal(bad.code, 1, bad.stderr);
    const out = JSON.parse(bad.stdout) as { match: boolean; recomputed: string; root: string };
    assert.equal(out.match, false);
    assert.notEqual(out.recomputed, out.root);
    assert.match(bad.stderr, /^bttc-node: header block 30000: the RootChain holds root 0x[0-9a-f]{64}, but Bttc blocks 200\.\.263 as --bttc-rpc serves them give 0x[0-9a-f]{64}\n$/);

    const dead = await deadUrl();
    const down = await run(['audit', 'checkpoint', '--bttc-rpc', dead, '--root-rpc', root.url, '--root-chain', 'ethereum', '--header-block', '30000', '--retries', '0']);
    assert.equal(down.code, 2);
    assert.equal(down.stdout, '');
    assert.equal(down.stderr, `bttc-node: --bttc-rpc ${dead}: cannot connect: ECONNREFUSED\n`);
    const rootDown = await run(['audit', 'checkpoint', '--bttc-rpc', bttc.url, '--root-rpc', dead, '--root-chain', 'ethereum', '--header-block', '30000', '--retries', '1']);
    assert.equal(rootDown.code, 2);
    assert.equal(rootDown.stderr, `bttc-node: --root-rpc ${dead}: cannot connect: ECONNREFUSED (2 attempts)\n`);
  });

  it('TRON by default from the mainnet preset, with TRON_PRO_API_KEY sent', async () => {
    const tron = await startFakeTronApi({ address: '418330108cfdd47544b398c15a3c252ad1d5a5566c', headers: [header(10000n, 0, 31)] });
    const bttc = await startFakeBttcRpc();
    cleanups.push(tron.close, bttc.close);
    const r = await run(['audit', 'checkpoint', '--bttc-rpc', bttc.url, '--root-rpc', tron.url, '--root-chain', 'tron', '--header-block', '10000'], { TRON_PRO_API_KEY: 'key-1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { match: boolean }).match, true);
    assert.ok(tron.calls.length > 0 && tron.calls.every((c) => c.headers['tron-pro-api-key'] === 'key-1'));
  });

  it('bad input exits 2 with the flag named', async () => {
    const cases: [string[], RegExp][] = [
      [['--root-chain', 'ethereum', '--header-block', '10000'], /required option '--bttc-rpc <URL>' not specified/],
      [['--bttc-rpc', 'http://x', '--root-rpc', 'http://y', '--root-chain', 'polygon', '--header-block', '10000'], /--root-chain: expected one of tron, ethereum, bsc, got "polygon"/],
      [['--bttc-rpc', 'http://x', '--root-rpc', 'http://y', '--root-chain', 'ethereum', '--header-block', '12345'], /--header-block: 12345 is not a header block id/],
      [['--bttc-rpc', 'http://x', '--root-rpc', 'http://y', '--root-chain', 'bsc', '--header-block', '10000'], /--root-chain-address: config\/mainnet\.json has no bsc RootChain; give its address/],
      [['--bttc-rpc', 'ftp://x', '--root-rpc', 'http://y', '--root-chain', 'ethereum', '--header-block', '10000'], /--bttc-rpc: expected an http\(s\) URL, got "ftp:\/\/x"/],
      [['--bttc-rpc', 'http://x', '--root-rpc', 'http://y', '--root-chain', 'ethereum', '--header-block', '10000', '--batch-size', '0'], /--batch-size: expected an integer from 1 to 1000, got "0"/],
    ];
    for (const [args, re] of cases) {
      const r = await run(['audit', 'checkpoint', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('bttc-node audit span', { timeout: 60_000 }, () => {
  it('exit 0 on the mainnet-shaped span, 1 on tampered producers, 2 when it cannot audit', async () => {
    const span = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'bttc-span-mainnet.json'), 'utf8')) as { result: { selected_producers: Record<string, unknown>[] } };
    const tampered = structuredClone(span);
    tampered.result.selected_producers[0]!.signer = '0x' + '01'.repeat(20);
    const draw = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'bttc-span-draw.json'), 'utf8')) as unknown;
    const rest = await startFakeRest(
      new Map<string, [number, unknown]>([
        ['/bor/span/0', [200, span]],
        ['/bor/span/1', [200, { ...tampered, result: { ...tampered.result, span_id: 1 } }]],
        ['/bor/span/7', [200, draw]],
        ['/bor/params', [200, { height: '9', result: { sprint_duration: 64, span_duration: 6400, producer_count: 11 } }]],
      ]),
    );
    cleanups.push(rest.close);

    const ok = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '0']);
    assert.equal(ok.code, 0, ok.stderr);
    const r = JSON.parse(ok.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(r), ['span', 'seed', 'producers', 'recomputed', 'match']);
    assert.equal(r.match, true);
    assert.equal(r.seed, null);

    const bad = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '1']);
    assert.equal(bad.code, 1);
    assert.equal((JSON.parse(bad.stdout) as { match: boolean }).match, false);
    assert.match(bad.stderr, /span 1: Delivery's selected_producers are not the producers recomputed/);

    const seed = vectors.producerSelection.cases[0]!.seed;
    const drawn = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '7', '--producer-count', '4', '--seed', seed]);
    assert.equal(drawn.code, 0, drawn.stderr);
    assert.equal((JSON.parse(drawn.stdout) as { seed: string }).seed, seed);

    const noSeed = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '7', '--producer-count', '4']);
    assert.equal(noSeed.code, 2);
    assert.match(noSeed.stderr, /give --seed 0x… or --root-rpc URL/);
    const both = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '7', '--seed', seed, '--root-rpc', 'http://x']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--seed and --root-rpc: give one/);
    const missing = await run(['audit', 'span', '--delivery-rest', rest.url, '--span', '5']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `bttc-node: --delivery-rest ${rest.url}/bor/span/5: no span 5\n`);
  });
});
