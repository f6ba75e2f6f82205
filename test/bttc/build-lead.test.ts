/**
 * The producer starts a build only as early as its recent builds say a block of what the pool holds
 * needs (src/bttc/producer/buildLead.ts), not always buildBudgetMs ahead: the pool is snapshotted
 * later, so transactions arriving meanwhile make this block. On a fake clock with a builder whose
 * time grows with gas, the lead must shrink to the build time (plus safety) and every block must
 * still be released on time with everything offered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { u64be } from '../../src/db/level.ts';
import { headerHash } from '../../src/bttc/engine/header.ts';
import { SnapshotManager } from '../../src/bttc/engine/snapshot.ts';
import { borProducerSetFactory } from '../../src/bttc/engine/valset.ts';
import { FakeClock } from '../../src/bttc/producer/clock.ts';
import { BlockProducer } from '../../src/bttc/producer/producer.ts';
import { BuildLeadEstimator } from '../../src/bttc/producer/buildLead.ts';
import type { BuildRequest, BuildResult } from '../../src/bttc/producer/interface.ts';
import type { PoolTx } from '../../src/bttc/txpool/interface.ts';
import { watchedTxSource } from '../helpers/tx-source.ts';
import { fakeBuildResult, genesisHeader, makeSigners, MemHeaders, producersOf, testParams as params } from './helpers.ts';

test('the lead estimate is the budget until builds are seen, grows with gas and stays within its bounds', () => {
  const e = new BuildLeadEstimator();
  assert.equal(e.leadMs(0n, 1000), 1000, 'nothing seen: the full budget');
  e.record({ ms: 20, gasUsed: 0n });
  assert.equal(e.leadMs(10_000_000n, 1000), 1000, 'no block of real size seen: a large one gets the full budget');
  assert.ok(e.leadMs(0n, 1000) < 100, 'an empty block costs about the empty build');
  e.record({ ms: 220, gasUsed: 20_000_000n });
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 40_000_000n }), fc.bigInt({ min: 0n, max: 40_000_000n }), (a, b) => {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const la = e.leadMs(lo, 1000);
      const lb = e.leadMs(hi, 1000);
      return la <= lb && la >= 40 && lb <= 1000;
    }),
  );
  assert.ok(e.leadMs(20_000_000n, 1000) >= 220 * 1.5, 'a full block gets the full block time with its safety factor');
  e.record({ ms: 600, gasUsed: 20_000_000n });
  e.record({ ms: 600, gasUsed: 20_000_000n });
  assert.ok(e.leadMs(20_000_000n, 1000) >= 600, 'slower builds (a loaded machine) in most recent samples raise the lead');
});

test('one slow build among many (a cold start) does not hold the lead up; a sustained slowdown does', () => {
  const e = new BuildLeadEstimator();
  e.record({ ms: 20, gasUsed: 0n });
  e.record({ ms: 900, gasUsed: 8_000_000n }); // the first big build, JIT still cold
  for (let i = 0; i < 8; i++) e.record({ ms: 60, gasUsed: 8_000_000n });
  const steady = e.leadMs(8_000_000n, 1000);
  assert.ok(steady <= 60 * 1.5 + 20, `one outlier in ten builds: lead ${steady} ms follows the steady 60 ms builds`);
  for (let i = 0; i < 4; i++) e.record({ ms: 400, gasUsed: 8_000_000n });
  assert.ok(e.leadMs(8_000_000n, 1000) < 400, 'a minority of slow builds does not move the median yet');
  for (let i = 0; i < 5; i++) e.record({ ms: 400, gasUsed: 8_000_000n });
  const loaded = e.leadMs(8_000_000n, 1000);
  assert.ok(loaded >= 400, `most recent builds slow: lead ${loaded} ms covers them`);
  const largest = new BuildLeadEstimator({ rateQuantile: 1 });
  largest.record({ ms: 20, gasUsed: 0n });
  largest.record({ ms: 900, gasUsed: 8_000_000n });
  for (let i = 0; i < 8; i++) largest.record({ ms: 60, gasUsed: 8_000_000n });
  assert.equal(largest.leadMs(8_000_000n, 1000), 1000, 'rateQuantile 1 keeps the old, largest-rate rule');
});

/** One producer (always in turn) over a pool of `pendingTxs` 21000-gas transactions; builds take 20 ms + 1 ms per 100k gas. */
async function run(adaptiveLead: boolean, pendingTxs: number, blocks: number) {
  const [signer] = makeSigners(1, 'lead');
  const producers = producersOf([signer!]);
  const genesis = genesisHeader(1_700_000_000n);
  const clock = new FakeClock(Number(genesis.time) * 1000);
  const headers = new MemHeaders();
  headers.add(genesis);
  const snaps = new SnapshotManager({ sprint: params.sprint, genesisProducers: producers }, { factory: borProducerSetFactory, headers });
  const txs: PoolTx[] = Array.from(
    { length: pendingTxs },
    (_, i) => ({ gasLimit: 21000n, raw: new Uint8Array([i & 255]), sender: new Uint8Array(20), hash: keccak256(u64be(BigInt(i))) }) as unknown as PoolTx,
  );
  const builds: { startedMs: number; releaseMs: number; offered: number; budgetMs: number }[] = [];
  const released: { atMs: number; releaseMs: number; txs: number }[] = [];
  let producer!: BlockProducer;
  const builder = {
    async buildBlock(req: BuildRequest): Promise<BuildResult> {
      const gas = 21000n * BigInt(req.txs.length);
      builds.push({ startedMs: clock.now(), releaseMs: Number(req.header.time) * 1000, offered: req.txs.length, budgetMs: req.budgetMs });
      await clock.sleepUntil(clock.now() + 20 + Number(gas / 100_000n));
      return fakeBuildResult(req, gas, req.txs.length);
    },
  };
  producer = new BlockProducer(
    { params, signerKey: signer!.key, signerAddress: signer!.address, targetGasLimit: 20_000_000n, buildBudgetMs: 1000, sealMarginMs: 50, adaptiveLead },
    {
      clock,
      snapshots: snaps,
      spans: { producersFor: () => producers },
      builder,
      txs: { pending: () => txs.values(), dropRejected: async () => ({ dropped: 0, kept: 0 }) },
      sink: {
        onSealed: async (b) => {
          released.push({ atMs: clock.now(), releaseMs: Number(b.header.time) * 1000, txs: b.txs.length });
          headers.add(b.header);
          producer.onHead(b.header, headerHash(b.header));
        },
      },
    },
  );
  producer.onHead(genesis);
  // Sprint starts wait producerDelay (6 s): enough virtual time for `blocks` blocks either way.
  await clock.runUntil(clock.now() + blocks * 4000);
  producer.stop();
  return { builds, released };
}

