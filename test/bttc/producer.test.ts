/**
 * Deterministic simulation of the slot scheduler: three producers on a fake clock and network, a
 * fake executor (the executor is another module; the scheduler is what is tested). Every node
 * verifies every block with the real engine and picks its head with the real fork choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { headerHash } from '../../src/bttc/engine/header.ts';
import { SnapshotManager } from '../../src/bttc/engine/snapshot.ts';
import { borProducerSetFactory } from '../../src/bttc/engine/valset.ts';
import { HeaderVerifier } from '../../src/bttc/engine/verify.ts';
import { ForkChoice } from '../../src/bttc/engine/forkchoice.ts';
import { recoverSignerUncached } from '../../src/bttc/engine/seal.ts';
import type { BttcHeader, BorParams } from '../../src/bttc/engine/types.ts';
import { FakeClock } from '../../src/bttc/producer/clock.ts';
import { BlockProducer } from '../../src/bttc/producer/producer.ts';
import type { BlockBuilder, BuildRequest, BuildResult, SealedBlock } from '../../src/bttc/producer/interface.ts';
import { IncomingBlocks } from '../../src/bttc/incoming.ts';
import { fakeBuildResult, genesisHeader, makeSigners, MemHeaders, producersOf, sealedChild, type TestSigner } from './helpers.ts';
import { tick } from '../helpers/until.ts';

const params: BorParams = { period: 2, producerDelay: 6, backupMultiplier: 2, sprint: 4, maxFutureBlockTime: 3, chainId: 1337 };

/** Builds empty blocks after `buildMs` of virtual time: enough for the scheduler's timing to matter. */
class FakeBuilder implements BlockBuilder {
  calls = 0;
  private readonly clock: FakeClock;
  buildMs: number;
  constructor(clock: FakeClock, buildMs: number) {
    this.clock = clock;
    this.buildMs = buildMs;
  }
  async buildBlock(req: BuildRequest): Promise<BuildResult> {
    this.calls++;
    await this.clock.sleepUntil(this.clock.now() + this.buildMs);
    return fakeBuildResult(req);
  }
}

class SimNode {
  readonly headers = new MemHeaders();
  readonly snaps: SnapshotManager;
  readonly verifier: HeaderVerifier;
  readonly fork: ForkChoice;
  readonly producer: BlockProducer;
  readonly builder: FakeBuilder;
  readonly rejections: string[] = [];
  online = true;
  /** Virtual time an import of a peer's block takes (a loaded node executing a full block). */
  importMs = 0;
  /** Off: the producer is not told about blocks waiting for import (the behaviour before yielding). */
  yieldToIncoming = true;
  readonly incoming = new IncomingBlocks();
  private queue: Promise<void> = Promise.resolve();
  readonly name: string;
  readonly signer: TestSigner;
  readonly net: SimNet;

  constructor(name: string, signer: TestSigner, net: SimNet, genesis: BttcHeader, producers: ReturnType<typeof producersOf>) {
    this.name = name;
    this.signer = signer;
    this.net = net;
    const ghash = this.headers.add(genesis);
    this.snaps = new SnapshotManager({ sprint: params.sprint, genesisProducers: producers }, { factory: borProducerSetFactory, headers: this.headers });
    const spans = { producersFor: () => producers };
    this.builder = new FakeBuilder(net.clock, 300);
    this.verifier = new HeaderVerifier(params, { spans });
    this.fork = new ForkChoice({ hash: ghash, parentHash: genesis.parentHash, number: 0n, difficulty: genesis.difficulty, td: genesis.difficulty });
    this.producer = new BlockProducer(
      { params, signerKey: signer.key, signerAddress: signer.address, targetGasLimit: 20_000_000n, buildBudgetMs: 500, sealMarginMs: 100 },
      {
        clock: net.clock,
        snapshots: this.snaps,
        spans,
        builder: this.builder,
        txs: { pending: () => [], dropRejected: async () => ({ dropped: 0, kept: 0 }) },
        sink: { onSealed: (b) => this.onSealed(b) },
        incoming: { hasBetter: (p, d) => this.yieldToIncoming && this.incoming.hasBetter(p, d) },
      },
    );
  }

  private async onSealed(b: SealedBlock): Promise<void> {
    if (!this.online) return;
    this.receive(b.header);
    this.net.broadcast(this, b.header);
  }

  /** Imports in arrival order (one at a time, as the node's import queue would). */
  receive(h: BttcHeader, fromPeer = false): Promise<void> {
    const hash = headerHash(h);
    this.incoming.add(h.parentHash, hash, h.difficulty);
    this.queue = this.queue
      .then(async () => {
        if (fromPeer && this.importMs > 0) await this.net.clock.sleepUntil(this.net.clock.now() + this.importMs);
        await this.importHeader(h);
      })
      .finally(() => {
        this.incoming.delete(h.parentHash, hash);
        if (this.online) this.producer.wake();
      });
    return this.queue;
  }

