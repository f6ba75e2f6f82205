/**
 * Governance in the audit log (issues 17 + 18): four validators driven height by height (the gov
 * module's harness: real app, LevelDB, side votes in precommits) through a proposal's life; two of
 * them keep a real audit log (LevelDB, hash pool) with the governance writers attached. Checks the
 * records written and when, that both nodes write the same public records (deterministic), that the
 * chain verifies, and that the proposal's evidence package verifies offline (manifest root and counts
 * recomputed from its ballots) and fails with any one byte changed; then the CLI round trip.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePackageText, serializePackage, verifyPackage } from '../../src/audit-log/evidence.ts';
import { writeGovRecords } from '../../src/audit-log/gov-writers.ts';
import { AuditLog } from '../../src/audit-log/log.ts';
import { buildProposalPackage, type ProposalPackage } from '../../src/audit-log/proposal-package.ts';
import { AuditLogService } from '../../src/audit-log/service.ts';
import { AuditStore } from '../../src/audit-log/store.ts';
import { isRedacted, verifyLog, type LogExport } from '../../src/audit-log/verify.ts';
import { packageVerifies } from '../helpers/evidence.ts';
import { LevelStore } from '../../src/db/level.ts';
import type { GovRootReader } from '../../src/delivery/modules/gov/reader.ts';
import { signBallot, signedBallotJson, type Ballot, type Support } from '../../src/gov/ballot.ts';
import { HashPool } from '../../src/pools/hashPool.ts';
import { canonicalHash } from '../../src/audit-log/writers.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from '../delivery/helpers.ts';
import { runBin } from '../helpers/devnet.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const config = devConfig();
const GOVERNOR = '0x' + '56'.repeat(20);
const CHAIN_ID = 31337n;
const domain = { chainId: CHAIN_ID, governor: GOVERNOR };
const voters = Array.from({ length: 5 }, (_, i) => key(40 + i, 77));
const POWER = [400n, 300n, 200n, 100n, 0n].map((p) => p * 10n ** 18n);
const TOTAL = 2000n * 10n ** 18n;
const proposalId = '0x' + 'cd'.repeat(32);

class TableReader implements GovRootReader {
  readonly governor = GOVERNOR;
  head = 0;
  chainId = async () => CHAIN_ID;
  confirmedHead = async () => this.head;
  pastVotes = async (voter: string) => POWER[voters.findIndex((v) => v.address === voter)] ?? 0n;
  pastTotalSupply = async () => TOTAL;
  anchored = async () => false;
}

function ballot(i: number, support: Support, nonce: bigint, signer = i): unknown {
  const b: Ballot = { proposalId, support, voter: voters[i]!.address, nonce, reason: '' };
  return signedBallotJson({ ballot: b, signature: signBallot(b, domain, voters[signer]!.secretKey) });
}

const run = (args: string[]) => runBin(args);

const verifies = packageVerifies;

let nodes: NodeHandle[] = [];
const readers: TableReader[] = [];
const root = new FakeRoot();
const clock = {
  t: GENESIS_TIME,
  now() {
    return this.t;
  },
};
const dir = makeTempDir('gov-audit');
let pool: HashPool;
/** The public logs of validators 0 and 1. */
const exports: LogExport[] = [];

async function step(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.t += 2000;
    await deliverEvents(nodes, root);
    await decideHeight(nodes, config.delivery.chainId);
  }
}

async function stepUntil(what: string, cond: () => Promise<boolean> | boolean, max = 20): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await cond()) return;
    await step();
  }
  assert.fail(`${what}: not after ${max} heights`);
}

