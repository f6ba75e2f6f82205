import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { RLP } from '@ethereumjs/rlp';
import { buildExtra, decodeProducers, EXTRA_SEAL, EXTRA_VANITY, parseExtra, PRODUCER_BYTES } from '../../src/bttc/engine/extra.ts';
import { decodeHeader, encodeHeader, headerHash, sealHash, EMPTY_UNCLE_HASH } from '../../src/bttc/engine/header.ts';
import { recoverSignerUncached, sealHeader, SignerCache } from '../../src/bttc/engine/seal.ts';
import { calcGasLimit, difficultyFor, earliestTime, producerDelay, succession } from '../../src/bttc/engine/rules.ts';
import { HeaderVerifier } from '../../src/bttc/engine/verify.ts';
import { SnapshotManager } from '../../src/bttc/engine/snapshot.ts';
import { borProducerSetFactory } from '../../src/bttc/engine/valset.ts';
import type { ProposerSet } from '../../src/bttc/engine/interface.ts';
import { vectors } from '../helpers/vectors.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { ForkChoice, type BlockMeta } from '../../src/bttc/engine/forkchoice.ts';
import { childHeader, genesisHeader, makeSigners, MemHeaders, producersOf, sealedChild, testParams } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const signers = makeSigners(5);
const producers = producersOf(signers);

test('seal hash is keccak256 of the 15-field RLP with extra minus the seal', () => {
  const h = childHeader(genesisHeader(), { time: 1_000_002n, difficulty: 5n, sprint: 4 });
  const f = [h.parentHash, h.uncleHash, h.coinbase, h.stateRoot, h.txRoot, h.receiptRoot, h.bloom, 5n, 1n, h.gasLimit, 0n, 1_000_002n, h.extra.subarray(0, h.extra.length - 65), h.mixDigest, h.nonce];
  assert.equal(bytesToHex(sealHash(h)), bytesToHex(keccak256(RLP.encode(f))));
  // The seal bytes themselves must not change the seal hash, but do change the block hash.
  const sealed = sealHeader(h, signers[0]!.key);
  assert.equal(bytesToHex(sealHash(sealed)), bytesToHex(sealHash(h)));
  assert.notEqual(bytesToHex(headerHash(sealed)), bytesToHex(headerHash(h)));
  assert.equal(bytesToHex(EMPTY_UNCLE_HASH), '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347');
});

test('seal / recover round trip for every signer, and tampering changes the signer', () => {
  for (const s of signers) {
    const sealed = sealedChild(genesisHeader(), s, { time: 1_000_002n, difficulty: 5n, sprint: 4 });
    const v = sealed.extra[sealed.extra.length - 1]!;
    assert.ok(v === 0 || v === 1, 'v is 0 or 1');
    assert.ok(equalBytes(recoverSignerUncached(sealed), s.address));
    const tampered = { ...sealed, gasUsed: 1n };
    assert.ok(!equalBytes(recoverSignerUncached(tampered), s.address));
    // RLP round trip keeps the hash.
    assert.equal(bytesToHex(headerHash(decodeHeader(encodeHeader(sealed)))), bytesToHex(headerHash(sealed)));
  }
  const bad = sealedChild(genesisHeader(), signers[0]!, { time: 1_000_002n, difficulty: 5n, sprint: 4 });
  bad.extra[bad.extra.length - 1] = 7;
  assert.throws(() => recoverSignerUncached(bad), /seal v=7/);
});

test('signer cache recovers once per block hash', () => {
  const cache = new SignerCache(2);
  const h = sealedChild(genesisHeader(), signers[1]!, { time: 1_000_002n, difficulty: 5n, sprint: 4 });
  assert.ok(equalBytes(cache.recover(h), signers[1]!.address));
  assert.ok(equalBytes(cache.recover(h), signers[1]!.address));
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 1);
});

test('extra layout: vanity ‖ producers (sorted, address ‖ 20-byte power) ‖ seal only at sprint ends', () => {
  const reversed = [...producers].reverse().map((p, i) => ({ ...p, power: BigInt(i + 1) }));
  const extra = buildExtra(new Uint8Array(32).fill(0xaa), reversed);
  assert.equal(extra.length, EXTRA_VANITY + 5 * PRODUCER_BYTES + EXTRA_SEAL);
  const parsed = parseExtra(extra, 3n, 4);
  const list = decodeProducers(parsed.producerBytes);
  assert.deepEqual(
    list.map((p) => bytesToHex(p.address)),
    signers.map((s) => bytesToHex(s.address)),
  );
  assert.equal(list[0]!.power, 5n, 'power follows its address after sorting');
  // Power is a 20-byte big-endian integer right after the address.
  assert.equal(parsed.producerBytes[20 + 19], 5);
  assert.ok(parsed.producerBytes.subarray(20, 39).every((b) => b === 0));
  assert.throws(() => parseExtra(extra, 2n, 4), /not a sprint end/);
  assert.throws(() => parseExtra(buildExtra(new Uint8Array(32), null), 3n, 4), /sprint-end block 3: producer list is 0 bytes/);
  assert.throws(() => parseExtra(new Uint8Array(90), 1n, 4), /missing the 65-byte seal/);
  assert.doesNotThrow(() => parseExtra(buildExtra(new Uint8Array(0), null), 1n, 4));
});