  private async importHeader(h: BttcHeader): Promise<void> {
    const hash = headerHash(h);
    if (this.fork.get(hash)) return;
    const parent = await this.headers.getHeaderByHash(h.parentHash);
    if (!parent) return void this.rejections.push(`block ${h.number}: unknown parent`);
    const snapshot = await this.snaps.snapshotAfter(parent);
    const r = this.verifier.verify(h, { parent, snapshot, now: Math.floor(this.net.clock.now() / 1000) });
    if (!r.ok) return void this.rejections.push(r.reason);
    this.headers.add(h);
    const res = this.fork.add({ hash, parentHash: h.parentHash, number: h.number, difficulty: h.difficulty });
    if (res.status === 'added' && res.head && this.online) this.producer.onHead(h, hash);
  }

  head(): BttcHeader {
    return this.headers.byHash.get(Buffer.from(this.fork.head.hash).toString('hex'))!;
  }

  /** Canonical chain from genesis to the head. */
  chain(): BttcHeader[] {
    const out: BttcHeader[] = [];
    let h: BttcHeader | undefined = this.head();
    while (h) {
      out.unshift(h);
      h = h.number === 0n ? undefined : this.headers.byHash.get(Buffer.from(h.parentHash).toString('hex'));
    }
    return out;
  }

  goOffline(): void {
    this.online = false;
    this.producer.stop();
  }

  /** Back online: catch up from a peer's canonical chain, then produce again. */
  async goOnline(from: SimNode): Promise<void> {
    this.online = true;
    this.producer.start();
    for (const h of from.chain().slice(1)) await this.receive(h);
    this.producer.onHead(this.head(), headerHash(this.head()));
  }
}

class SimNet {
  readonly nodes: SimNode[] = [];
  readonly clock: FakeClock;
  readonly latencyMs: number;
  constructor(clock: FakeClock, latencyMs: number) {
    this.clock = clock;
    this.latencyMs = latencyMs;
  }
  broadcast(from: SimNode, h: BttcHeader): void {
    for (const n of this.nodes) if (n !== from && n.online) this.clock.at(this.clock.now() + this.latencyMs, () => void n.receive(h, true));
  }
}

function setupNet() {
  const signers = makeSigners(3, 'sim');
  const producers = producersOf(signers);
  const genesis = genesisHeader(1_700_000_000n);
  const clock = new FakeClock(Number(genesis.time) * 1000);
  const net = new SimNet(clock, 100);
  for (const [i, s] of signers.entries()) net.nodes.push(new SimNode('ABC'[i]!, s, net, genesis, producers));
  for (const n of net.nodes) n.producer.onHead(genesis);
  return { signers, net, clock, genesis };
}

function signerIndex(signers: TestSigner[], h: BttcHeader): number {
  const a = recoverSignerUncached(h);
  return signers.findIndex((s) => equalBytes(s.address, a));
}

/** Runs until the first node's head reaches `number`. */
async function runToHeight(net: SimNet, clock: FakeClock, number: bigint, limitMs = 600_000): Promise<void> {
  const end = clock.now() + limitMs;
  while (net.nodes.find((n) => n.online)!.fork.head.number < number) {
    if (clock.now() >= end) throw new Error(`no progress past block ${net.nodes[0]!.fork.head.number}`);
    await clock.runUntil(clock.now() + 250);
  }
}

test('all producers online: every block is sealed in turn, round robin per sprint, on the Bor timetable', async () => {
  const { signers, net, clock, genesis } = setupNet();
  await runToHeight(net, clock, 16n);
  await clock.runUntil(clock.now() + 1000);
  const chain = net.nodes[0]!.chain().slice(0, 17);
  for (const n of net.nodes) {
    assert.deepEqual(n.rejections, []);
    assert.deepEqual(
      n
        .chain()
        .slice(0, 17)
        .map((h) => bytesToHex(headerHash(h))),
      chain.map((h) => bytesToHex(headerHash(h))),
      `node ${n.name} agrees`,
    );
  }
  let prev = genesis;
  for (const h of chain.slice(1)) {
    const sprintIdx = Number(h.number) / params.sprint;
    const expectedSigner = Math.floor(sprintIdx) % 3;
    assert.equal(signerIndex(signers, h), expectedSigner, `block ${h.number} in turn`);
    assert.equal(h.difficulty, 3n, `block ${h.number} difficulty`);
    assert.equal(h.time - prev.time, h.number % 4n === 0n ? 6n : 2n, `block ${h.number} spacing`);
    prev = h;
  }
  // Backups prepared blocks but never published one.
  for (const n of net.nodes) for (const s of n.producer.history) if (s.outcome === 'sealed') assert.equal(s.succession, 0);
  // Backups start building only shortly before their own (later) slot: no executor time was wasted.
  for (const n of net.nodes) assert.ok(n.builder.calls <= n.producer.history.filter((s) => s.outcome === 'sealed').length + 1, `node ${n.name} built only what it sealed`);
  for (const n of net.nodes) n.producer.stop();
});