before(async () => {
  pool = new HashPool({ threads: 1 });
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 31));
  const genesis = genesisOf(keys);
  for (let i = 0; i < 4; i++) readers.push(new TableReader());
  nodes = await Promise.all(keys.map((k, i) => openNode(k, genesis, { clock, gov: readers[i]! })));
  const logs: { log: AuditLog; db: LevelStore; store: AuditStore; signer: string }[] = [];
  for (const n of nodes.slice(0, 2)) {
    const db = await LevelStore.open(join(dir.path, `log-${n.key.address}`));
    const store = new AuditStore(db);
    const signer = n.key.address;
    const log = await AuditLog.open(
      { chainId: 199, signer: { privateKey: n.key.secretKey, address: signer }, privateRetentionMs: 1e9, batchMaxRecords: 4, batchIntervalMs: 0 },
      { store, sealer: pool },
    );
    writeGovRecords(n.app, log);
    logs.push({ log, db, store, signer });
  }

  // The proposal's life: mirrored, ballots (good, forged, powerless), tally, a late ballot, anchored.
  const snapshot = root.block + 3;
  const deadline = snapshot + 10;
  root.governorEvent('ProposalCreated', {
    proposalId: BigInt(proposalId),
    proposer: voters[0]!.address,
    targets: [],
    values: [],
    signatures: [],
    calldatas: [],
    voteStart: BigInt(snapshot),
    voteEnd: BigInt(deadline),
    description: 'audit me',
  });
  await stepUntil('proposal mirrored', async () => (await nodes[0]!.app.queries.gov.proposal(proposalId)) !== null);
  const submitAll = (json: unknown) => nodes.forEach((n) => n.app.queries.gov.submit(json));
  submitAll(ballot(0, 1, 1n));
  submitAll(ballot(1, 0, 1n));
  submitAll(ballot(2, 3, 1n, 3)); // bad-signature
  submitAll(ballot(4, 1, 1n)); // no power
  submitAll(ballot(3, 2, 1n));
  await step(2);
  for (const r of readers) r.head = deadline + 1;
  await stepUntil('tally approved', async () => (await nodes[0]!.app.queries.gov.tally(proposalId)) !== null);
  submitAll(ballot(1, 1, 2n)); // after the close: refused `closed`
  await step(2);
  const t = (await nodes[0]!.app.queries.gov.tally(proposalId))!;
  root.governorEvent('TallyAnchored', {
    proposalId: BigInt(proposalId),
    manifestRoot: t.tally.manifestRoot,
    forVotes: 0n,
    againstVotes: 0n,
    abstainVotes: 0n,
    vetoVotes: 0n,
    totalPower: TOTAL,
    ballotCount: 3n,
    outcome: 0n,
    signed: BigInt(t.signatures.length),
  });
  await stepUntil('anchored mirrored', async () => (await nodes[0]!.app.queries.gov.proposal(proposalId))?.status === 'anchored');

  for (const l of logs) {
    await l.log.close();
    const identity = { chainId: 199, signer: l.signer, anchorContract: null, rootChain: { id: 2, name: 'ethereum', address: '0x' + '44'.repeat(20) } };
    await l.store.meta.put('identity', identity);
    exports.push(await new AuditLogService(identity, { store: l.store }).exportAll());
    await l.db.close();
  }
});

after(async () => {
  for (const n of nodes) await closeNode(n);
  await pool.close();
  dir.remove();
});