test('builds start as late as the measured build time allows, and blocks are still released on time and full', async () => {
  const pending = 476; // half a 20M-gas block of transfers: a build of ~120 ms here
  const fixed = await run(false, pending, 8);
  const adaptive = await run(true, pending, 8);
  for (const r of [fixed, adaptive]) {
    assert.ok(r.released.length >= 8, `${r.released.length} blocks released`);
    for (const b of r.released) {
      assert.equal(b.atMs, b.releaseMs, 'released at its timestamp, not late');
      assert.equal(b.txs, pending, 'everything offered was built');
    }
  }
  const lead = (b: { startedMs: number; releaseMs: number }) => b.releaseMs - b.startedMs;
  assert.ok(
    fixed.builds.every((b) => lead(b) === 1050),
    `fixed leads: ${fixed.builds.map(lead)}`,
  );
  assert.equal(lead(adaptive.builds[0]!), 1050, 'the first build knows nothing yet: the full budget');
  // After one block of that size: (20 + 100 ms) × 1.5 + 20 ms slack + 50 ms margin = 250 ms.
  for (const b of adaptive.builds.slice(1)) assert.ok(lead(b) <= 260 && lead(b) >= 120 + 50, `adaptive lead ${lead(b)} ms`);
});

test('a producer waiting on an empty pool sleeps until a transaction arrives instead of polling, then builds it', async () => {
  const [signer] = makeSigners(1, 'idle');
  const producers = producersOf([signer!]);
  const genesis = genesisHeader(1_700_000_000n);
  const clock = new FakeClock(Number(genesis.time) * 1000);
  const headers = new MemHeaders();
  headers.add(genesis);
  const snaps = new SnapshotManager({ sprint: params.sprint, genesisProducers: producers }, { factory: borProducerSetFactory, headers });
  const pool: PoolTx[] = [];
  const txs = watchedTxSource(() => pool.values());
  const released: { number: bigint; txs: number }[] = [];
  let producer!: BlockProducer;
  producer = new BlockProducer(
    { params, signerKey: signer!.key, signerAddress: signer!.address, targetGasLimit: 20_000_000n, buildBudgetMs: 1000, sealMarginMs: 50 },
    {
      clock,
      snapshots: snaps,
      spans: { producersFor: () => producers },
      builder: {
        async buildBlock(req: BuildRequest): Promise<BuildResult> {
          await clock.sleepUntil(clock.now() + 20);
          return fakeBuildResult(req, 21000n * BigInt(req.txs.length), req.txs.length);
        },
      },
      txs: txs.source,
      sink: {
        onSealed: async (b) => {
          released.push({ number: b.header.number, txs: b.txs.length });
          headers.add(b.header);
          producer.onHead(b.header, headerHash(b.header));
        },
      },
    },
  );
  producer.onHead(genesis);
  // Block 1 (a sprint start: producerDelay) and a few more, all empty.
  await clock.runUntil(clock.now() + 14_000);
  const emptyBlocks = released.length;
  assert.ok(emptyBlocks >= 3, `${emptyBlocks} empty blocks sealed`);
  assert.ok(txs.reads() <= emptyBlocks * 3, `${txs.reads()} pool reads for ${emptyBlocks} empty slots: no 50 ms polling`);
  // A transaction arrives while the producer waits: it wakes, and the next block carries it.
  pool.push({ gasLimit: 21000n, raw: new Uint8Array([1]), sender: new Uint8Array(20), hash: keccak256(u64be(1n)) } as unknown as PoolTx);
  txs.added();
  await clock.runUntil(clock.now() + 2_100);
  producer.stop();
  assert.ok(released.length > emptyBlocks, 'a block followed the arrival');
  assert.equal(released[emptyBlocks]!.txs, 1, 'the next block includes the transaction');
});