test('failover: a backup seals while the in-turn producer is down, which takes over again at its next sprint', async () => {
  const { signers, net, clock } = setupNet();
  const [a, b, c] = net.nodes as [SimNode, SimNode, SimNode];
  await runToHeight(net, clock, 3n); // end of sprint 0; sprint 1 (blocks 4–7) belongs to B
  await clock.runUntil(clock.now() + 100); // every node has block 3
  b.goOffline();
  await runToHeight(net, clock, 9n);
  await b.goOnline(a);
  await runToHeight(net, clock, 20n);
  await clock.runUntil(clock.now() + 1000);
  const chain = a.chain().slice(0, 21);
  for (const n of [a, b, c]) {
    assert.deepEqual(n.rejections, [], `node ${n.name} rejected nothing`);
    assert.deepEqual(
      n
        .chain()
        .slice(0, 21)
        .map((h) => bytesToHex(headerHash(h))),
      chain.map((h) => bytesToHex(headerHash(h))),
    );
  }
  for (const h of chain.slice(4, 8)) {
    assert.equal(signerIndex(signers, h), 2, `block ${h.number} sealed by the first backup (C)`);
    assert.equal(h.difficulty, 2n);
    const parent = chain[Number(h.number) - 1]!;
    assert.equal(h.time - parent.time, (h.number % 4n === 0n ? 6n : 2n) + 2n, 'one backup step later');
  }
  for (const h of chain.slice(16, 20)) {
    assert.equal(signerIndex(signers, h), 1, `block ${h.number}: B in turn again`);
    assert.equal(h.difficulty, 3n);
  }
  assert.ok(c.producer.history.some((s) => s.outcome === 'sealed' && s.succession === 1));
  for (const n of net.nodes) n.producer.stop();
});

