/**
 * Evidence packages: a checkpoint's package built from a real log (LevelDB, hash pool, checkpoint
 * signatures made with the protocol's signer) verifies offline; changing any one byte of the file
 * makes it fail; private fields are redacted yet the chain still verifies; a malformed --slash id
 * and --proposal a proposal the log does not hold exit 2 naming the cause.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runBin } from '../helpers/devnet.ts';
import { testKeys } from '../helpers/keys.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { HashPool } from '../../src/pools/hashPool.ts';
import { LevelStore } from '../../src/db/level.ts';
import { AuditLog } from '../../src/audit-log/log.ts';
import { AuditStore } from '../../src/audit-log/store.ts';
import { AuditLogService } from '../../src/audit-log/service.ts';
import { records } from '../../src/audit-log/constructors.ts';
import { canonicalHash } from '../../src/audit-log/writers.ts';
import { buildCheckpointPackage, parsePackageText, serializePackage, verifyPackage } from '../../src/audit-log/evidence.ts';
import { isRedacted, type LogExport } from '../../src/audit-log/verify.ts';
import { signCheckpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { packageVerifies } from '../helpers/evidence.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const [k1, k2, k3] = testKeys(3, 'evidence');
const CHAIN_ID = 1337199;

const run = (args: string[]) => runBin(args);

const verifies = packageVerifies;

describe('evidence packages', () => {
  let pool: HashPool;
  let log: LogExport;
  const dir = makeTempDir('evidence');
  before(async () => {
    pool = new HashPool({ threads: 1 });
    const db = await LevelStore.open(join(dir.path, 'node'));
    const store = new AuditStore(db);
    const al = await AuditLog.open(
      { chainId: CHAIN_ID, signer: { privateKey: k1!.secret, address: k1!.addressHex }, privateRetentionMs: 1e9, batchMaxRecords: 4, batchIntervalMs: 0 },
      { store, sealer: pool },
    );
    const cp = { proposer: k1!.addressHex, start: 32, end: 63, rootHash: '0x' + '3c'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: CHAIN_ID, epoch: 2 };
    const sigs = [k1!, k2!].map((k) => ({ signer: k.addressHex, signature: bytesToHex(signCheckpoint(cp, k.secret)) })).sort((a, b) => (a.signer < b.signer ? -1 : 1));
    const at = (h: number) => ({ height: h, time: 1_700_000_000_000 + h * 1000 });
    for (let i = 0; i < 3; i++) al.append(records.spanCommitted(at(i), { id: i, startBlock: i * 256, endBlock: i * 256 + 255, producers: [] }));
    al.append(records.nodeStart(at(3), { version: 'v', role: 'validator', signer: k1!.addressHex, configHash: '0x' + '01'.repeat(32), head: 0, listen: ['/ip4/10.1.2.3/tcp/30303'] }));
    al.append(records.checkpointProposed(at(4), { rootChainId: 2, ...cp }, 1));
    al.append(records.checkpointSigned(at(5), { rootChainId: 2, ...cp }, sigs, canonicalHash(sigs)));
    al.append(
      records.validatorAlert(at(5), {
        validatorId: 3,
        signer: k3!.addressHex,
        alert: 'checkpoint-signature-missing',
        detail: { rootChainId: 2, start: 32, end: 63, rootHash: cp.rootHash, peerId: '12D3KooWPeerOfValidator3' },
      }),
    );
    al.append(records.checkpointSubmitted(at(6), { rootChainId: 2, start: 32, end: 63 }, 'submitted', '0x' + '77'.repeat(32)));
    al.append(records.checkpointAcked(at(8), { rootChainId: 2, ...cp, number: 2, headerBlockId: '20000', txHash: '0x' + '77'.repeat(32), signatureCount: 2 }));
    for (let i = 9; i < 12; i++) al.append(records.spanCommitted(at(i), { id: i, startBlock: 0, endBlock: 1, producers: [] }));
    await al.close();
    const identity = {
      chainId: CHAIN_ID,
      signer: k1!.addressHex,
      anchorContract: '0x0000000000000000000000000000000000001a0d',
      rootChain: { id: 2, name: 'ethereum', address: '0x' + '44'.repeat(20) },
    };
    await store.meta.put('identity', identity);
    log = await new AuditLogService(identity, { store }).exportAll();
    await db.close();
  });
  after(async () => {
    await pool.close();
    dir.remove();
  });

  it('a checkpoint package verifies offline: manifest, redacted chain, signature set and validation', async () => {
    const pkg = buildCheckpointPackage(log, 2, { now: 1 });
    const text = serializePackage(pkg);
    assert.equal(serializePackage(buildCheckpointPackage(log, 2, { now: 1 })), text, 'stable: the same log gives the same bytes');
    const report = await verifyPackage(parsePackageText(text, 'pkg'), null);
    assert.equal(report.failure, null);
    assert.equal(report.ok, true);
    assert.equal(report.validSignatures, 2);
    const full = pkg.content.records.filter((r) => !isRedacted(r));
    assert.deepEqual(
      full.map((r) => (isRedacted(r) ? '' : r.type)),
      ['checkpoint.proposed', 'checkpoint.signed', 'checkpoint.submitted', 'checkpoint.acked'],
    );
    const redacted = pkg.content.records.filter(isRedacted);
    assert.deepEqual(
      redacted.map((r) => [r.seq, r.redacted]),
      [
        [6, 'private-field:peerId'],
        [9, 'not-involved'],
        [10, 'not-involved'],
        [11, 'not-involved'],
      ],
    );
    assert.ok(!text.includes('10.1.2.3') && !text.includes('12D3KooWPeerOfValidator3'), 'no peer address or id in the package');
    assert.deepEqual(pkg.content.blockRange, { start: 32, end: 63, blocks: 32 });
    assert.match(pkg.content.summary, /^# Evidence package: checkpoint 2 \(root chain 2\)\n/);
    assert.match(pkg.content.summary, /Signatures: 2 of 2 recover to their signer/);
    assert.throws(() => buildCheckpointPackage(log, 3), /--checkpoint 3: no checkpoint\.acked record for it/);
  });

  it('any one byte changed: the package no longer verifies', async () => {
    const text = serializePackage(buildCheckpointPackage(log, 2, { now: 1 }));
    assert.equal(await verifies(text), true);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 94 }), async (pos, delta) => {
        const c = text.charCodeAt(pos);
        const changed = String.fromCharCode(32 + ((c - 32 + delta) % 95));
        if (changed === text[pos]) return;
        assert.equal(await verifies(text.slice(0, pos) + changed + text.slice(pos + 1)), false, `byte ${pos} ${JSON.stringify(text[pos])} → ${JSON.stringify(changed)}`);
      }),
      { numRuns: 150 },
    );
  });

  it('a forged validation or signature set is named', async () => {
    const pkg = buildCheckpointPackage(log, 2, { now: 1 });
    const forged = structuredClone(pkg);
    forged.content.validation!.validSignatures = 3;
    const { manifest: _m, ...rest } = forged;
    // a forger who also recomputes the manifest is still caught by the re-check
    const reSealed = buildManifestLike(rest);
    const report = await verifyPackage(parsePackageText(serializePackage(reSealed), 'pkg'), null);
    assert.match(report.failure ?? '', /validation: the stated result is not what the signatures give/);
  });

  it('CLI: evidence export → audit package exit 0; a changed byte exit 1; --slash/--proposal exit 2 naming the cause', async () => {
    const exportFile = join(dir.path, 'log.json');
    writeFileSync(exportFile, JSON.stringify(log));
    const out = join(dir.path, 'cp2.json');
    const ex = await run(['evidence', 'export', '--checkpoint', '2', '--export', exportFile, '--out', out]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(JSON.parse(ex.stdout).id, 'checkpoint:2:2');
    const ok = await run(['audit', 'package', out]);
    assert.equal(ok.code, 0, ok.stderr);
    const text = readFileSync(out, 'utf8');
    const i = text.indexOf('"signatureCount":2');
    writeFileSync(out, text.slice(0, i) + '"signatureCount":3' + text.slice(i + 18));
    const bad = await run(['audit', 'package', out]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /audit package: manifest entry content\.records: /);
    const slash = await run(['evidence', 'export', '--slash', '7', '--out', out, '--export', exportFile]);
    assert.equal(slash.code, 2);
    assert.match(slash.stderr, /--slash: expected a slash id \(the evidence id, 0x 32-byte hex/);
    const prop = await run(['evidence', 'export', '--proposal', '1', '--out', out, '--export', exportFile]);
    assert.equal(prop.code, 2);
    assert.match(prop.stderr, /--proposal 0x0{63}1: no proposal\.created record for it in this node's log/);
    const none = await run(['evidence', 'export', '--checkpoint', '9', '--out', out, '--export', exportFile]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--checkpoint 9: no checkpoint\.acked record/);
  });
});

/** The package with its manifest recomputed, as a forger would do it. */
function buildManifestLike(rest: Omit<ReturnType<typeof buildCheckpointPackage>, 'manifest'>): ReturnType<typeof buildCheckpointPackage> {
  const h = (v: unknown) => canonicalHash(v);
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) if (k !== 'content') entries[k] = h(v);
  for (const [k, v] of Object.entries(rest.content)) entries[`content.${k}`] = h(v);
  return { ...rest, manifest: { algorithm: 'keccak256', entries, root: h(entries) } };
}
