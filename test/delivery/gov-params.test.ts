/**
 * Delivery parameters from the Governor (docs/governance.md "Delivery parameters"): a mirrored
 * `ParamChanged` is applied at its tally height A on every validator and is in force from A + 1;
 * REST (`/gov/params`, `/checkpoints/params`) shows it pending at A and in force from A + 1; a replayed
 * event, an older one arriving late and a key Delivery does not know change nothing; the change
 * survives a restart. The rules themselves (pure): the checkpoint buffer check switches exactly at
 * A + 1, and any order of applying changes gives the value of the newest one applied before the height
 * (property test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DeliveryState } from '../../src/delivery/app/state.ts';
import type { EventRef } from '../../src/delivery/app/types.ts';
import { bufferOpen } from '../../src/delivery/modules/checkpoint/proposal.ts';
import type { CheckpointTrack } from '../../src/delivery/modules/checkpoint/state.ts';
import { applyParamTx, checkpointBufferTime, GOV_PARAM_TX, paramAt, pendingParams, type GovParamTx } from '../../src/delivery/modules/gov/params.ts';
import { GOV_STATE, govOf } from '../../src/delivery/modules/gov/state.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { paramKey, paramName } from '../../src/gov/params.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { spanProducers } from '../../src/bttc/layer.ts';
import type { SpanRecord } from '../../src/bttc/system/types.ts';
import { stakingSequence } from '../../src/root/sequence.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';

const config = devConfig();
const GENESIS_BUFFER = config.checkpoint.bufferTime;
const KEY = paramKey('checkpoint_buffer_time');
const SPAN_KEY = paramKey('span_duration');
const GENESIS_SPAN = config.bttc.spanLength;

// biome-ignore lint/suspicious/noExplicitAny: REST bodies read field by field
type Json = any;

describe('gov params: keys', () => {
  it('a key is the ASCII name left-aligned in 32 bytes; anything else names no parameter', () => {
    assert.equal(KEY, `0x${Buffer.from('checkpoint_buffer_time').toString('hex').padEnd(64, '0')}`);
    assert.equal(paramName(KEY), 'checkpoint_buffer_time');
    assert.equal(paramName(paramKey('span_duration')), 'span_duration');
    assert.equal(paramName(paramKey('sprint_duration')), null, 'not a parameter Delivery applies');
    assert.equal(paramName(`${KEY.slice(0, -2)}01`), null, 'a non-zero byte after the name');
    assert.equal(paramName('0x1234'), null);
    assert.throws(() => paramKey('x'.repeat(33)), /1 to 32 ASCII bytes/);
  });
});

describe('gov params: the effective-height rule (pure)', () => {
  const fresh = () => {
    const s = DeliveryState.genesis(0, [GOV_STATE]);
    s.init(GOV_STATE, { govProposals: new Map(), govUnattributed: 0, govParams: [] });
    return s;
  };
  const ref = (block: number, logIndex = 0): EventRef => ({
    rootChainId: 2,
    sequence: stakingSequence(block, logIndex),
    blockNumber: block,
    logIndex,
    txHash: `0x${block.toString(16).padStart(64, '0')}`,
  });
  const tx = (block: number, value: bigint, key = KEY): GovParamTx => ({ type: GOV_PARAM_TX, ref: ref(block), key, value, oldValue: 0n });

  it('applied at A, in force from A + 1: the checkpoint buffer check switches exactly there', () => {
    const s = fresh();
    const A = 40;
    const r = applyParamTx(tx(500, 5n), { state: s, config, height: A });
    assert.equal(r.outcome, 'applied');
    assert.deepEqual([r.change?.height, r.change?.effectiveHeight], [A, A + 1]);
    assert.equal(checkpointBufferTime(s, A, config), GENESIS_BUFFER);
    assert.equal(checkpointBufferTime(s, A + 1, config), 5);
    assert.deepEqual(
      pendingParams(s, A).map((c) => c.value),
      [5],
    );
    assert.deepEqual(pendingParams(s, A + 1), []);
    // A checkpoint buffered 10 s before the block: still closed at A (60 s), open from A + 1 (5 s).
    const track = { rootChainId: 2, buffer: { time: 1_000_000 } } as unknown as CheckpointTrack;
    const at = (height: number) => bufferOpen(track, { config, stakingChainId: 2, height, blockTime: 1_010_000, state: s });
    assert.equal(at(A), false);
    assert.equal(at(A + 1), true);
  });

  it('refuses (stale) a replay, an older change, an unknown key and an out-of-range value; state round-trips', () => {
    const s = fresh();
    assert.equal(applyParamTx(tx(500, 5n), { state: s, config, height: 10 }).outcome, 'applied');
    const replay = applyParamTx(tx(500, 7n), { state: s, config, height: 12 });
    assert.equal(replay.outcome, 'stale');
    assert.match(replay.reason!, /not after the last applied/);
    assert.equal(applyParamTx(tx(499, 9n), { state: s, config, height: 12 }).outcome, 'stale', 'an older change never overwrites a newer one');
    assert.match(applyParamTx(tx(600, 9n, paramKey('sprint_duration')), { state: s, config, height: 12 }).reason!, /unknown delivery parameter key/);
    assert.match(applyParamTx(tx(600, 100n, paramKey('span_duration')), { state: s, config, height: 12 }).reason!, /span_duration must be a multiple of bttc.sprint \(16\), got 100/);
    assert.match(applyParamTx(tx(600, 0n), { state: s, config, height: 12 }).reason!, /within \[1, 86400\], got 0/);
    assert.match(applyParamTx(tx(600, 86_401n), { state: s, config, height: 12 }).reason!, /got 86401/);
    assert.equal(checkpointBufferTime(s, 100, config), 5);
    const back = GOV_STATE.fromJson(JSON.parse(JSON.stringify(GOV_STATE.toJson(govOf(s)))));
    assert.deepEqual(back.govParams, govOf(s).govParams);
    assert.deepEqual(GOV_STATE.fromJson({}).govParams, [], 'a snapshot from before the parameters');
  });

  it('property: any arrival order gives, for the heights still judged, the newest change applied before them; applying keeps ≤ 1 change in force + pending', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ block: fc.integer({ min: 1, max: 60 }), value: fc.integer({ min: 1, max: 86_400 }), gap: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 25 }),
        (events) => {
          const s = fresh();
          let height = 1;
          let lastSeq = -1n;
          const applied: { height: number; value: number }[] = [];
          for (const e of events) {
            height += e.gap;
            const t = tx(e.block, BigInt(e.value));
            const r = applyParamTx(t, { state: s, config, height });
            // Model: applied iff newer (by root sequence) than everything applied before.
            const newer = t.ref.sequence > lastSeq;
            assert.equal(r.outcome, newer ? 'applied' : 'stale');
            if (newer) {
              lastSeq = t.ref.sequence;
              applied.push({ height, value: e.value });
              // Applying prunes: of the changes already in force only the newest stays.
              assert.ok(govOf(s).govParams.filter((c) => c.effectiveHeight <= height).length <= 1, 'one change in force kept');
            }
            // The state answers for the heights still to be judged: this one (its later txs) and the next.
            for (const h of [height, height + 1]) {
              const want = applied.filter((a) => a.height < h).pop()?.value ?? GENESIS_BUFFER;
              assert.equal(paramAt(s, 'checkpoint_buffer_time', h, config), want, `height ${h}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Bttc: a block's span from the records (span lengths governance changed)", () => {
  it('property: any lengths, any query order, cold or warm: the span whose bounds hold the block, none past the last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (lengths, queries, configured) => {
          const records = new Map<number, SpanRecord>();
          let start = 0;
          for (const [id, len] of lengths.entries()) {
            records.set(id, { id, startBlock: start, endBlock: start + len - 1, validators: [], producers: [{ id: BigInt(id), power: 1n, signer: new Uint8Array([id]) }] });
            start += len;
          }
          const producers = spanProducers({ spanById: (id) => records.get(id) }, { ...config.bttc, firstSpanEnd: lengths[0]! - 1, spanLength: configured });
          for (const q of queries) {
            const n = q % (start + 5);
            const want = [...records.values()].find((r) => r.startBlock <= n && n <= r.endBlock)?.id;
            const got = producers.producersFor(BigInt(n))?.[0]?.address[0];
            assert.equal(got, want, `block ${n}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('gov params: four validators (real app, LevelDB, side votes)', () => {
  let nodes: NodeHandle[] = [];
  const root = new FakeRoot();
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 47));
  const genesis = genesisOf(keys);
  let server: DeliveryRestServer | null = null;
  let base = '';

  async function step(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      clock.t += 2000;
      await deliverEvents(nodes, root);
      await decideHeight(nodes, config.delivery.chainId);
    }
  }
  async function stepUntil(what: string, cond: () => boolean, max = 20): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (cond()) return;
      await step();
    }
    assert.fail(`${what}: not after ${max} heights`);
  }
  const get = async (path: string): Promise<{ height: number; result: Json }> => {
    const body = (await (await fetch(base + path)).json()) as { height: string; result: Json };
    return { height: Number(body.height), result: body.result };
  };
  const paramsOf = (n: NodeHandle) => n.app.queries.gov.params(config, n.app.height);
  let changed: RootEvent;

  before(async () => {
    nodes = await Promise.all(keys.map((k) => openNode(k, genesis, { clock })));
    server = new DeliveryRestServer({}, { app: nodes[0]!.app });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    for (const n of nodes) await closeNode(n);
  });

  it('genesis: the config value, nothing pending', async () => {
    await step();
    const r = await get('/gov/params');
    assert.deepEqual(r.result, {
      params: [
        { name: 'checkpoint_buffer_time', key: KEY, value: GENESIS_BUFFER, unit: 's', source: 'genesis', effectiveHeight: 0, rootBlock: null, txHash: null },
        { name: 'span_duration', key: SPAN_KEY, value: GENESIS_SPAN, unit: 'blocks', source: 'genesis', effectiveHeight: 0, rootBlock: null, txHash: null },
      ],
      pending: [],
    });
    assert.equal((await get('/checkpoints/params')).result.checkpoint_buffer_time, GENESIS_BUFFER * 1e9);
  });

  it('a mirrored ParamChanged is pending at its tally height A on every node and in force from A + 1', async () => {
    changed = root.governorEvent('ParamChanged', { key: KEY, value: 5n, oldValue: 0n });
    await stepUntil('the change applied', () => paramsOf(nodes[0]!).pending.length > 0 || paramsOf(nodes[0]!).params[0]!.source === 'governor');
    const A = nodes[0]!.app.height;
    for (const n of nodes) {
      const p = paramsOf(n);
      assert.equal(p.params[0]!.value, GENESIS_BUFFER, 'not yet in force at A');
      assert.deepEqual(
        p.pending.map((c) => [c.name, c.value, c.height, c.effectiveHeight, c.rootBlock, c.txHash]),
        [['checkpoint_buffer_time', 5, A, A + 1, changed.blockNumber, changed.txHash]],
      );
    }
    const atA = await get('/gov/params');
    assert.equal(atA.height, A);
    assert.deepEqual(atA.result.pending, [
      { name: 'checkpoint_buffer_time', value: 5, oldValue: '0', unit: 's', height: A, effectiveHeight: A + 1, rootChainId: 2, rootBlock: changed.blockNumber, logIndex: 0, txHash: changed.txHash },
    ]);
    assert.equal((await get('/checkpoints/params')).result.checkpoint_buffer_time, GENESIS_BUFFER * 1e9);

    await step();
    for (const n of nodes) assert.deepEqual(paramsOf(n).params[0]!.value, 5);
    const atA1 = await get('/gov/params');
    assert.equal(atA1.height, A + 1);
    assert.deepEqual(atA1.result, {
      params: [
        { name: 'checkpoint_buffer_time', key: KEY, value: 5, unit: 's', source: 'governor', effectiveHeight: A + 1, rootBlock: changed.blockNumber, txHash: changed.txHash },
        { name: 'span_duration', key: SPAN_KEY, value: GENESIS_SPAN, unit: 'blocks', source: 'genesis', effectiveHeight: 0, rootBlock: null, txHash: null },
      ],
      pending: [],
    });
    assert.equal((await get('/checkpoints/params')).result.checkpoint_buffer_time, 5e9);
  });

  it('a replayed event, an older one and an unknown key change nothing; a restart keeps the value', async () => {
    for (const n of nodes) await n.app.onRootEvent(changed); // the watcher re-delivering it: already processed
    // An older change (a lower root sequence) arriving only now, and a key Delivery does not apply.
    const older: RootEvent = {
      ...changed,
      name: 'ParamChanged',
      args: { key: KEY, value: 77n, oldValue: 0n },
      blockNumber: changed.blockNumber - 1,
      sequence: stakingSequence(changed.blockNumber - 1, 0),
      txHash: `0x${'0e'.repeat(32)}`,
    };
    for (const n of nodes) await n.app.onRootEvent(older);
    root.governorEvent('ParamChanged', { key: paramKey('sprint_duration'), value: 64n, oldValue: 0n });
    root.governorEvent('ParamChanged', { key: SPAN_KEY, value: 100n, oldValue: 0n }); // not whole sprints
    await step(6);
    for (const n of nodes) {
      const p = paramsOf(n);
      assert.equal(p.params[0]!.value, 5);
      assert.equal(p.params[0]!.change?.txHash, changed.txHash);
      assert.equal(p.params[1]!.value, GENESIS_SPAN);
      assert.deepEqual(p.pending, []);
    }
    // Restart node 3 on its data dir: the change is in its committed snapshot.
    const n3 = nodes[3]!;
    await closeNode(n3, false);
    nodes[3] = await openNode(n3.key, genesis, { clock, dir: n3.dir });
    nodes[3]!.delivered = n3.delivered;
    assert.equal(paramsOf(nodes[3]!).params[0]!.value, 5);
    await step();
    assert.equal(paramsOf(nodes[3]!).params[0]!.value, 5);
  });

  it("span_duration: the first span not yet committed gets the new length from A + 1; Bttc finds blocks by the spans' bounds", async () => {
    await stepUntil('span 1 committed', () => nodes.every((n) => n.app.lastSpanId >= 1));
    const span1 = (await nodes[0]!.app.queries.span.json(1))!;
    assert.deepEqual([span1.startBlock, span1.endBlock], [config.bttc.firstSpanEnd + 1, config.bttc.firstSpanEnd + GENESIS_SPAN]);
    const NEW = 4 * config.bttc.sprint;
    const ev = root.governorEvent('ParamChanged', { key: SPAN_KEY, value: BigInt(NEW), oldValue: 0n });
    await stepUntil('span_duration applied', () => paramsOf(nodes[0]!).pending.length > 0 || paramsOf(nodes[0]!).params[1]!.source === 'governor');
    const A = nodes[0]!.app.height;
    const bor = async () => (await get('/bor/params')).result.span_duration;
    assert.equal(await bor(), GENESIS_SPAN, 'the genesis length still in force at A');
    assert.deepEqual(
      paramsOf(nodes[2]!).pending.map((c) => [c.name, c.value, c.height, c.effectiveHeight, c.txHash]),
      [['span_duration', NEW, A, A + 1, ev.txHash]],
    );
    await step();
    assert.equal(await bor(), NEW);
    // Bttc enters span 1: span 2 is proposed, after span 1's end, NEW blocks long, on every node.
    for (const n of nodes) n.bttc.latest = span1.startBlock;
    await stepUntil('span 2 committed', () => nodes.every((n) => n.app.lastSpanId >= 2));
    for (const n of nodes) {
      const s2 = (await n.app.queries.span.json(2))!;
      assert.deepEqual([s2.startBlock, s2.endBlock], [span1.endBlock + 1, span1.endBlock + NEW]);
    }
    for (const n of nodes) n.bttc.latest = span1.endBlock + 1;
    await stepUntil('span 3 committed', () => nodes.every((n) => n.app.lastSpanId >= 3));
    const s3 = (await nodes[1]!.app.queries.span.json(3))!;
    assert.deepEqual([s3.startBlock, s3.endBlock], [span1.endBlock + NEW + 1, span1.endBlock + 2 * NEW]);
    // Bttc's producer lookup by block follows the records, not the configured length.
    const records = new Map<number, SpanRecord>();
    for (let id = 0; id <= 3; id++) {
      const j = (await nodes[0]!.app.queries.span.json(id))!;
      records.set(id, { id, startBlock: j.startBlock, endBlock: j.endBlock, validators: [], producers: [{ id: BigInt(id), power: 1n, signer: new Uint8Array(20).fill(id) }] });
    }
    const producers = spanProducers({ spanById: (id) => records.get(id) }, config.bttc);
    const spanOfBlock = (n: number) => Number(producers.producersFor(BigInt(n))?.[0]?.address[0] ?? -1);
    for (const [n, want] of [
      [span1.endBlock, 1],
      [span1.endBlock + 1, 2],
      [span1.endBlock + NEW, 2],
      [span1.endBlock + NEW + 1, 3],
      [span1.endBlock + 2 * NEW, 3],
      [0, 0],
      [span1.endBlock + 2 * NEW + 1, -1],
    ] as const)
      assert.equal(spanOfBlock(n), want, `block ${n}`);
  });
});