test('a late in-turn block still wins: the backup that had built its block stands down', async () => {
  const { signers, net, clock } = setupNet();
  const [a, b] = net.nodes as [SimNode, SimNode, SimNode];
  // A's executor is slow: its block 1 (slot at +2 s) is ready at ≈ +3.8 s and arrives ≈ +3.9 s, after
  // B (first backup, slot +4 s) started building at +3.4 s but before B may release.
  a.builder.buildMs = 2400;
  await runToHeight(net, clock, 2n);
  a.builder.buildMs = 300;
  await clock.runUntil(clock.now() + 1000);
  const block1 = a.chain()[1]!;
  assert.equal(signerIndex(signers, block1), 0);
  assert.equal(block1.difficulty, 3n);
  assert.ok(
    b.producer.history.some((s) => s.number === 1n && s.outcome === 'superseded' && s.succession === 1),
    JSON.stringify(b.producer.history, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  );
  for (const n of net.nodes) assert.deepEqual(n.rejections, []);
  for (const n of net.nodes) n.producer.stop();
});

/** Every distinct block any node stored, sealed by whom and with which difficulty. */
function allBlocks(net: SimNet, signers: TestSigner[]): { number: bigint; signer: number; difficulty: bigint }[] {
  const seen = new Map<string, { number: bigint; signer: number; difficulty: bigint }>();
  for (const n of net.nodes) for (const [k, h] of n.headers.byHash) if (h.number > 0n) seen.set(k, { number: h.number, signer: signerIndex(signers, h), difficulty: h.difficulty });
  return [...seen.values()];
}

test('slow imports: a backup yields to the in-turn block waiting in its import queue instead of forking', async () => {
  const run = async (yieldToIncoming: boolean) => {
    const { signers, net, clock } = setupNet();
    // Every import of a peer's block takes 2.5 s of virtual time: longer than a backup step (2 s),
    // so each backup's slot comes while the better block it has received is still being imported.
    for (const n of net.nodes) {
      n.importMs = 2500;
      n.yieldToIncoming = yieldToIncoming;
    }
    await runToHeight(net, clock, 8n);
    await clock.runUntil(clock.now() + 6000);
    for (const n of net.nodes) n.producer.stop();
    return { net, signers };
  };
  const withYield = await run(true);
  const blocks = allBlocks(withYield.net, withYield.signers);
  assert.ok(blocks.length >= 8);
  assert.deepEqual(
    blocks.filter((b) => b.difficulty !== 3n),
    [],
    'only in-turn blocks were sealed',
  );
  for (const n of withYield.net.nodes) assert.deepEqual(n.rejections, []);
  assert.ok(
    withYield.net.nodes.some((n) => n.producer.history.some((s) => s.outcome === 'yielded')),
    'backups yielded',
  );
  const chain = withYield.net.nodes[0]!.chain();
  for (const n of withYield.net.nodes)
    assert.deepEqual(
      n
        .chain()
        .slice(0, 8)
        .map((h) => bytesToHex(headerHash(h))),
      chain.slice(0, 8).map((h) => bytesToHex(headerHash(h))),
    );
  // The same network without the rule: backups seal losers that every node then imports.
  const without = await run(false);
  assert.ok(
    allBlocks(without.net, without.signers).some((b) => b.difficulty < 3n),
    'without yielding, backups fork the chain',
  );
});

test('a backup that yielded seals once the better block it waited for turns out invalid', async () => {
  const { signers, net, clock, genesis } = setupNet();
  const [a, b, c] = net.nodes as [SimNode, SimNode, SimNode];
  a.goOffline(); // A is in turn for sprint 0; only a forgery claims its slot
  const forger = makeSigners(1, 'forger')[0]!;
  // A header claiming the in-turn difficulty, sealed by a key that is not a producer; B and C
  // receive it just before the first backup slot and take 2.5 s to reach it in their queues.
  const forged = sealedChild(genesis, forger, { time: genesis.time + 2n, difficulty: 3n, sprint: params.sprint });
  for (const n of [b, c]) {
    n.importMs = 2500;
    clock.at(Number(genesis.time) * 1000 + 3300, () => void n.receive(forged, true));
  }
  await runToHeight(net, clock, 3n);
  for (const n of net.nodes) n.producer.stop();
  const block1 = b.chain()[1]!;
  assert.notEqual(signerIndex(signers, block1), 0);
  assert.ok(block1.difficulty < 3n, 'a backup sealed block 1');
  for (const n of [b, c]) assert.equal(n.rejections.length, 1, `node ${n.name} rejected the forgery: ${n.rejections.join('; ')}`);
  const backup = [b, c].find((n) => n.producer.history.some((s) => s.number === 1n && s.outcome === 'sealed'))!;
  const slots = backup.producer.history.filter((s) => s.number === 1n).map((s) => s.outcome);
  assert.deepEqual(slots.slice(0, 2), ['yielded', 'sealed'], JSON.stringify(slots));
  assert.deepEqual(
    b
      .chain()
      .slice(0, 3)
      .map((h) => bytesToHex(headerHash(h))),
    c
      .chain()
      .slice(0, 3)
      .map((h) => bytesToHex(headerHash(h))),
  );
});

test('stop waits for a build in flight (drain), and a build failing after stop is not a production failure', async () => {
  const signers = makeSigners(3, 'sim');
  const producers = producersOf(signers);
  const genesis = genesisHeader(1_700_000_000n);
  const clock = new FakeClock(Number(genesis.time) * 1000);
  const headers = new MemHeaders();
  headers.add(genesis);
  const snaps = new SnapshotManager({ sprint: params.sprint, genesisProducers: producers }, { factory: borProducerSetFactory, headers });
  let fail!: (err: Error) => void;
  let builds = 0;
  const errors: unknown[] = [];
  const logger = { error: (o: unknown) => errors.push(o), warn: () => {}, info: () => {}, debug: () => {} } as unknown as import('../../src/observability/logger.ts').Logger;
  const producer = new BlockProducer(
    { params, signerKey: signers[0]!.key, signerAddress: signers[0]!.address, targetGasLimit: 20_000_000n, buildBudgetMs: 500, sealMarginMs: 100 },
    {
      clock,
      snapshots: snaps,
      spans: { producersFor: () => producers },
      builder: {
        buildBlock: () => {
          builds++;
          // The executor (or a store it reads) is closing: the build fails, but only after stop.
          return new Promise((_resolve, reject) => (fail = reject));
        },
      },
      txs: { pending: () => [], dropRejected: async () => ({ dropped: 0, kept: 0 }) },
      sink: { onSealed: async () => assert.fail('nothing is sealed') },
      logger,
    },
  );
  producer.onHead(genesis);
  await clock.runUntil(clock.now() + 2000);
  assert.equal(builds, 1, 'the in-turn build started');
  producer.stop();
  let drained = false;
  const d = producer.drain().then(() => (drained = true));
  await tick();
  assert.equal(drained, false, 'drain waits for the build');
  fail(new Error('Database is not open'));
  await d;
  assert.deepEqual(errors, []);
  assert.ok(!producer.history.some((s) => s.outcome === 'failed'));
});
