/**
 * The module contract: registration refuses anything two modules would share (naming both), the app
 * dispatches through the registry and names no module's transactions, the store's bytes are the
 * layout data dirs already hold, and checkpoint submission is a listener on committed blocks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUCKETS } from '../../src/db/buckets.ts';
import type { BatchOp } from '../../src/db/interface.ts';
import { PassThroughStore } from '../helpers/kv.ts';
import { LevelStore } from '../../src/db/level.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { DeliveryApp, type CommittedBlock } from '../../src/delivery/app/app.ts';
import { decodeBlock } from '../../src/delivery/app/codec.ts';
import { CommittedState } from '../../src/delivery/app/state.ts';
import { TxType, type EventTx } from '../../src/delivery/app/types.ts';
import { BUILTIN_TX_CODECS, builtinModules } from '../../src/delivery/modules/builtin.ts';
import { CheckpointSubmission } from '../../src/delivery/modules/checkpoint/submission.ts';
import type { DeliveryModule, PlainTxSpec, StateSlot } from '../../src/delivery/modules/module.ts';
import { ModuleRegistry } from '../../src/delivery/modules/registry.ts';
import { DeliveryStore } from '../../src/delivery/store/store.ts';
import { StakingKind, type StakingTx } from '../../src/delivery/modules/staking/txs.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeBttc, FakeRoot, FakeSubmitter, genesisOf, GENESIS_TIME, key, openNode, ROOT_CHAIN_ID, spanSeed, type NodeHandle } from './helpers.ts';

const config = devConfig();
const chainId = config.delivery.chainId;
const cleanup: NodeHandle[] = [];
const dirs: string[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function tmpDb(): Promise<LevelStore> {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-modules-'));
  dirs.push(dir);
  return LevelStore.open(dir);
}

async function builtins(): Promise<DeliveryModule[]> {
  const db = await tmpDb();
  return builtinModules({ stakingChainId: ROOT_CHAIN_ID, db, committed: new CommittedState(), bttc: new FakeBttc(), spanSeed, verifier: new InlineVerifier(), slashing: config.slashing }).modules;
}

/** A module with one plain tx of the given type byte (and whatever else the case needs). */
function probe(name: string, type: number, extra: Partial<DeliveryModule> = {}): DeliveryModule {
  const spec: PlainTxSpec<{ type: number }> = {
    kind: 'plain',
    codec: { type, name: `${name}-tx`, encode: () => undefined, decode: () => ({ type }) },
    key: () => name,
    validate: () => null,
    apply: () => ({ outcome: 'applied' }),
  };
  return { name, txs: [spec], queries: null, ...extra };
}

describe('module registry', () => {
  it('registers the built-in modules; their codecs are the ones blocks decode with', async () => {
    const reg = new ModuleRegistry(await builtins());
    assert.deepEqual(
      reg.modules.map((m) => m.name),
      ['staking', 'checkpoint', 'span', 'clerk', 'gov', 'slashing'],
    );
    for (const c of BUILTIN_TX_CODECS) assert.equal(reg.codecs.codec(c.type), c, `${c.name} decodes through its module`);
    assert.equal(BUILTIN_TX_CODECS.length, reg.modules.flatMap((m) => m.txs).length, 'every module tx is in the default codec table');
    assert.deepEqual(
      Object.values(TxType).map((t) => reg.nameOf(t)),
      ['staking', 'checkpoint', 'checkpoint-ack', 'checkpoint-noack', 'span', 'event-record'],
    );
  });

  it('refuses a tx type another module owns, naming both modules and both txs', async () => {
    const mods = await builtins();
    assert.throws(
      () => new ModuleRegistry([...mods, probe('governance', TxType.Checkpoint)]),
      /tx type 2 \(governance-tx\) of module "governance" is already registered by module "checkpoint" \(checkpoint\)/,
    );
    assert.throws(
      () => new ModuleRegistry([...mods, probe('audit', 40), probe('telemetry', 40)]),
      /tx type 40 \(telemetry-tx\) of module "telemetry" is already registered by module "audit" \(audit-tx\)/,
    );
    // A fresh byte is fine.
    assert.equal(new ModuleRegistry([...mods, probe('governance', 40)]).nameOf(40), 'governance-tx');
  });

  it('refuses a shared name, replay namespace, state key, bucket or REST route, and needs one consensus-set provider', async () => {
    const mods = await builtins();
    const [staking, checkpoint] = mods;
    assert.throws(() => new ModuleRegistry([...mods, probe('span', 41)]), /two modules are named "span"/);
    const ackSpec = checkpoint!.txs.find((t) => t.codec.type === TxType.CheckpointAck)!;
    assert.equal(ackSpec.kind, 'event');
    const replay = { ...probe('governance', 41), txs: [{ ...ackSpec, codec: { ...ackSpec.codec, type: 41, name: 'vote' } }] } as DeliveryModule;
    assert.throws(() => new ModuleRegistry([...mods, replay]), /replay namespace 2 of vote \(module "governance"\) is already used by checkpoint-ack \(module "checkpoint"\)/);
    const slot: StateSlot<number> = { module: 'governance', keys: ['lastSpanId'], toJson: () => ({}), fromJson: () => 0, clone: (n) => n };
    assert.throws(() => new ModuleRegistry([...mods, probe('governance', 41, { state: slot })]), /state key "lastSpanId" of module "governance" is already used by module "span"/);
    const headSlot: StateSlot<number> = { ...slot, keys: ['height'] };
    assert.throws(() => new ModuleRegistry([...mods, probe('governance', 41, { state: headSlot })]), /state key "height" of module "governance" is already used by the app/);
    assert.throws(
      () => new ModuleRegistry([...mods, probe('governance', 41, { buckets: [BUCKETS.deliverySpan] })]),
      /module "governance" claims bucket 0xe4, which src\/db\/buckets.ts gives to delivery\/modules\/span/,
    );
    const route = { path: '/checkpoints/:id', handle: () => null };
    assert.throws(
      () => new ModuleRegistry([...mods, probe('governance', 41, { routes: () => [route] })]),
      /REST route GET \/checkpoints\/:id of module "governance" is already served by module "checkpoint"/,
    );
    assert.throws(() => new ModuleRegistry(mods.slice(1)), /exactly one module must provide the consensus validator sets, found none/);
    assert.throws(() => new ModuleRegistry([...mods, probe('governance', 41, { consensusSets: staking!.consensusSets! })]), /found "staking", "governance"/);
  });
});

