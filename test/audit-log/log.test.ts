/**
 * The audit log on its real parts (LevelDB on disk, the hash pool's worker thread): canonical
 * encoding, the hash chain, signed batches, private retention, and `bttc-node audit log` naming the
 * first record, signature or anchor that was tampered with.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runBin } from '../helpers/devnet.ts';
import { testKey } from '../helpers/keys.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { HashPool } from '../../src/pools/hashPool.ts';
import { LevelStore } from '../../src/db/level.ts';
import { AuditLog } from '../../src/audit-log/log.ts';
import { AuditStore } from '../../src/audit-log/store.ts';
import { AuditLogService } from '../../src/audit-log/service.ts';
import { records } from '../../src/audit-log/constructors.ts';
import { canonicalJson, checkRecordInput, encodeRecordBody, recordBody, RECORD_TYPES, STREAM_ID, ZERO_HASH, type RecordInput } from '../../src/audit-log/record.ts';
import { packSealTask, sealPacked, batchDigest, recoverBatchSigner } from '../../src/audit-log/batch.ts';
import { verifyLog, type LogExport } from '../../src/audit-log/verify.ts';
import { merkleProof, verifyMerkleProof } from '../../src/audit-log/checkpoint-proof.ts';
import { checkpointRoot, leavesFromPreimages, packLeafPreimages } from '../../src/merkle/checkpoint.ts';
import { parseNodeFile } from '../../src/node/config.ts';
import { anchorCalldata, ANCHOR_SELECTOR, ANCHORED_TOPIC } from '../../src/audit-log/anchor-contract.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';

const key = testKey(7);
const signer = { privateKey: key.secret, address: key.addressHex };

const run = (args: string[]) => runBin(args);

function sample(i: number): RecordInput {
  return i % 3 === 0
    ? records.spanCommitted({ height: i, time: 1_700_000_000_000 + i }, { id: i, startBlock: i * 64, endBlock: i * 64 + 63, producers: [key.addressHex] })
    : records.checkpointProposed(
        { height: i, time: 1_700_000_000_000 + i },
        { rootChainId: 2, proposer: key.addressHex, start: i * 32, end: i * 32 + 31, rootHash: bytesToHex(keccak256(Uint8Array.of(i & 0xff))) },
        1,
      );
}

describe('record encoding', () => {
  it('the batch write path gives the same keys and values as the records repository, past 2^32', () => {
    const store = new AuditStore({} as never); // only key/value encoding is used, no I/O
    for (const firstSeq of [0, 41, 0xffff_fffe, 2 ** 40 + 3]) {
      const bodies = [1, 2, 3].map((i) => encodeRecordBody(recordBody({ ...sample(i), seq: firstSeq + i - 1, time: 7 })));
      const prev = keccak256(Uint8Array.of(1));
      const hashes = new Uint8Array(96).map((_, i) => (i * 7 + firstSeq) & 0xff);
      const ops = store.recordPutOps('private', firstSeq, prev, hashes, bodies);
      bodies.forEach((b, i) => {
        const expected = store.records.putOp([STREAM_ID.private, firstSeq + i], {
          ...JSON.parse(new TextDecoder().decode(b.subarray(1))),
          prev: bytesToHex(i === 0 ? prev : hashes.subarray((i - 1) * 32, i * 32)),
          hash: bytesToHex(hashes.subarray(i * 32, i * 32 + 32)),
        });
        const op = ops[i]!;
        assert.equal(op.type, 'put');
        assert.deepEqual([...op.key], [...expected.key], `key of seq ${firstSeq + i}`);
        assert.deepEqual([...(op as { value: Uint8Array }).value], [...(expected as { value: Uint8Array }).value], `value of seq ${firstSeq + i}`);
      });
    }
  });

  it('is canonical JSON behind a version byte: keys sorted, no whitespace, floats refused', () => {
    const body = recordBody({ ...sample(1), seq: 5, time: 7 });
    const bytes = encodeRecordBody(body);
    assert.equal(bytes[0], 1);
    const text = new TextDecoder().decode(bytes.subarray(1));
    assert.equal(text, canonicalJson(JSON.parse(text)));
    assert.match(
      text,
      /^\{"correlationId":"checkpoint:2:32-63","evidenceHash":"0x[0-9a-f]{64}","height":1,"payload":\{"end":63,"proposer":"0x[0-9a-f]{40}","rootChainId":2,"rootHash":"0x[0-9a-f]{64}","start":32\},"seq":5,"severity":"info","subject":"checkpoint:2:32-63","time":7,"type":"checkpoint.proposed","v":1,"validatorId":1\}$/,
    );
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x"'], c: { z: 0, y: -1 } }), '{"a":[true,null,"x\\""],"b":1,"c":{"y":-1,"z":0}}');
    assert.throws(() => canonicalJson({ x: { y: 0.5 } }), /\$\.x\.y is 0\.5: only safe integers/);
    assert.throws(() => canonicalJson({ x: 1n }), /\$\.x is a bigint/);
  });

  it('every record type has its typed constructor, and a malformed record is refused naming the field', async () => {
    const c = { height: 9, time: 1 };
    const h = '0x' + '11'.repeat(32);
    const cp = { rootChainId: 2, proposer: key.addressHex, start: 0, end: 31, rootHash: h };
    const made = [
      records.checkpointProposed(c, cp),
      records.checkpointSigned(c, cp, [{ signer: key.addressHex, signature: '0x' + '22'.repeat(65) }], h),
      records.checkpointSubmitted(c, cp, 'submitted', h),
      records.checkpointAcked(c, { ...cp, number: 1, headerBlockId: '10000', txHash: h, signatureCount: 1 }),
      records.checkpointNoAck(c, 2, 'applied'),
      records.spanCommitted(c, { id: 1, startBlock: 0, endBlock: 255, producers: [] }),
      records.stateSync(c, { id: 1, contract: key.addressHex, txHash: h, logIndex: 0, rootChainId: 2, dataHash: h }),
      records.validatorAlert(c, { validatorId: 1, signer: key.addressHex, alert: 'checkpoint-signature-missing', detail: {} }),
      records.nodeStart(c, { version: 'v', role: 'validator', signer: key.addressHex, configHash: h, head: 0 }),
      records.nodeStop(c, { signer: key.addressHex, startedAt: 0, reason: 'shutdown' }),
      records.configChange(c, { previousHash: null, hash: h, changed: [] }),
      records.localError(c, { component: 'x', message: 'y', correlationId: 'z' }),
      records.slashEvidence(c, { validatorId: 1, offense: 'double-sign', evidenceHash: h, detail: {} }),
      records.slashCandidate(c, { slashId: '1', validatorId: 1, offense: 'double-sign', evidenceHash: h, challengeUntil: 5, fraction: '0.05' }),
      records.slashFinal(c, { slashId: '1', validatorId: 1, evidenceHash: h, outcome: 'slashed', amount: '1' }),
      records.slashBatchSigned(c, { nonce: 1, digest: h, proposer: '0x' + '11'.repeat(20), evidenceHashes: [h], signatureCount: 3, data: '0x', signatures: [] }),
      records.slashBatchSubmitted(c, { nonce: 1, evidenceHashes: [h], outcome: 'submitted', txHash: h }),
      records.proposalCreated(c, { proposalId: '1', proposer: key.addressHex, snapshot: 5, deadline: 9, rootChainId: 2, rootTxHash: h, rootBlock: 4 }),
      records.snapshotFixed(c, { proposalId: '1', snapshotBlock: 5, deadline: 9, snapshotHash: h }),
      records.ballotAccepted(c, { proposalId: '1', index: 0, voter: key.addressHex, support: 1, power: '1', nonce: '0', ballotHash: h }),
      records.ballotRefused(c, { proposalId: '1', index: 1, voter: null, reasonCode: 'malformed', detail: 'x' }),
      records.tallyStart(c, { proposalId: '1', governor: key.addressHex, chainId: '1', totalPower: '1', voters: 1, powersHash: h }),
      records.tallyFinish(c, { proposalId: '1', manifestRoot: h, outcome: 'passed', ballotCount: 1, refusals: 1, closeHeight: 3, submitter: key.addressHex, data: '0x', tally: {}, signatures: [] }),
      records.tallyAnchored(c, { proposalId: '1', manifestRoot: h, rootTxHash: h, rootBlock: 7, outcome: 1, signed: '1' }),
      records.upgradeQueued(c, { upgradeId: 'u', target: key.addressHex, implementation: key.addressHex, eta: 9, rationaleHash: h }),
      records.upgradeExecuted(c, { upgradeId: 'u', target: key.addressHex, implementation: key.addressHex, txHash: h }),
    ];
    assert.deepEqual(made.map((r) => r.type).sort(), [...RECORD_TYPES].sort());
    for (const r of made) checkRecordInput(r);
    assert.throws(() => checkRecordInput({ ...made[0]!, type: 'nope' as RecordInput['type'] }), /type "nope" is not one of/);
    assert.throws(() => checkRecordInput({ ...made[0]!, evidenceHash: '0x12' }), /evidenceHash "0x12" is not lower-case 0x 32-byte hex/);
    assert.throws(() => encodeRecordBody(recordBody({ ...made[0]!, payload: { f: 1.5 }, seq: 0, time: 0 })), /\$\.payload\.f is 1\.5/);
  });
});

describe('batches sealed in the hash pool', () => {
  let pool: HashPool;
  before(() => {
    pool = new HashPool({ threads: 1 });
  });
  after(() => pool.close());

  it('the worker chains, digests and signs exactly as the inline code, and the signature recovers to the signer', async () => {
    const bodies = [0, 1, 2].map((i) => encodeRecordBody(recordBody({ ...sample(i), seq: 10 + i, time: 1 })));
    const header = { chainId: 1337, stream: 'public' as const, batch: 3, firstSeq: 10, lastSeq: 12, prevDigest: bytesToHex(keccak256(Uint8Array.of(1))) };
    const task = { prevHash: keccak256(Uint8Array.of(2)), secretKey: key.secret, privateHead: new Uint8Array(32), header, bodies };
    const inWorker = await pool.auditBatch(packSealTask(task));
    assert.deepEqual(inWorker, sealPacked(packSealTask(task)));
    const hashes = [0, 1, 2].map((i) => inWorker.slice(i * 32, i * 32 + 32));
    let prev = task.prevHash;
    for (const [i, b] of bodies.entries()) {
      const h = keccak256(new Uint8Array([...prev, ...keccak256(b)]));
      assert.deepEqual(hashes[i], h, `record ${i} hash`);
      prev = h;
    }
    const digest = batchDigest({ ...header, lastHash: bytesToHex(prev), privateHead: ZERO_HASH });
    assert.deepEqual(inWorker.slice(96, 128), digest);
    assert.equal(recoverBatchSigner(digest, inWorker.slice(128)), key.addressHex);
  });

  it('append → seal → LevelDB: the log verifies, and a tampered record, signature or anchor is named', async () => {
    const dir = makeTempDir('audit-log');
    try {
      const db = await LevelStore.open(join(dir.path, 'node'));
      const store = new AuditStore(db);
      const log = await AuditLog.open({ chainId: 1337, signer, privateRetentionMs: 3_600_000, batchMaxRecords: 16, batchIntervalMs: 0 }, { store, sealer: pool });
      for (let i = 0; i < 50; i++) log.append(sample(i));
      log.append(records.localError({ height: 1 }, { component: 'p2p', message: 'peer 10.0.0.1 refused', correlationId: 'x' }), 'private');
      await log.flush();
      assert.deepEqual([log.head('public').nextSeq, log.head('public').nextBatch, log.head('private').nextSeq], [50, 4, 1]);
      const batch0 = (await store.batch('public', 0))!;
      // the public batch sealed after the private one commits to the private head
      assert.equal(batch0.privateHead, (await store.record('private', 0))!.hash);
      const identity = { chainId: 1337, signer: key.addressHex, anchorContract: '0x0000000000000000000000000000000000001a0d' };
      await store.meta.put('identity', identity);
      const txHash = '0x' + 'ab'.repeat(32);
      for (const b of [0, 1, 2]) await store.anchors.put(b, { batch: b, digest: (await store.batch('public', b))!.digest, txHash, nonce: String(b), sentAt: 1, block: null });
      const service = new AuditLogService(identity, { store });
      const good = await service.exportAll();
      assert.equal(good.records.length, 50);
      assert.ok(!good.records.some((r) => r.type === 'local.error'), 'private records are not exported');
      assert.equal((await verifyLog(good, null)).ok, true);
      await log.close();
      await db.close();

      // the CLI on the data dir: verified
      const ok = await run(['audit', 'log', '--datadir', dir.path]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).records, 50);

      // one record changed on disk: named
      const db2 = await LevelStore.open(join(dir.path, 'node'));
      const s2 = new AuditStore(db2);
      const k = s2.records.key([STREAM_ID.public, 21]);
      const raw = (await db2.get(k))!;
      const text = new TextDecoder().decode(raw.subarray(65)).replace('"height":21', '"height":22');
      await db2.put(k, new Uint8Array([...raw.subarray(0, 65), ...new TextEncoder().encode(text)]));
      await db2.close();
      const bad = await run(['audit', 'log', '--datadir', dir.path]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /audit log: record 21 fails: content does not match its hash/);
      assert.deepEqual(JSON.parse(bad.stdout).failure, { kind: 'record', id: 21, reason: JSON.parse(bad.stdout).failure.reason });

      // one signature changed (an export file): named
      const sigBad: LogExport = structuredClone(good);
      const s = sigBad.batches[2]!.signature;
      sigBad.batches[2]!.signature = s.slice(0, 10) + (s[10] === '0' ? '1' : '0') + s.slice(11);
      const f1 = join(dir.path, 'sig.json');
      writeFileSync(f1, JSON.stringify(sigBad));
      const r1 = await run(['audit', 'log', '--export', f1]);
      assert.equal(r1.code, 1);
      assert.match(r1.stderr, /batch 2 fails: signature recovers to (0x[0-9a-f]{40}|nothing), not the log's signer/);

      // one anchor changed: named
      const anchorBad: LogExport = structuredClone(good);
      anchorBad.anchors[1]!.digest = anchorBad.batches[0]!.digest;
      const f2 = join(dir.path, 'anchor.json');
      writeFileSync(f2, JSON.stringify(anchorBad));
      const r2 = await run(['audit', 'log', '--export', f2]);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /anchor 1 fails: anchors digest 0x[0-9a-f]{64}, but batch 1's digest is/);

      // a dropped record breaks the chain at that seq
      const dropped: LogExport = structuredClone(good);
      dropped.records.splice(30, 1);
      assert.deepEqual((await verifyLog(dropped, null)).failure?.id, 30);

      // bad flags: exit 2 naming them
      const r3 = await run(['audit', 'log', '--export', f2, '--rpc', 'http://127.0.0.1:1']);
      assert.equal(r3.code, 2);
      assert.match(r3.stderr, /--rpc: needs --root too/);
      const r4 = await run(['audit', 'log']);
      assert.equal(r4.code, 2);
      assert.match(r4.stderr, /give exactly one of --datadir, --export, --rest/);
    } finally {
      dir.remove();
    }
  });

  it('private records past their retention are deleted, whole batches, never the newest', async () => {
    const dir = makeTempDir('audit-retention');
    try {
      const db = await LevelStore.open(dir.path);
      const store = new AuditStore(db);
      let now = 1_000_000;
      const log = await AuditLog.open({ chainId: 1, signer, privateRetentionMs: 10_000, batchIntervalMs: 0 }, { store, sealer: pool, clock: { now: () => now } });
      for (let b = 0; b < 4; b++) {
        for (let i = 0; i < 3; i++) log.append(records.localError({ height: b }, { component: 'c', message: `m${b}.${i}`, correlationId: 'c' }), 'private');
        await log.flush();
        now += 6_000;
      }
      // batches sealed at 1.000, 1.006, 1.012, 1.018 (×10^6 ms); the 4th seal ran at 1.018: cutoff 1.008
      const head = log.head('private');
      assert.deepEqual([head.firstBatch, head.firstSeq, head.nextSeq], [2, 6, 12]);
      assert.equal(await store.record('private', 5), undefined);
      assert.ok(await store.record('private', 6));
      assert.equal(await store.batch('private', 1), undefined);
      await log.close();
      await db.close();
    } finally {
      dir.remove();
    }
  });
});

describe('checkpoint Merkle proofs', () => {
  it('prove every leaf into the checkpoint root (spec §2), and a changed sibling or index does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.nat(), (count, pick, flip) => {
        const headers = Array.from({ length: count }, (_, i) => ({
          number: BigInt(100 + i),
          timestamp: BigInt(1000 + i),
          txRoot: keccak256(Uint8Array.of(i)),
          receiptsRoot: keccak256(Uint8Array.of(i, 1)),
        }));
        const leaves = leavesFromPreimages(packLeafPreimages(headers));
        const root = checkpointRoot(headers);
        const index = pick % count;
        const leaf = leaves.slice(index * 32, index * 32 + 32);
        const proof = merkleProof(leaves, index);
        assert.equal(verifyMerkleProof(leaf, index, proof, root), true);
        if (proof.length > 0) {
          const bad = proof.map((p) => p.slice());
          const sib = bad[flip % bad.length]!;
          sib[flip % 32] = sib[flip % 32]! ^ 1;
          assert.equal(verifyMerkleProof(leaf, index, bad, root), false);
          const other = leaves.slice((index ^ 1) * 32, (index ^ 1) * 32 + 32);
          if ((index ^ 1) < count && bytesToHex(other) !== bytesToHex(leaf)) assert.equal(verifyMerkleProof(leaf, index ^ 1, proof, root), false);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('AuditAnchor contract and config', () => {
  it('ABI: selector, event topic and calldata layout match the compiled contract', () => {
    const a = getArtifact('AuditAnchor');
    const names = a.abi.map((x) => `${x.type}:${x.name}`).sort();
    assert.deepEqual(names, ['event:Anchored', 'function:anchor', 'function:anchorCount', 'function:digests']);
    assert.equal(ANCHOR_SELECTOR, '0x' + bytesToHex(keccak256(new TextEncoder().encode('anchor(uint256,bytes32)'))).slice(2, 10));
    assert.equal(ANCHORED_TOPIC, bytesToHex(keccak256(new TextEncoder().encode('Anchored(address,uint256,bytes32)'))));
    const d = '0x' + '5a'.repeat(32);
    assert.equal(anchorCalldata(258, d), ANCHOR_SELECTOR + '00'.repeat(30) + '0102' + '5a'.repeat(32));
    assert.ok(a.deployedBytecode.includes(ANCHOR_SELECTOR.slice(2)), 'the runtime code dispatches on the selector');
    assert.equal(hexToBytes(d).length, 32);
  });

  it('node.auditLog: defaults, and a bad retention is refused naming the field', () => {
    const node = { dataDir: './d', keys: './k.json', genesis: './g.json' };
    const f = parseNodeFile({ preset: 'devnet', node }, '/x/n.json');
    assert.deepEqual(f.node.auditLog, { enabled: true, anchor: true, anchorContract: null, batchIntervalMs: 5000, batchMaxRecords: 1024, privateRetentionHours: 720 });
    assert.equal(parseNodeFile({ preset: 'devnet', node: { ...node, auditLog: { privateRetentionHours: 48 } } }, '/x/n.json').node.auditLog.privateRetentionHours, 48);
    assert.throws(
      () => parseNodeFile({ preset: 'devnet', node: { ...node, auditLog: { privateRetentionHours: 0 } } }, '/x/n.json'),
      /n\.json: node\.auditLog\.privateRetentionHours: expected an integer from 1 to 87600, got 0/,
    );
    assert.throws(
      () => parseNodeFile({ preset: 'devnet', node: { ...node, auditLog: { anchorContract: '0x12' } } }, '/x/n.json'),
      /node\.auditLog\.anchorContract: expected the AuditAnchor contract address/,
    );
  });
});