/** The set after `sprints` sprint ends with unchanged producers. */
function setAfter(sprints: number): ProposerSet {
  let set = borProducerSetFactory.create(producers);
  for (let i = 0; i < sprints; i++) set = set.next(producers);
  return set;
}

test('producer set: genesis proposer matches the mainnet vector; equal powers rotate in address order each sprint', () => {
  const g = vectors.mainnetGenesisValidatorSet;
  const set = borProducerSetFactory.create(g.validators.map((v) => ({ address: hexToBytes(v.signer), power: BigInt(v.power) })));
  const proposer = g.validators.find((v) => v.id === g.proposerId)!;
  assert.equal(bytesToHex(set.proposer()), proposer.signer.toLowerCase());
  for (let k = 0; k < 12; k++) assert.ok(equalBytes(setAfter(k).proposer(), signers[k % 5]!.address), `sprint ${k}`);
  // A producer leaving and a new one joining: the joiner starts behind everyone else.
  const newcomer = makeSigners(1, 'newcomer')[0]!;
  const changed = setAfter(1).next([...producers.slice(1), { address: newcomer.address, power: 1n }]);
  assert.equal(changed.validators.length, 5);
  assert.equal(changed.indexOf(signers[0]!.address), -1);
  assert.ok(!equalBytes(changed.proposer(), newcomer.address));
  // serialize/restore keeps priorities: the next sprint picks the same proposer either way.
  const restored = borProducerSetFactory.restore(changed.serialize());
  assert.ok(equalBytes(restored.next(restored.validators).proposer(), changed.next(changed.validators).proposer()));
});

test('difficulty = N − succession for each position after the proposer', () => {
  for (let p = 0; p < 5; p++) {
    const set = setAfter(p);
    for (let i = 0; i < 5; i++) {
      const succ = (i - p + 5) % 5;
      assert.equal(succession(set, signers[i]!.address), succ);
      assert.equal(difficultyFor(set, signers[i]!.address), BigInt(5 - succ));
    }
  }
  assert.throws(() => succession(setAfter(0), makeSigners(1, 'other')[0]!.address), /not in the producer set/);
});

test('timing: period, producer delay at a sprint start, backup multiplier', () => {
  assert.equal(producerDelay(5n, 0, testParams), 2);
  assert.equal(producerDelay(4n, 0, testParams), 6, 'sprint start waits producerDelay instead of the period');
  assert.equal(producerDelay(5n, 3, testParams), 2 + 3 * 2);
  assert.equal(producerDelay(8n, 2, testParams), 6 + 2 * 2);
  assert.equal(earliestTime(100n, 5n, 1, testParams), 104n);
  assert.equal(calcGasLimit(10_000_000n, 20_000_000n), 10_000_000n + 10_000_000n / 1024n - 1n);
  assert.equal(calcGasLimit(20_000_000n, 20_000_000n), 20_000_000n);
});

/** A verifier with snapshots over an in-memory chain of 5 equal-power producers, sprint 4. */
async function setup() {
  const headers = new MemHeaders();
  const genesis = genesisHeader();
  headers.add(genesis);
  const snaps = new SnapshotManager({ sprint: 4, genesisProducers: producers }, { factory: borProducerSetFactory, headers });
  const verifier = new HeaderVerifier(testParams, { spans: { producersFor: () => producers } });
  return { headers, genesis, snaps, verifier };
}