/** The relative imports and the source of every file under src/delivery/app. */
function appSources(): { file: string; text: string }[] {
  const dir = resolve(import.meta.dirname, '../../src/delivery/app');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));
}

/** Where a source names a module's transactions: a switch or a comparison on a tx type, TxType, a value import of a module's files. */
function txDispatchIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/switch\s*\(\s*[\w.]*\btype\s*\)/g)) found.push(m[0]);
  for (const m of text.matchAll(/\.type\s*[!=]==\s*(?:\d+|TxType\.\w+|[A-Z_]+_TX)\b/g)) found.push(m[0]);
  for (const m of text.matchAll(/\bTxType\.\w+/g)) found.push(m[0]);
  for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'\.\.\/modules\/(?!builtin\.ts|registry\.ts|module\.ts|context\.ts)[^']+'/gm)) found.push(m[0]);
  return found;
}

describe('the app routes through the registry', () => {
  it("no file of src/delivery/app switches on, compares or imports a module's tx types (TxType is only re-exported)", () => {
    const bad: string[] = [];
    for (const { file, text } of appSources()) {
      if (file === 'types.ts') continue;
      for (const hit of txDispatchIn(text)) bad.push(`${file}: ${hit}`);
    }
    assert.deepEqual(bad, []);
  });

  it('modules reach the app only through its state, types, codecs and interfaces (never the router or its store)', () => {
    const root = resolve(import.meta.dirname, '../../src/delivery/modules');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/from\s+'((?:\.\.\/)+(?:app\/app|store\/store)\.ts)'/g)) bad.push(`${f}: ${m[1]}`);
    }
    assert.deepEqual(bad, []);
  });

  it('the check finds every form of hand dispatch (it can fail)', () => {
    const text = [
      'switch (tx.type) {',
      'if (tx.type === TxType.Checkpoint) {}',
      'if (tx.type !== 4) {}',
      "import { applyAckTx } from '../modules/checkpoint/ack.ts';",
      "import type { AckedCheckpoint } from '../modules/checkpoint/store.ts';",
    ].join('\n');
    assert.deepEqual(txDispatchIn(text), ['switch (tx.type)', '.type === TxType.Checkpoint', '.type !== 4', 'TxType.Checkpoint', "import { applyAckTx } from '../modules/checkpoint/ack.ts'"]);
  });
});

/** Records every batch (one per committed block; genesis is batch 0). */
class RecordingStore extends PassThroughStore {
  readonly batches: BatchOp[][] = [];
  override batch(ops: BatchOp[]) {
    this.batches.push(ops);
    return this.inner.batch(ops);
  }
}

/** `bucket ‖ parts`, numbers as u64 big-endian, written out by hand (the layout data dirs hold). */
function k(bucket: number, ...parts: (number[] | bigint | number)[]): string {
  const bytes: number[] = [bucket];
  for (const p of parts) {
    if (Array.isArray(p)) bytes.push(...p);
    else for (let i = 7; i >= 0; i--) bytes.push(Number((BigInt(p) >> BigInt(8 * i)) & 0xffn));
  }
  return bytesToHex(Uint8Array.from(bytes));
}

