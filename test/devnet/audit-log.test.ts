/**
 * Done means (issue 17, event log): on a real devnet (one validator process, the embedded root chain
 * process), the node's audit log is anchored on Bttc batch by batch, and once a checkpoint is acked,
 * the latest anchored digest it covers verifies down to a root-chain header block through the CLI:
 * the anchor transaction in its Bttc block, the RootChain header block covering that block, and a
 * Merkle proof of the block in the checkpoint root (re-checked here against the root chain). A
 * tampered anchor fails online and is named; a checkpoint's evidence package verifies online.
 * The test is not about the checkpoint length, so the devnet runs `--checkpoint-blocks 8` (~16 s of
 * 2 s blocks, not the preset's 32): about a minute on a shared 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs, runBin } from '../helpers/devnet.ts';
import type { AuditStatus } from '../../src/audit-log/interface.ts';
import type { LogExport, VerifyReport } from '../../src/audit-log/verify.ts';
import type { PackageReport } from '../../src/audit-log/evidence.ts';
import { verifyMerkleProof } from '../../src/audit-log/checkpoint-proof.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { readKeyFile } from '../../src/node/keys.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { recomputeRecordHash, type AuditRecord } from '../../src/audit-log/record.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Interface } from 'ethers';

// Clear of the other devnet tests' ranges (the highest, two-root-chains/root-outage, end near 60200).
const BASE = 60500 + (process.pid % 400) * 8;
const PORTS = { rpc: BASE, rest: BASE + 1, p2p: BASE + 2, root: BASE + 3 };
const REST = `http://127.0.0.1:${PORTS.rest}`;
const RPC = `http://127.0.0.1:${PORTS.rpc}`;
const ROOT = `http://127.0.0.1:${PORTS.root}`;
const CHAIN_ID = loadConfig('devnet').bttc.chainId;

const run = (args: string[]) => runBin(args, { maxBuffer: 64 << 20 });

async function rpc<T = string>(method: string, params: unknown[]): Promise<T> {
  const res = await fetch(RPC, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const j = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result as T;
}

async function status(): Promise<AuditStatus> {
  const res = await fetch(`${REST}/audit-log/status`);
  return ((await res.json()) as { result: AuditStatus }).result;
}

const rootChainAbi = new Interface(['function headerBlocks(uint256) view returns (bytes32 root, uint256 start, uint256 end, uint256 createdAt, address proposer)']);

test('devnet: the audit log is anchored on Bttc and its latest anchored digest verifies down to a root-chain header block', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-audit-log-'));
  const devnet = new DevnetProcess(dir, ['--validators', '1', '--checkpoint-blocks', '8', ...devnetPortArgs(PORTS)]);
  try {
    // Once the first batch is anchored, the signer sends a transaction of its own through RPC: later
    // anchors must take the nonces after it (the node counts what the signer sends through its pool).
    const first = await until('the first anchored batch', 120_000, async () => (await status()).latestAnchored, 1000);
    const signer = readKeyFile(join(dir, 'node-0', 'validator-keys.json')).signer;
    const nonce = BigInt(await rpc('eth_getTransactionCount', [bytesToHex(signer.address), 'pending']));
    const own = signLegacyTx({ nonce, gasPrice: 1_000_000_000n, gasLimit: 21_000n, to: hexToBytes('0x' + '5e'.repeat(20)), value: 1n }, CHAIN_ID, signer.privateKey);
    const ownHash = await rpc('eth_sendRawTransaction', [bytesToHex(own)]);

    // An anchored batch whose Bttc block an acked checkpoint covers, as the node's status reports it,
    // and a batch anchored after the signer's own transaction.
    let last: AuditStatus | null = null;
    const covered = await until(
      () => `an anchor covered by an acked checkpoint, and one after the signer's own transaction (status: ${JSON.stringify(last)})`,
      200_000,
      async () => {
        last = await status();
        return last.latestCovered && last.latestAnchored && last.latestAnchored.batch > first.batch + 1 ? last : null;
      },
      1000,
    );
    const ownReceipt = await rpc<{ status: string; blockNumber: string } | null>('eth_getTransactionReceipt', [ownHash]);
    assert.equal(ownReceipt?.status, '0x1', "the signer's own transaction was mined");
    const anchorsAfter = await rpc('eth_getTransactionCount', [bytesToHex(signer.address), 'latest']);
    assert.ok(BigInt(anchorsAfter) > nonce + 1n, 'anchors went on after the nonce the signer used itself');

    // The public records route the dashboard reads: records in order, each hash recomputed.
    const recs = ((await (await fetch(`${REST}/audit-log/records?from=0&limit=5`)).json()) as { result: AuditRecord[] }).result;
    assert.deepEqual(
      recs.map((r) => r.seq),
      [0, 1, 2, 3, 4],
    );
    for (const r of recs) assert.equal(recomputeRecordHash(r), r.hash);
    assert.equal(recs[0]!.type, 'node.start');
    const badLimit = await fetch(`${REST}/audit-log/records?limit=0`);
    assert.equal(badLimit.status, 400);
    assert.match(await badLimit.text(), /limit: expected an integer from 1 to 1000/);
    const anchored = covered.latestCovered!;
    assert.ok(covered.latestAnchored && covered.latestAnchored.batch >= anchored.batch);
    assert.equal(covered.anchorContract, '0x0000000000000000000000000000000000001a0d');
    assert.ok(covered.latestSeq !== null && covered.latestBatch !== null && covered.latestBatch.batch >= anchored.batch);
    assert.ok(anchored.checkpoint!.start <= anchored.block && anchored.block <= anchored.checkpoint!.end);

    // The CLI, from the running node's REST port, checks every anchor on Bttc and down to the root chain.
    const exportFile = join(dir, 'log.json');
    const r = await run(['audit', 'log', '--rest', REST, '--rpc', RPC, '--root', ROOT, '--out', exportFile]);
    assert.equal(r.code, 0, `audit log failed: ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    const report = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(report.ok, true);
    assert.ok(report.anchors.covered >= 1, JSON.stringify(report.anchors));
    const proof = report.proofs.find((p) => p.batch === anchored.batch);
    assert.ok(proof?.checkpoint, `batch ${anchored.batch} (the status's latest covered anchor) is proven down to a header block`);
    assert.equal(proof.checkpoint.headerBlockId, anchored.checkpoint!.headerBlockId);
    assert.equal(proof.txHash, anchored.txHash);
    assert.ok(report.latestCovered && report.latestCovered.batch >= anchored.batch);

    // Independently: the header block's root on the root chain, and the proof up to it.
    const rootJson = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { contracts: { rootChain: string } };
    const call = await fetch(ROOT, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_call',
        params: [{ to: rootJson.contracts.rootChain, data: rootChainAbi.encodeFunctionData('headerBlocks', [BigInt(proof.checkpoint.headerBlockId)]) }, 'latest'],
      }),
    });
    const [root, start, end] = rootChainAbi.decodeFunctionResult('headerBlocks', ((await call.json()) as { result: string }).result) as unknown as [string, bigint, bigint];
    assert.deepEqual([root, Number(start), Number(end)], [proof.checkpoint.root, proof.checkpoint.start, proof.checkpoint.end]);
    assert.equal(verifyMerkleProof(hexToBytes(proof.checkpoint.leaf), proof.checkpoint.leafIndex, proof.checkpoint.proof.map(hexToBytes), hexToBytes(root)), true);

    // A tampered anchor (another batch's transaction) fails online, named.
    const log = JSON.parse(readFileSync(exportFile, 'utf8')) as LogExport;
    const i = log.anchors.findIndex((a) => a.batch === anchored.batch);
    const other = log.anchors.find((a) => a.batch !== anchored.batch && a.block)!;
    log.anchors[i] = { ...log.anchors[i]!, txHash: other.txHash, block: other.block };
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(log));
    const t = await run(['audit', 'log', '--export', tampered, '--rpc', RPC, '--root', ROOT]);
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stderr, new RegExp(`audit log: anchor ${anchored.batch} fails: transaction ${other.txHash} does not anchor batch ${anchored.batch}`));

    // The covering checkpoint's evidence package verifies online (anchors and the header block).
    const pkgFile = join(dir, 'checkpoint.json');
    // (its ack record is sealed into a batch within auditLog.batchIntervalMs of the ack)
    let ex = { code: -1, stdout: '', stderr: '' };
    await until(
      () => `the evidence export of checkpoint ${anchored.checkpoint!.number} (last: ${ex.stderr})`,
      60_000,
      async () => {
        ex = await run(['evidence', 'export', '--checkpoint', String(anchored.checkpoint!.number), '--rest', REST, '--out', pkgFile]);
        return ex.code === 0;
      },
      2000,
    );
    const v = await run(['audit', 'package', pkgFile, '--rpc', RPC, '--root', ROOT]);
    assert.equal(v.code, 0, `${v.stderr}\n${v.stdout.slice(0, 2000)}`);
    const pr = JSON.parse(v.stdout) as PackageReport;
    assert.deepEqual(pr.headerBlock, { id: anchored.checkpoint!.headerBlockId, matches: true });
    assert.ok((pr.validSignatures ?? 0) >= 1);
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    await devnet.stopAndCheck();
  }
});