test('header verification accepts in-turn and backup blocks and rejects each broken rule with its reason', async () => {
  const { genesis, snaps, verifier } = await setup();
  const snap = await snaps.snapshotAfter(genesis);
  const now = Number(genesis.time) + 100;
  const ctx = { parent: genesis, snapshot: snap, now };
  const inTurn = signers[0]!;
  const ok = verifier.verify(sealedChild(genesis, inTurn, { time: genesis.time + 2n, difficulty: 5n, sprint: 4 }), ctx);
  assert.ok(ok.ok && ok.succession === 0 && equalBytes(ok.signer, inTurn.address));
  // backup at succession 2 may seal at +2 + 2×2
  assert.ok(verifier.verify(sealedChild(genesis, signers[2]!, { time: genesis.time + 6n, difficulty: 3n, sprint: 4 }), ctx).ok);
  const early = verifier.verify(sealedChild(genesis, signers[2]!, { time: genesis.time + 5n, difficulty: 3n, sprint: 4 }), ctx);
  assert.equal(early.ok ? 'ok' : early.code, 'too-early');
  const tooSoon = verifier.verify(sealedChild(genesis, inTurn, { time: genesis.time + 1n, difficulty: 5n, sprint: 4 }), ctx);
  assert.equal(tooSoon.ok ? 'ok' : tooSoon.code, 'too-early');
  const wrongDiff = verifier.verify(sealedChild(genesis, signers[1]!, { time: genesis.time + 10n, difficulty: 5n, sprint: 4 }), ctx);
  assert.ok(!wrongDiff.ok && wrongDiff.code === 'wrong-difficulty' && /expected 4/.test(wrongDiff.reason));
  const outsider = makeSigners(1, 'outsider')[0]!;
  const notProducer = verifier.verify(sealedChild(genesis, outsider, { time: genesis.time + 10n, difficulty: 5n, sprint: 4 }), ctx);
  assert.equal(notProducer.ok ? 'ok' : notProducer.code, 'not-producer');
  const future = verifier.verify(sealedChild(genesis, inTurn, { time: BigInt(now + 4), difficulty: 5n, sprint: 4 }), ctx);
  assert.equal(future.ok ? 'ok' : future.code, 'future');
  assert.ok(verifier.verify(sealedChild(genesis, inTurn, { time: BigInt(now + 3), difficulty: 5n, sprint: 4 }), ctx).ok, 'exactly maxFutureBlockTime ahead is fine');
  const badSeal = sealedChild(genesis, inTurn, { time: genesis.time + 2n, difficulty: 5n, sprint: 4 });
  badSeal.extra.fill(0xff, badSeal.extra.length - 65, badSeal.extra.length - 1);
  const bs = verifier.verify(badSeal, ctx);
  assert.equal(bs.ok ? 'ok' : bs.code, 'bad-seal');
  const badMix = sealHeader({ ...childHeader(genesis, { time: genesis.time + 2n, difficulty: 5n, sprint: 4 }), mixDigest: new Uint8Array(32).fill(1) }, inTurn.key);
  const bm = verifier.verify(badMix, ctx);
  assert.equal(bm.ok ? 'ok' : bm.code, 'bad-fields');
});

test('sprint end must carry the span producer list; a sprint start rotates the proposer and waits producerDelay', async () => {
  const { headers, genesis, snaps, verifier } = await setup();
  let parent = genesis;
  // blocks 1..3 by the in-turn producer (signers[0]); block 3 is the sprint end.
  for (let n = 1; n <= 3; n++) {
    const snap = await snaps.snapshotAfter(parent);
    const h = sealedChild(parent, signers[0]!, { time: parent.time + 2n, difficulty: 5n, sprint: 4, nextProducers: producers });
    if (n === 3) {
      const wrongList = sealedChild(parent, signers[0]!, { time: parent.time + 2n, difficulty: 5n, sprint: 4, nextProducers: producers.slice(1) });
      const r = verifier.verify(wrongList, { parent, snapshot: snap, now: 2e9 });
      assert.ok(!r.ok && r.code === 'wrong-producer-list', JSON.stringify(r));
      const missing = sealHeader({ ...childHeader(parent, { time: parent.time + 2n, difficulty: 5n, sprint: 4 }) }, signers[0]!.key);
      const m = verifier.verify(missing, { parent, snapshot: snap, now: 2e9 });
      assert.equal(m.ok ? 'ok' : m.code, 'bad-extra');
    }
    const r = verifier.verify(h, { parent, snapshot: snap, now: 2e9 });
    assert.ok(r.ok, JSON.stringify(r));
    headers.add(h);
    parent = h;
  }
  const snap4 = await snaps.snapshotAfter(parent);
  assert.ok(equalBytes(snap4.set.proposer(), signers[1]!.address), 'next sprint: next address in turn');
  const old = verifier.verify(sealedChild(parent, signers[0]!, { time: parent.time + 6n, difficulty: 5n, sprint: 4 }), { parent, snapshot: snap4, now: 2e9 });
  assert.equal(old.ok ? 'ok' : old.code, 'wrong-difficulty');
  const early = verifier.verify(sealedChild(parent, signers[1]!, { time: parent.time + 5n, difficulty: 5n, sprint: 4 }), { parent, snapshot: snap4, now: 2e9 });
  assert.equal(early.ok ? 'ok' : early.code, 'too-early');
  assert.ok(verifier.verify(sealedChild(parent, signers[1]!, { time: parent.time + 6n, difficulty: 5n, sprint: 4 }), { parent, snapshot: snap4, now: 2e9 }).ok);
});