const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

describe('store layout', () => {
  it('every block writes, in one batch, exactly the keys and JSON of the pre-module layout', async () => {
    const keys = Array.from({ length: 4 }, (_, i) => key(i, 51));
    const genesis = genesisOf(keys);
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    const root = new FakeRoot();
    const submitter = new FakeSubmitter(root);
    const submitters = new Map([[ROOT_CHAIN_ID, submitter]]);
    // Node 0 on a recording store; the others as usual.
    const dir = mkdtempSync(join(tmpdir(), 'delivery-layout-'));
    const rec = new RecordingStore(await LevelStore.open(dir));
    const store = new DeliveryStore(rec);
    const bttc = new FakeBttc();
    const app = await DeliveryApp.open({ config, signerKey: keys[0]!.secretKey }, { store, bttc, verifier: new InlineVerifier(), clock, spanSeed }, genesis);
    const submission = new CheckpointSubmission({ submitters, address: app.address });
    submission.attach(app);
    const n0: NodeHandle = { key: keys[0]!, dir, store, bttc, app, submission, delivered: 0 };
    const nodes = [n0, ...(await Promise.all(keys.slice(1).map((kk) => openNode(kk, genesis, { clock, submitters }))))];
    cleanup.push(...nodes);
    for (const n of nodes) n.bttc.latest = 40;
    const committed: CommittedBlock[] = [];
    app.onCommitted((c) => committed.push(c));
    root.stateSynced('0x' + '77'.repeat(20), '0x0102');
    root.staked(5, key(20, 51));
    for (let i = 0; i < 30 && (app.ackCount() ?? 0) < 1; i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, chainId);
      for (const n of nodes) await n.submission.whenSettled();
    }
    assert.equal(app.ackCount(), 1, 'setup: a checkpoint was acked');
    assert.ok(app.lastSpanId >= 1, 'setup: a span was committed');

    // Genesis: the state and span 0.
    const g = rec.batches[0]!;
    assert.deepEqual(
      g
        .map((o) => o.key)
        .map(bytesToHex)
        .sort(),
      [k(0xe0, [1]), k(0xe4, 0)].sort(),
    );
    assert.equal(rec.batches.length, app.height + 1, 'one batch per block');

    const kinds: Record<number, number> = { [TxType.Staking]: 1, [TxType.CheckpointAck]: 2, [TxType.EventRecord]: 3 };
    const seen = { records: 0, acks: 0, spans: 0, processed: 0, stakes: 0 };
    for (const c of committed) {
      const h = c.height;
      const expected = [k(0xe0, [1]), k(0xe1, h), k(0xe7, h)];
      const dels: string[] = [];
      for (const r of c.eventRecords) expected.push(k(0xe5, r.id));
      for (const a of c.acked) expected.push(k(0xe3, [a.rootChainId], a.number));
      for (const s of c.spans) expected.push(k(0xe4, s.id));
      const tallied = h > 2 ? decodeBlock((await store.getBlock(h - 2))!) : null;
      for (const o of c.outcomes) {
        if (o.height !== h - 2 || (o.outcome !== 'applied' && o.outcome !== 'stale') || !(o.type in kinds)) continue;
        const tx = tallied!.txs[o.index] as EventTx;
        expected.push(k(0xe2, [kinds[o.type]!, tx.ref.rootChainId], tx.ref.sequence));
        // A validator that joined gets its stake record (staking's bucket 0xf1, keyed by id).
        if (o.type === TxType.Staking && o.outcome === 'applied' && (tx as StakingTx).kind === StakingKind.Join) expected.push(k(0xf1, (tx as StakingTx).validatorId));
        dels.push(k(0xe6, [tx.ref.rootChainId, tx.type], tx.ref.sequence));
        seen.processed++;
      }
      const batch = rec.batches[h]!;
      assert.deepEqual(
        batch
          .filter((o) => o.type === 'put')
          .map((o) => bytesToHex(o.key))
          .sort(),
        expected.sort(),
        `height ${h}: puts`,
      );
      assert.deepEqual(
        batch
          .filter((o) => o.type === 'del')
          .map((o) => bytesToHex(o.key))
          .sort(),
        dels.sort(),
        `height ${h}: pool deletions`,
      );
      for (const o of batch) {
        if (o.type !== 'put') continue;
        const kh = bytesToHex(o.key);
        if (kh === k(0xe0, [1])) {
          assert.deepEqual(
            Object.keys(dec(o.value)),
            [
              'height',
              'time',
              'lastBlockId',
              'validators',
              'deliverySet',
              'consensusSet',
              'prevConsensusSet',
              'tracks',
              'lastNoAckTime',
              'lastSpanId',
              'lastSpanStart',
              'lastSpanEnd',
              'clerkLastId',
              'clerkLastStateId',
              'govProposals',
              'govUnattributed',
              'govParams',
              'slashingSigners',
              'slashingSets',
              'slashingSeen',
              'slashingOpen',
              'slashingFinal',
              'slashingCounts',
              'slashingNonce',
              'slashingSigned',
              'slashingSpans',
              'slashingCheckpoints',
              'lastCommit',
              'mySideVotes',
            ],
            'state snapshot keys, in order',
          );
        } else if (o.key[0] === 0xe2) assert.deepEqual([...o.value], [1], 'processed marker');
        else if (o.key[0] === 0xe5) {
          seen.records++;
          assert.deepEqual(Object.keys(dec(o.value)), ['id', 'rootChainId', 'stateId', 'contract', 'data', 'txHash', 'logIndex', 'blockNumber', 'recordTime', 'bttcChainId']);
          assert.equal(new TextDecoder().decode(o.value), JSON.stringify(c.eventRecords.find((r) => k(0xe5, r.id) === kh)));
        } else if (o.key[0] === 0xe3) {
          seen.acks++;
          assert.deepEqual(Object.keys(dec(o.value)), [
            'rootChainId',
            'number',
            'headerBlockId',
            'proposer',
            'start',
            'end',
            'rootHash',
            'accountRootHash',
            'borChainId',
            'epoch',
            'signatureCount',
            'timestamp',
            'deliveryHeight',
            'txHash',
          ]);
        } else if (o.key[0] === 0xe4) {
          seen.spans++;
          assert.deepEqual(Object.keys(dec(o.value)), ['id', 'startBlock', 'endBlock', 'validatorSet', 'selectedProducers', 'bttcChainId']);
        } else if (o.key[0] === 0xf1) {
          seen.stakes++;
          assert.equal(
            new TextDecoder().decode(o.value),
            `{"validatorId":5,"totalStake":"1000000000000000000","delegatedStake":"0","totalShares":"0","commissionRate":"0","delegators":0,"partners":[],"stakeSequence":"${root.events.find((e) => e.name === 'Staked')!.sequence}","commissionSequence":"-1"}`,
          );
        } else if (o.key[0] === 0xe1) assert.equal(bytesToHex(o.value), bytesToHex((await store.getBlock(h))!));
      }
    }
    assert.ok(seen.records >= 1 && seen.acks >= 1 && seen.spans >= 1 && seen.processed >= 3 && seen.stakes === 1, JSON.stringify(seen));
  });
});

