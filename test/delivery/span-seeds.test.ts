/**
 * The root chain never holds up Delivery consensus: span seeds are fetched in the background and
 * waited for only briefly (SpanSeeds), the node's seed source says why it cannot answer
 * (rootSpanSeed), a side-tx verdict or a module's proposals that take too long are dropped
 * (boundedOrNull), and a four-validator network whose root chain hangs keeps deciding heights,
 * says the span proposal waits, and commits the span once the root chain answers.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { boundedOrNull } from '../../src/delivery/app/side-txs.ts';
import { waitingGauge } from '../../src/delivery/app/waits.ts';
import { SeedUnreachableError, SpanSeeds, type NamedSeedSource } from '../../src/delivery/modules/span/seed.ts';
import { waitingLines } from '../../src/devnet/status.ts';
import type { DevnetSnapshot } from '../../src/devnet/supervisor.ts';
import { rootSpanSeed } from '../../src/node/adapters.ts';
import { SPAN_TX } from '../../src/delivery/modules/span/txs.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { sleep } from '../helpers/until.ts';
import { closeNode, decideHeight, devConfig, genesisOf, GENESIS_TIME, key, openNode, spanSeed, type NodeHandle } from './helpers.ts';

const SEED = keccak256(new TextEncoder().encode('root-block-3'));

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function named(fn: (id: number) => Promise<Uint8Array | null>, label = 'root chain 2'): NamedSeedSource {
  return Object.assign(fn, { label });
}

describe('SpanSeeds', () => {
  it('waits at most waitMs for a seed, then answers at once while the request is out; a late answer is used and the wait cleared', async () => {
    let calls = 0;
    const d = deferred<Uint8Array | null>();
    const seeds = new SpanSeeds({ waitMs: 100, fetchTimeoutMs: 10_000, retryMs: 0 }, { source: named(() => (calls++, d.promise)) });
    let t = performance.now();
    assert.equal(await seeds.seed(3, 'proposal'), null);
    const waited = performance.now() - t;
    assert.ok(waited >= 90 && waited < 2000, `waited ${waited} ms`);
    const [w] = seeds.waiting();
    assert.equal(w?.what, 'span 3 proposal');
    assert.match(w!.reason, /^root chain 2 has not answered for \d+ s$/);
    assert.deepEqual([w!.kind, w!.cause], ['span_proposal', 'no_answer']);

    t = performance.now();
    assert.equal(await seeds.seed(3, 'proposal'), null);
    assert.ok(performance.now() - t < 50, 'no second wait while the first request is out');
    assert.equal(calls, 1, 'one request per span at a time');

    d.resolve(SEED);
    await sleep(0);
    assert.equal(bytesToHex((await seeds.seed(3, 'proposal'))!), bytesToHex(SEED));
    assert.deepEqual(seeds.waiting(), []);
    assert.equal(calls, 1, 'the answer is cached');
  });

  it('an unreachable chain: the reason names it, the time and the cause; asked again no sooner than retryMs; a committed span clears it', async () => {
    let calls = 0;
    const seeds = new SpanSeeds(
      { waitMs: 100, fetchTimeoutMs: 10_000, retryMs: 300 },
      { source: named(async () => (calls++, Promise.reject(new SeedUnreachableError('root chain 2', 'ECONNREFUSED')))) },
    );
    assert.equal(await seeds.seed(4, 'vote'), null);
    const [w] = seeds.waiting();
    assert.equal(w?.what, 'span 4 vote');
    assert.match(w!.reason, /^root chain 2 unreachable since \d\d:\d\d:\d\dZ \(ECONNREFUSED\)$/);
    assert.deepEqual([w!.kind, w!.cause], ['span_vote', 'unreachable']);
    await seeds.seed(4, 'vote');
    assert.equal(calls, 1, 'not asked again within retryMs');
    await sleep(350);
    await seeds.seed(4, 'vote');
    assert.equal(calls, 2);
    assert.equal(seeds.waiting()[0]!.reason, w!.reason, 'the outage keeps its start time');
    seeds.settled(4);
    assert.deepEqual(seeds.waiting(), []);
  });

  it('a request that never answers counts as failed after fetchTimeoutMs and is made again; a chain without the block says so', async () => {
    let calls = 0;
    const hang = new SpanSeeds({ waitMs: 20, fetchTimeoutMs: 100, retryMs: 0 }, { source: named(() => (calls++, new Promise<Uint8Array | null>(() => {}))) });
    assert.equal(await hang.seed(5, 'proposal'), null);
    await sleep(150);
    assert.match(hang.waiting()[0]!.reason, /^root chain 2 unreachable since .* \(no answer within 0\.1 s\)$/);
    await hang.seed(5, 'proposal');
    assert.equal(calls, 2);

    const noBlock = new SpanSeeds({ waitMs: 100, fetchTimeoutMs: 1000, retryMs: 0 }, { source: named(async () => null) });
    assert.equal(await noBlock.seed(9, 'proposal'), null);
    assert.match(noBlock.waiting()[0]!.reason, /^root chain 2 has no block #9 yet/);
    assert.equal(noBlock.waiting()[0]!.cause, 'no_block');
  });

  it('the waiting gauge reports the oldest wait per kind and cause in seconds', async () => {
    const reg = new Registry();
    let waits = [{ what: 'span 3 proposal', reason: 'r', since: 1000, kind: 'span_proposal', cause: 'unreachable' }];
    waitingGauge(
      reg,
      () => waits,
      () => 31_000,
    );
    assert.match(await reg.metrics(), /bttc_delivery_waiting_seconds\{kind="span_proposal",cause="unreachable"\} 30/);
    waits = [];
    assert.doesNotMatch(await reg.metrics(), /bttc_delivery_waiting_seconds\{/);
  });
});

describe('devnet status', () => {
  it('shows each distinct wait once, with the nodes that report it', () => {
    const wait = (reason: string) => ({ what: 'span 2 proposal', reason, since: 0 });
    const node = (index: number, waiting: { what: string; reason: string; since: number }[]) => ({
      index,
      role: 'validator',
      pid: 1,
      rpcUrl: '',
      restarts: 0,
      up: true,
      status: { delivery: { waiting } },
    });
    const snap = {
      nodes: [node(0, [wait('root chain 2 unreachable since 09:46:25Z (ECONNREFUSED)')]), node(1, []), node(2, [wait('root chain 2 unreachable since 09:46:27Z (ECONNREFUSED)')])],
    } as unknown as DevnetSnapshot;
    assert.deepEqual(waitingLines(snap), ['waiting  span 2 proposal: root chain 2 unreachable since 09:46:25Z (ECONNREFUSED)  (node 0, 2)']);
  });
});

describe('rootSpanSeed', () => {
  it('names the chain and the cause when it cannot ask, and gives up after its timeout', async () => {
    const refused = rootSpanSeed({ rootChainId: 2, blockHash: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8645'), { code: 'ECONNREFUSED' })) }, null);
    assert.equal(refused.label, 'root chain 2');
    await assert.rejects(refused(3), (e: Error) => e instanceof SeedUnreachableError && e.chain === 'root chain 2' && e.detail === 'ECONNREFUSED');
    const hung = rootSpanSeed({ rootChainId: 1, blockHash: () => new Promise<string | null>(() => {}) }, null, { timeoutMs: 50 });
    await assert.rejects(hung(3), (e: Error) => e instanceof SeedUnreachableError && e.message === 'root chain 1 unreachable (no answer within 0.05 s)');
    const fine = rootSpanSeed({ rootChainId: 2, blockHash: async (n) => (n > 10 ? null : bytesToHex(SEED)) }, null);
    assert.equal(bytesToHex((await fine(3))!), bytesToHex(SEED));
    assert.equal(await fine(11), null, 'no such block yet');
  });
});

describe('boundedOrNull', () => {
  it('null once the bound passes; the value or the rejection before it', async () => {
    assert.equal(await boundedOrNull(new Promise(() => {}), 20), null);
    assert.equal(await boundedOrNull(Promise.resolve(7), 1000), 7);
    await assert.rejects(boundedOrNull(Promise.reject(new Error('boom')), 1000), /boom/);
  });
});

describe('a Delivery network whose root chain hangs', () => {
  const cleanup: NodeHandle[] = [];
  after(async () => {
    for (const n of cleanup) await closeNode(n).catch(() => {});
  });

  it('keeps deciding heights, says the span proposal waits and why, and commits the span once the root chain answers', async () => {
    const config = devConfig();
    const keys = Array.from({ length: 4 }, (_, i) => key(i));
    const genesis = genesisOf(keys);
    const clock = {
      t: GENESIS_TIME,
      now() {
        return this.t;
      },
    };
    // Node 0's root chain answers; the others' hang until `up`: node 0 proposes the span, the others
    // cannot check its seed and must abstain (so it is rejected), and their own proposals skip it.
    let up = false;
    const waiters: (() => void)[] = [];
    const hanging = named(async (id) => {
      if (!up) await new Promise<void>((r) => waiters.push(r));
      return spanSeed(id);
    });
    const nodes: NodeHandle[] = [];
    for (const [i, k] of keys.entries()) nodes.push(await openNode(k, genesis, { clock, spanSeed: i === 0 ? spanSeed : hanging }));
    cleanup.push(...nodes);
    const outcomes: string[] = [];
    nodes[1]!.app.onCommitted((c) => {
      for (const o of c.outcomes) if (o.type === SPAN_TX && o.outcome !== 'included') outcomes.push(o.outcome);
    });

    const decide = async (): Promise<number> => {
      clock.t += 2000;
      const t0 = performance.now();
      // Without the bounds a proposal or a commit awaits the hanging seed for ever.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 15_000)));
      const done = await Promise.race([decideHeight(nodes, config.delivery.chainId).then(() => true), late]).finally(() => clearTimeout(timer));
      assert.ok(done, `height ${nodes[1]!.app.height + 1} not decided within 15 s: something awaits the root chain`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 8; i++) await decide();
    assert.equal(nodes[1]!.app.height, 8, 'eight heights decided with the root chain hanging');
    assert.equal(nodes[1]!.app.lastSpanId, 0, 'no span without the seed');
    assert.ok(outcomes.includes('rejected'), `node 0's span proposal is rejected for want of Yes votes: ${outcomes}`);
    const waits = nodes.slice(1).flatMap((n) => n.app.waiting());
    assert.ok(
      waits.some((w) => w.what === 'span 1 proposal' && /^root chain 2 has not answered for \d+ s$/.test(w.reason)),
      JSON.stringify(waits),
    );
    assert.ok(
      waits.some((w) => w.what === 'span 1 vote'),
      JSON.stringify(waits),
    );
    // Once waited out, a proposal or a verdict does not wait again.
    assert.ok((await decide()) < 900, 'a height without a second wait');

    up = true;
    for (const w of waiters.splice(0)) w();
    for (let i = 0; i < 6 && nodes[1]!.app.lastSpanId === 0; i++) await decide();
    for (const n of nodes) assert.equal(n.app.lastSpanId, 1, 'span 1 committed once the root chain answers');
    for (const n of nodes) assert.deepEqual(n.app.waiting(), []);
  });
});
