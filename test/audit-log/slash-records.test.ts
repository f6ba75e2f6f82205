/**
 * Slashing in the audit log (issues 17 + 19): four validators driven height by height (the slashing
 * module's harness: real apps, LevelDB, precommits in blocks); two of them keep a real audit log with
 * the slashing writers attached. Validator 3 goes down; downtime evidence opens a candidate that a
 * presence proof voids, then a second one goes final. Checks the records (and when), that both nodes
 * write the same public records, the hash chain, that the slash package verifies offline and fails
 * with any one byte changed, and the CLI round trip. The final slash's batch is signed (slash.batch-signed
 * on both nodes) and sent by the real sender to the SlashingManager of the embedded root chain served
 * over JSON-RPC, whose genesis stakes the same signer keys (slash.batch-submitted with the root tx).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePackageText, serializePackage, verifyPackage } from '../../src/audit-log/evidence.ts';
import { AuditLog } from '../../src/audit-log/log.ts';
import { AuditLogService } from '../../src/audit-log/service.ts';
import { buildSlashPackage, checkSlashBatch, validateSlash, type SlashPackage } from '../../src/audit-log/slash-package.ts';
import { canonicalHash } from '../../src/audit-log/writers.ts';
import { writeSlashRecords } from '../../src/audit-log/slash-writers.ts';
import { AuditStore } from '../../src/audit-log/store.ts';
import { isRedacted, verifyLog, type LogExport } from '../../src/audit-log/verify.ts';
import { packageVerifies } from '../helpers/evidence.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { LevelStore } from '../../src/db/level.ts';
import { encodeVote, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import type { Vote } from '../../src/delivery/consensus/types.ts';
import { HashPool } from '../../src/pools/hashPool.ts';
import { encodeEvidence, evidenceHash, type DowntimeEvidence, type Evidence } from '../../src/slashing/evidence.ts';
import { slashBatchVoteHash } from '../../src/slashing/batch.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { closeNode, decideHeight, devConfig, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from '../delivery/helpers.ts';
import { runBin } from '../helpers/devnet.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { keyFromSecret } from '../helpers/keys.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';
import { devKey, devnetGenesis } from '../../src/rootchain/genesis.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { EvmSlashBatchSender } from '../../src/node/slashing-wiring.ts';
import { recordSlashSender } from '../../src/audit-log/slash-writers.ts';
import { SLASH_BATCH_SIGNED } from '../../src/delivery/modules/slashing/notices.ts';
import type { SignedBatch } from '../../src/delivery/modules/slashing/state.ts';
import { Interface } from 'ethers';

const config = devConfig();
const dir = makeTempDir('slash-audit');
const nodes: NodeHandle[] = [];
let pool: HashPool;
const exports: LogExport[] = [];
let voidedId = '';
let finalId = '';
let batch: SignedBatch | undefined;
let rootTx: { hash: string; status: number; applied: string[] } | null = null;
const cleanups: (() => Promise<void>)[] = [];

const run = (args: string[]) => runBin(args);

const verifies = packageVerifies;

before(async () => {
  pool = new HashPool({ threads: 1 });
  // The devnet root genesis's signer keys, so the signed batch verifies on its SlashingManager.
  const keys = Array.from({ length: 4 }, (_, i) => {
    const k = keyFromSecret(devKey(`signer ${i}`));
    return { secretKey: k.secret, publicKey: k.publicKey, address: k.addressHex };
  });
  const genesis = genesisOf(keys);
  const clock = { now: () => GENESIS_TIME };
  for (const k of keys) nodes.push(await openNode(k, genesis, { clock, config }));
  const logs: { log: AuditLog; db: LevelStore; store: AuditStore; signer: string }[] = [];
  for (const n of nodes.slice(0, 2)) {
    const db = await LevelStore.open(join(dir.path, `log-${n.key.address}`));
    const store = new AuditStore(db);
    const log = await AuditLog.open(
      { chainId: 199, signer: { privateKey: n.key.secretKey, address: n.key.address }, privateRetentionMs: 1e9, batchMaxRecords: 2, batchIntervalMs: 0 },
      { store, sealer: pool },
    );
    writeSlashRecords(n.app, log);
    logs.push({ log, db, store, signer: n.key.address });
  }
  const [a, b, c] = nodes as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
  const values = new Map<number, Uint8Array>();
  const decide = async (signers = nodes) => values.set(a.app.height + 1, await decideHeight(nodes, config.delivery.chainId, signers));
  const slashing = a.app.queries.slashing;
  for (let i = 0; i < 4; i++) await decide();
  for (let i = 0; i < 28; i++) await decide([a, b, c]); // validator 3 is down: 5..32 lack its precommit
  const dAddr = keys[3]!.address;
  const ev = (toHeight: number): DowntimeEvidence => ({ v: 1, offense: 'downtime', validator: dAddr, toHeight: String(toHeight), window: String(config.slashing.signedBlocksWindow) });

  // 1. A candidate voided by a presence proof for 10..25.
  const first = ev(29);
  voidedId = evidenceHash(first);
  for (const n of nodes) n.app.queries.slashing.inbox.submitEvidence(first);
  for (let i = 0; i < 4 && slashing.candidates().length === 0; i++) await decide([a, b, c]);
  const proofs: string[] = [];
  for (let h = 10; h <= 25; h++) {
    const v: Vote = { type: 3, height: h, round: 0, valueId: valueIdOf(values.get(h)!), validator: hexToBytes(dAddr), extension: new Uint8Array(0), signature: new Uint8Array(65) };
    v.signature = signRsv(voteDigest(config.delivery.chainId, v), keys[3]!.secretKey);
    proofs.push(bytesToHex(encodeVote(v)));
  }
  for (const n of nodes) n.app.queries.slashing.inbox.submitChallenge(voidedId, { precommits: proofs });
  for (let i = 0; i < 4 && slashing.candidates().length > 0; i++) await decide([a, b, c]);
  assert.equal((await slashing.record(voidedId))?.status, 'voided');

  // 2. Unchallenged: final after the window.
  const second = ev(30);
  finalId = evidenceHash(second);
  for (const n of nodes) n.app.queries.slashing.inbox.submitEvidence(second);
  const signed: SignedBatch[] = [];
  a.app.onCommitted((cb) => signed.push(...cb.notices.of(SLASH_BATCH_SIGNED)));
  for (let i = 0; i < 40 && (await slashing.record(finalId))?.status !== 'final'; i++) await decide([a, b, c]);
  assert.equal((await slashing.record(finalId))?.status, 'final');
  // 3. The final slash is batched and signed, then sent to the root chain by the recording sender.
  for (let i = 0; i < 10 && signed.length === 0; i++) await decide([a, b, c]);
  batch = signed[0];
  assert.ok(batch, 'a signed slash batch');
  const { json } = devnetGenesis({ validators: 4 });
  const root = await serveRootChain(join(dir.path, 'root'), json, cleanups);
  const ct = root.node.info.contracts;
  const client = await EvmRootChainClient.connect({
    rpcUrl: root.url,
    rootChainId: 2,
    contracts: { stakeManager: ct.stakeManager, rootChain: ct.rootChain, stateSender: ct.stateSender },
    privateKey: bytesToHex(keys[0]!.secretKey),
  });
  cleanups.push(async () => client.provider.destroy());
  const out = await recordSlashSender(new EvmSlashBatchSender(client), logs[0]!.log, () => a.app.height).send(batch);
  assert.equal(out.outcome, 'submitted', out.outcome === 'failed' ? out.reason : out.outcome);
  if (out.outcome === 'submitted') {
    const r = await client.provider.getTransactionReceipt(out.txHash);
    const iface = new Interface([
      'event SlashApplied(uint256 indexed nonce, uint256 indexed validatorId, bytes32 indexed evidenceHash, uint256 selfAmount, uint256 delegatorAmount, uint256 jailEpochs)',
    ]);
    const applied = (r?.logs ?? []).flatMap((l) => {
      const d = iface.parseLog({ topics: [...l.topics], data: l.data });
      return d ? [String(d.args[2])] : [];
    });
    rootTx = { hash: out.txHash, status: r?.status ?? -1, applied };
  }

  for (const l of logs) {
    await l.log.close();
    const identity = { chainId: 199, signer: l.signer, anchorContract: null, rootChain: { id: 2, name: 'ethereum', address: '0x' + '44'.repeat(20) } };
    await l.store.meta.put('identity', identity);
    exports.push(await new AuditLogService(identity, { store: l.store }).exportAll());
    await l.db.close();
  }
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const n of nodes) await closeNode(n);
  await pool?.close();
  dir.remove();
});

describe('slashing records in the audit log', () => {
  it('writes evidence, candidate and decision records at their heights, the same on every node, hash-chained', async () => {
    const log = exports[0]!;
    const story = (id: string) => log.records.filter((r) => r.correlationId === `slash:${id}`);
    const voided = story(voidedId);
    assert.deepEqual(
      voided.map((r) => `${r.type}${r.type === 'slash.final' ? `:${String(r.payload.outcome)}` : ''}`),
      ['slash.evidence', 'slash.candidate', 'slash.final:voided'],
    );
    const stored = (await nodes[0]!.app.queries.slashing.record(voidedId))!;
    assert.equal(voided[0]!.evidenceHash, voidedId, 'evidenceHash is the evidence id');
    assert.equal(new TextDecoder().decode(encodeEvidence(voided[0]!.payload.evidence as never)), new TextDecoder().decode(encodeEvidence(stored.evidence)));
    assert.equal(voided[0]!.height, stored.recordedAt, 'written at the recording height');
    assert.equal(voided[1]!.payload.challengeUntil, stored.closesAt);
    assert.equal(voided[2]!.height, stored.voidedAt);
    assert.match(String(voided[2]!.payload.reason), /presence proven at 16 heights/);
    assert.ok(voided[0]!.time >= GENESIS_TIME && voided[0]!.time < GENESIS_TIME + 60_000, 'block time (the fixed test clock), not the wall clock');

    const fin = story(finalId);
    assert.deepEqual(
      fin.map((r) => `${r.type}${r.type === 'slash.final' ? `:${String(r.payload.outcome)}` : ''}`),
      ['slash.evidence', 'slash.candidate', 'slash.final:slashed'],
    );
    const rec = (await nodes[0]!.app.queries.slashing.record(finalId))!;
    assert.equal(fin[2]!.height, rec.finalAt);
    assert.deepEqual({ selfBps: fin[2]!.payload.selfBps, delegatorBps: fin[2]!.payload.delegatorBps, jailEpochs: fin[2]!.payload.jailEpochs, prior: fin[2]!.payload.prior }, rec.penalty);
    // Validator 0 sent the batch: its slash.batch-submitted is its own last record; the rest is shared.
    assert.equal(log.records[log.records.length - 1]?.type, 'slash.batch-submitted');
    assert.deepEqual(exports[1]!.records, log.records.slice(0, -1), "validator 1's public records are validator 0's, byte for byte");
    for (const l of exports) assert.equal((await verifyLog(l, null)).failure, null);
  });

  it('the signed batch and its root transaction: slash.batch-signed on every node, slash.batch-submitted with the root tx hash', () => {
    const b = batch!;
    const signedRecs = exports.map((l) => l.records.filter((r) => r.type === 'slash.batch-signed'));
    for (const recs of signedRecs) assert.equal(recs.length, 1);
    const sr = signedRecs[0]![0]!;
    assert.deepEqual(sr.payload.evidenceHashes, [finalId], "the batch's evidence hashes");
    assert.deepEqual(b.ids, [finalId]);
    assert.equal(sr.payload.nonce, b.nonce);
    assert.equal(sr.payload.signatureCount, b.sigs.length);
    assert.equal(sr.evidenceHash, slashBatchVoteHash(hexToBytes(b.data)), 'evidenceHash: the digest the SlashingManager checks');
    assert.equal(sr.correlationId, `slash-batch:${b.nonce}`);
    assert.equal(sr.height, b.height, 'written at the height that signed it');

    const sub = exports[0]!.records.filter((r) => r.type === 'slash.batch-submitted');
    assert.equal(sub.length, 1);
    assert.equal(exports[1]!.records.filter((r) => r.type === 'slash.batch-submitted').length, 0, 'only the sender writes it');
    assert.ok(rootTx, 'the root transaction');
    assert.equal(rootTx.status, 1, 'the root transaction succeeded');
    assert.deepEqual(rootTx.applied, [finalId], 'the SlashingManager applied the evidence the record names');
    assert.deepEqual(sub[0]!.payload, { nonce: b.nonce, evidenceHashes: [finalId], outcome: 'submitted', rootTxHash: rootTx.hash });
    assert.equal(sub[0]!.evidenceHash, rootTx.hash);
    assert.equal(sub[0]!.correlationId, `slash-batch:${b.nonce}`);
  });

  it('the slash package verifies offline (id recomputed, evidence re-parsed) and fails with any one byte changed', async () => {
    for (const id of [voidedId, finalId]) {
      const pkg = buildSlashPackage(exports[0]!, id, { now: 1 });
      const text = serializePackage(pkg);
      assert.equal(serializePackage(buildSlashPackage(exports[0]!, id, { now: 1 })), text, 'stable bytes');
      const report = await verifyPackage(parsePackageText(text, 'pkg'), null);
      assert.equal(report.failure, null);
      assert.equal(pkg.content.validation.id, id);
      assert.equal(pkg.content.validation.idMatches, true);
      // evidence, candidate, final; the final one also its batch's signed and submitted records
      assert.equal(pkg.content.records.filter((r) => !isRedacted(r)).length, id === finalId ? 5 : 3);
    }
    const v = buildSlashPackage(exports[0]!, voidedId, { now: 1 }).content;
    assert.equal(v.decision.status, 'voided');
    assert.equal(v.penalty, null);
    assert.equal(v.batch, null, 'a voided slash is in no batch');
    const f = buildSlashPackage(exports[0]!, finalId, { now: 1 }).content;
    assert.equal(f.decision.status, 'final');
    assert.deepEqual(f.penalty, { selfBps: 100, delegatorBps: 0, jailEpochs: 1, prior: 0 });
    assert.match(f.summary, new RegExp(`^# Evidence package: slash ${finalId}\\n`));
    assert.throws(() => buildSlashPackage(exports[0]!, '0x' + '01'.repeat(32)), /no slash\.evidence record/);
    const text = serializePackage(buildSlashPackage(exports[0]!, finalId, { now: 1 }));
    assert.equal(await verifies(text.replace('"algorithm"', '"blgorithm"')), false, "the manifest's own keys are checked (found by this property)");
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 94 }), async (pos, delta) => {
        const changed = String.fromCharCode(32 + ((text.charCodeAt(pos) - 32 + delta) % 95));
        if (changed === text[pos]) return;
        assert.equal(await verifies(text.slice(0, pos) + changed + text.slice(pos + 1)), false, `byte ${pos}`);
      }),
      { numRuns: 100 },
    );
  });

  it('the slash package carries the batch that applied it: nonce, evidence hashes, signatures, root tx; audit package re-checks it', async () => {
    const b = batch!;
    const f = buildSlashPackage(exports[0]!, finalId, { now: 1 }).content;
    const pb = f.batch!;
    assert.ok(pb, 'batch section filled');
    assert.deepEqual([pb.nonce, pb.evidenceHashes, pb.data, pb.signatures], [b.nonce, [finalId], b.data, b.sigs]);
    assert.equal(pb.digest, slashBatchVoteHash(hexToBytes(b.data)));
    // Three of the four validators signed (validator 3 was down); their addresses, ascending.
    const signers = nodes
      .slice(0, 3)
      .map((n) => n.key.address.toLowerCase())
      .sort();
    assert.deepEqual(pb.signers, signers);
    assert.deepEqual(pb.submitted && [pb.submitted.outcome, pb.submitted.rootTxHash], ['submitted', rootTx?.hash]);
    assert.match(f.summary, new RegExp(`Signed batch ${b.nonce} .*root tx \`${rootTx?.hash}\``));
    // Another validator's log has the same signed batch, sent by someone else.
    const other = buildSlashPackage(exports[1]!, finalId, { now: 1 }).content.batch;
    assert.deepEqual({ ...other, submitted: null, signedAt: 0 }, { ...pb, submitted: null, signedAt: 0 });
    assert.equal(other?.submitted, null);
    assert.equal((await verifyPackage(parsePackageText(serializePackage(buildSlashPackage(exports[1]!, finalId, { now: 1 })), 'pkg'), null)).failure, null);

    // The batch's own bytes are re-checked: it must carry the slash, and any changed byte of its data fails.
    assert.equal(checkSlashBatch(pb, finalId), null);
    assert.match(checkSlashBatch(pb, voidedId) ?? '', /^batch: batch \d+ does not list the slash/);
    // A record from before the batch bytes were logged: only its evidence list is checked.
    const legacy = { ...pb, data: null, signatures: null, signers: null };
    assert.equal(checkSlashBatch(legacy, finalId), null);
    assert.match(checkSlashBatch(legacy, voidedId) ?? '', /does not list the slash/);
    const data = pb.data!;
    const sig1 = pb.signatures![0]![1];
    await fc.assert(
      fc.property(fc.integer({ min: 2, max: data.length - 1 }), fc.integer({ min: 1, max: 15 }), (pos, delta) => {
        const nib = ((parseInt(data[pos]!, 16) + delta) % 16).toString(16);
        assert.notEqual(checkSlashBatch({ ...pb, data: data.slice(0, pos) + nib + data.slice(pos + 1) }, finalId), null, `data nibble ${pos}`);
      }),
      { numRuns: 200 },
    );
    const text = serializePackage(buildSlashPackage(exports[0]!, finalId, { now: 1 }));
    const i = text.indexOf(sig1);
    assert.ok(i > 0);
    const last = text[i + sig1.length - 1]!;
    const changed = text.slice(0, i + sig1.length - 1) + (last === '1' ? '2' : '1') + text.slice(i + sig1.length);
    assert.equal(await verifies(changed), false, 'a changed signature byte fails');
  });

  it('a forger who re-seals the manifest is still caught: sections from the records, evidence re-checked', async () => {
    const pkg = buildSlashPackage(exports[0]!, finalId, { now: 1 });
    const reseal = (p: SlashPackage): string => {
      const { manifest: _m, ...rest } = p;
      const entries: Record<string, string> = {};
      for (const [k, v] of Object.entries(rest)) if (k !== 'content') entries[k] = canonicalHash(v);
      for (const [k, v] of Object.entries(rest.content)) entries[`content.${k}`] = canonicalHash(v);
      return serializePackage({ ...rest, manifest: { algorithm: 'keccak256', entries, root: canonicalHash(entries) } });
    };
    const penalty = structuredClone(pkg);
    penalty.content.penalty!.selfBps = 1;
    assert.match((await verifyPackage(parsePackageText(reseal(penalty), 'pkg'), null)).failure ?? '', /^penalty: not what the package's slash records state/);
    const claim = structuredClone(pkg);
    claim.content.validation.decision = 'slash';
    assert.match((await verifyPackage(parsePackageText(reseal(claim), 'pkg'), null)).failure ?? '', /^validation: the stated result is not what re-checking the evidence gives/);
    const batchClaim = structuredClone(pkg);
    batchClaim.content.batch!.evidenceHashes = [voidedId];
    assert.match((await verifyPackage(parsePackageText(reseal(batchClaim), 'pkg'), null)).failure ?? '', /^batch: not what the package's slash records state/);
    const other = structuredClone(pkg);
    other.content.evidence.id = voidedId;
    assert.match((await verifyPackage(parsePackageText(reseal(other), 'pkg'), null)).failure ?? '', /^evidence: no slash\.evidence record in the package names it/);
  });

  it('validateSlash re-checks double-sign evidence from the package bytes: a real conflict holds, a forged vote is refused', () => {
    const k = key(7, 19);
    const vote = (value: number, signer = k): string => {
      const v: Vote = { type: 3, height: 40, round: 0, valueId: new Uint8Array(32).fill(value), validator: hexToBytes(k.address), extension: new Uint8Array(0), signature: new Uint8Array(65) };
      v.signature = signRsv(voteDigest(config.delivery.chainId, v), signer.secretKey);
      return bytesToHex(encodeVote(v));
    };
    const e: Evidence = { v: 1, offense: 'double-sign', chainId: config.delivery.chainId, voteA: vote(1), voteB: vote(2) };
    const encoding = new TextDecoder().decode(encodeEvidence(e));
    const good = validateSlash({ evidence: { id: evidenceHash(e), encoding, evidence: { ...e } } });
    assert.deepEqual([good.idMatches, good.canonical, good.decision, good.validator], [true, true, 'slash', k.address]);
    const forged: Evidence = { ...e, voteB: vote(2, key(8, 19)) };
    const bad = validateSlash({ evidence: { id: evidenceHash(forged), encoding: new TextDecoder().decode(encodeEvidence(forged)), evidence: { ...forged } } });
    assert.equal(bad.decision, 'refused');
    assert.equal(bad.code, 'forged');
    assert.equal(validateSlash({ evidence: { id: evidenceHash(e), encoding: encoding.replace('{"', '{ "'), evidence: { ...e } } }).canonical, false);
  });

  it('CLI: evidence export --slash → audit package exit 0; a changed byte exit 1; an unknown id exit 2 naming it', async () => {
    const exportFile = join(dir.path, 'log.json');
    writeFileSync(exportFile, JSON.stringify(exports[0]));
    const out = join(dir.path, 'slash.json');
    const ex = await run(['evidence', 'export', '--slash', finalId, '--export', exportFile, '--out', out]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(JSON.parse(ex.stdout).id, `slash:${finalId}`);
    const ok = await run(['audit', 'package', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    const text = readFileSync(out, 'utf8');
    const i = text.indexOf('"selfBps":100');
    writeFileSync(out, text.slice(0, i) + '"selfBps":900' + text.slice(i + 13));
    const bad = await run(['audit', 'package', out]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /audit package: manifest entry content\.penalty: /);
    const unknown = '0x' + 'ab'.repeat(32);
    const none = await run(['evidence', 'export', '--slash', unknown, '--out', out, '--export', exportFile]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, new RegExp(`--slash ${unknown}: no slash\\.evidence record`));
  });
});