describe('checkpoint submission', () => {
  it('applying blocks submits nothing; the listener submits its own approved checkpoint at attach and on approval', async () => {
    const keys = Array.from({ length: 4 }, (_, i) => key(i, 52));
    const genesis = genesisOf(keys);
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    const root = new FakeRoot();
    // No submitters: the apps commit the whole checkpoint cycle up to approval on their own.
    const nodes = await Promise.all(keys.map((kk) => openNode(kk, genesis, { clock })));
    cleanup.push(...nodes);
    for (const n of nodes) n.bttc.latest = 40;
    const app = nodes[0]!.app;
    for (let i = 0; i < 14 && !app.checkpointBuffer(); i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, chainId);
    }
    const buffer = app.checkpointBuffer();
    assert.ok(buffer, 'a checkpoint was approved');
    assert.equal(root.events.length, 0, 'nothing reached the root chain');

    // A listener attached now (a restart) submits the proposer's pending checkpoint, and only the proposer's.
    const submitter = new FakeSubmitter(root);
    const listeners = nodes.map((n) => new CheckpointSubmission({ submitters: new Map([[ROOT_CHAIN_ID, submitter]]), address: n.app.address }));
    listeners.forEach((l, i) => l.attach(nodes[i]!.app));
    await Promise.all(listeners.map((l) => l.whenSettled()));
    assert.equal(submitter.submitted.length, 1);
    assert.equal(submitter.submitted[0]!.end, BigInt(buffer.checkpoint.end));
    // The ack comes back and the next approval is submitted from the committed block.
    for (const n of nodes) n.bttc.latest = 80;
    for (let i = 0; i < 24 && (app.ackCount() ?? 0) < 2; i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, chainId);
      await Promise.all(listeners.map((l) => l.whenSettled()));
    }
    assert.equal(app.ackCount(), 2);
    assert.equal(submitter.submitted.length, 2);
    assert.equal(submitter.submitted[1]!.start, BigInt(buffer.checkpoint.end + 1));
  });
});