function meta(hash: number, parent: number, number: number, difficulty: number): { hash: Uint8Array; parentHash: Uint8Array; number: bigint; difficulty: bigint } {
  const h = (x: number) => keccak256(new Uint8Array(new Uint32Array([x]).buffer));
  return { hash: h(hash), parentHash: h(parent), number: BigInt(number), difficulty: BigInt(difficulty) };
}

test('fork choice: reorg segments name the ancestor, removed and added blocks', () => {
  const root: BlockMeta = { ...meta(0, -1, 0, 1), td: 1n };
  const fc0 = new ForkChoice(root);
  fc0.add(meta(1, 0, 1, 5)); // A1
  fc0.add(meta(2, 1, 2, 5)); // A2, head td 11
  const r = fc0.add(meta(11, 0, 1, 4)); // B1 td 5
  assert.ok(r.status === 'added' && r.head === null);
  const r2 = fc0.add(meta(12, 11, 2, 5)); // B2 td 10
  assert.ok(r2.status === 'added' && r2.head === null);
  const r3 = fc0.add(meta(13, 12, 3, 3)); // B3 td 13 > 11 → reorg
  assert.ok(r3.status === 'added' && r3.head);
  const rg = r3.head.reorg;
  assert.equal(rg.ancestor.number, 0n);
  assert.deepEqual(
    rg.removed.map((m) => m.number),
    [2n, 1n],
  );
  assert.deepEqual(
    rg.added.map((m) => m.number),
    [1n, 2n, 3n],
  );
  assert.equal(fc0.head.td, 13n);
});

test('fork choice property: the heaviest chain wins whatever the arrival order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ parentPick: fc.nat(), difficulty: fc.integer({ min: 1, max: 11 }) }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      (nodes, order) => {
        // Build a random tree: block i+1 picks any earlier block as parent.
        const blocks: { hash: Uint8Array; parentHash: Uint8Array; number: bigint; difficulty: bigint }[] = [];
        const tds = [1n];
        const nums = [0];
        nodes.forEach((n, i) => {
          const parent = n.parentPick % (i + 1);
          blocks.push(meta(i + 1, parent, nums[parent]! + 1, n.difficulty));
          tds.push(tds[parent]! + BigInt(n.difficulty));
          nums.push(nums[parent]! + 1);
        });
        // Expected head: max td, then lower number, then lower hash.
        const all = blocks.map((b, i) => ({ ...b, td: tds[i + 1]! }));
        const root: BlockMeta = { ...meta(0, -1, 0, 1), td: 1n };
        let expected: BlockMeta = root;
        for (const b of all)
          if (b.td > expected.td || (b.td === expected.td && (b.number < expected.number || (b.number === expected.number && Buffer.compare(b.hash, expected.hash) < 0)))) expected = b;
        // Shuffle the arrival order with the random keys.
        const arrival = blocks.map((b, i) => ({ b, k: order[i % order.length]! * 1000 + i })).sort((x, y) => x.k - y.k);
        const f = new ForkChoice(root);
        for (const { b } of arrival) f.add(b);
        assert.equal(bytesToHex(f.head.hash), bytesToHex(expected.hash));
        assert.equal(f.head.td, expected.td);
      },
    ),
    { numRuns: 300 },
  );
});

test('snapshots persist at sprint ends: a restarted manager needs no headers before the last sprint end', async (t) => {
  const { LevelStore } = await import('../../src/db/level.ts');
  const db = await LevelStore.open(tempDir(t, 'bttc-snap'));
  try {
    const headers = new MemHeaders();
    const genesis = genesisHeader();
    headers.add(genesis);
    const snaps = new SnapshotManager({ sprint: 4, genesisProducers: producers }, { factory: borProducerSetFactory, headers, db });
    let parent = genesis;
    const chain = [genesis];
    for (let n = 1; n <= 10; n++) {
      const snap = await snaps.snapshotAfter(parent);
      const proposer = signers.find((s) => equalBytes(s.address, snap.set.proposer()))!;
      const h = sealedChild(parent, proposer, { time: parent.time + 6n, difficulty: 5n, sprint: 4, nextProducers: producers });
      headers.add(h);
      chain.push(h);
      parent = h;
    }
    const before = await snaps.snapshotAfter(parent);
    // Only headers from the last sprint end (block 7) on are readable after the "restart".
    const late = new MemHeaders();
    for (const h of chain.slice(7)) late.add(h);
    const restarted = new SnapshotManager({ sprint: 4, genesisProducers: producers }, { factory: borProducerSetFactory, headers: late, db });
    const after = await restarted.snapshotAfter(parent);
    assert.ok(equalBytes(after.set.proposer(), before.set.proposer()));
    assert.ok(equalBytes(before.set.proposer(), signers[2]!.address), 'two sprint ends passed: third producer in turn');
  } finally {
    await db.close();
  }
});