describe('governance records in the audit log', () => {
  it('writes the life cycle in order, hash-chained, the same on every node', async () => {
    const log = exports[0]!;
    const gov = log.records.filter((r) => r.correlationId === `proposal:${proposalId}`);
    assert.deepEqual(
      gov.map((r) => (r.type === 'ballot.refused' ? `${r.type}:${String(r.payload.reasonCode)}` : r.type)),
      [
        'proposal.created',
        'snapshot.fixed',
        'tally.start',
        'ballot.accepted',
        'ballot.accepted',
        'ballot.accepted',
        'ballot.refused:bad-signature',
        'ballot.refused:no-power-at-snapshot',
        'tally.finish',
        'ballot.refused:closed',
        'tally.anchored',
      ],
    );
    const stored = (await nodes[0]!.app.queries.gov.tally(proposalId))!;
    const finish = gov.find((r) => r.type === 'tally.finish')!;
    assert.equal(finish.evidenceHash, stored.tally.manifestRoot, 'tally.finish carries the manifest root as its evidence');
    assert.deepEqual(finish.payload.signatures, stored.signatures);
    assert.equal(finish.height, stored.height, 'written at the height the tally was approved');
    const accepted = gov.filter((r) => r.type === 'ballot.accepted').map((r) => r.payload.voter as string);
    assert.deepEqual(accepted, [...accepted].sort(), 'counted ballots in manifest (voter) order');
    assert.deepEqual(new Set(accepted), new Set([0, 1, 3].map((i) => voters[i]!.address)));
    const start = gov.find((r) => r.type === 'tally.start')!;
    assert.equal(start.height, stored.height - 2, 'tally.start at the side tx inclusion, two heights before approval');
    const created = gov[0]!;
    assert.ok(created.time >= GENESIS_TIME && created.time <= clock.t, 'block time (the test clock), not the wall clock');
    // Deterministic: validator 1's public records are validator 0's, byte for byte (seq, prev, hash too).
    assert.deepEqual(exports[1]!.records, log.records);
    for (const l of exports) assert.equal((await verifyLog(l, null)).failure, null, 'the hash chain and batch signatures verify');
  });

  it('a proposal package verifies offline: ballots, manifest root and counts recomputed, signatures recovered', async () => {
    const pkg = buildProposalPackage(exports[0]!, proposalId, { now: 1 });
    const text = serializePackage(pkg);
    assert.equal(serializePackage(buildProposalPackage(exports[0]!, proposalId, { now: 1 })), text, 'stable bytes');
    const report = await verifyPackage(parsePackageText(text, 'pkg'), null);
    assert.equal(report.failure, null);
    assert.equal(report.ok, true);
    const c = pkg.content;
    const stored = (await nodes[0]!.app.queries.gov.tally(proposalId))!;
    assert.equal(c.ballots.manifestRoot, stored.tally.manifestRoot);
    assert.deepEqual(
      c.ballots.refusals.map((r) => r.reasonCode),
      ['bad-signature', 'no-power-at-snapshot', 'closed'],
    );
    assert.equal(c.proposal.governor, GOVERNOR);
    assert.equal(c.validation?.tallyMatches, true);
    assert.equal(c.validation?.anchoredMatches, true);
    assert.equal(c.validation?.manifestRoot, stored.tally.manifestRoot);
    assert.equal(c.validation?.counts.forVotes, String(400n * 10n ** 18n));
    assert.ok(c.validation!.validSignatures >= 3 && c.validation!.validSignatures === c.tally!.signatures.length);
    assert.equal(report.validSignatures, c.validation!.validSignatures);
    assert.equal(c.records.filter((r) => !isRedacted(r)).length, 11, 'every record of the story in full');
    assert.match(c.summary, new RegExp(`^# Evidence package: proposal ${proposalId}\\n`));
    assert.throws(() => buildProposalPackage(exports[0]!, '0x' + '01'.repeat(32)), /no proposal\.created record/);
  });

  it('any one byte changed: the proposal package no longer verifies', async () => {
    const text = serializePackage(buildProposalPackage(exports[0]!, proposalId, { now: 1 }));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 94 }), async (pos, delta) => {
        const changed = String.fromCharCode(32 + ((text.charCodeAt(pos) - 32 + delta) % 95));
        if (changed === text[pos]) return;
        assert.equal(await verifies(text.slice(0, pos) + changed + text.slice(pos + 1)), false, `byte ${pos} ${JSON.stringify(text[pos])} → ${JSON.stringify(changed)}`);
      }),
      { numRuns: 120 },
    );
  });

  it('a forger who re-seals the manifest is still caught by the recomputation', async () => {
    const pkg = buildProposalPackage(exports[0]!, proposalId, { now: 1 });
    const reseal = (p: ProposalPackage): string => {
      const { manifest: _m, ...rest } = p;
      const entries: Record<string, string> = {};
      for (const [k, v] of Object.entries(rest)) if (k !== 'content') entries[k] = canonicalHash(v);
      for (const [k, v] of Object.entries(rest.content)) entries[`content.${k}`] = canonicalHash(v);
      return serializePackage({ ...rest, manifest: { algorithm: 'keccak256', entries, root: canonicalHash(entries) } });
    };
    const power = structuredClone(pkg);
    power.content.ballots.counted[0]!.power = '1';
    assert.match((await verifyPackage(parsePackageText(reseal(power), 'pkg'), null)).failure ?? '', /ballots\.counted: not the ballot\.accepted records/);
    const claim = structuredClone(pkg);
    claim.content.validation!.counts.outcome = 'rejected';
    assert.match((await verifyPackage(parsePackageText(reseal(claim), 'pkg'), null)).failure ?? '', /validation: the stated result is not what the ballots and signatures give/);
  });

  it('CLI: evidence export --proposal → audit package exit 0; a changed byte exit 1; a malformed --slash id exit 2', async () => {
    const exportFile = join(dir.path, 'log.json');
    writeFileSync(exportFile, JSON.stringify(exports[0]));
    const out = join(dir.path, 'proposal.json');
    const ex = await run(['evidence', 'export', '--proposal', BigInt(proposalId).toString(), '--export', exportFile, '--out', out]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(JSON.parse(ex.stdout).id, `proposal:${proposalId}`);
    const ok = await run(['audit', 'package', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).ok, true);
    const text = readFileSync(out, 'utf8');
    const i = text.indexOf('"reasonCode":"closed"');
    writeFileSync(out, text.slice(0, i) + '"reasonCode":"closeD"' + text.slice(i + 21));
    const bad = await run(['audit', 'package', out]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /audit package: manifest entry content\.ballots: /);
    const slash = await run(['evidence', 'export', '--slash', '7', '--out', out, '--export', exportFile]);
    assert.equal(slash.code, 2);
    assert.match(slash.stderr, /--slash: expected a slash id/);
    const none = await run(['evidence', 'export', '--proposal', 'nope', '--out', out, '--export', exportFile]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--proposal: expected a proposal id/);
  });
});
