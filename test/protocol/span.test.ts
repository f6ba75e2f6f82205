import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectors } from '../helpers/vectors.ts';
import { createWeightedRanges, binarySearch, selectNextProducerIds, selectNextProducers, spanEligibleValidators, randomRangeInclusive } from '../../src/protocol/span/selection.ts';
import { spanBounds, spanIdForBlock, spanToJson, spanFromJson } from '../../src/protocol/span/span.ts';
import { GoRand } from '../../src/protocol/span/go-rand.ts';
import { makeValidator } from '../../src/protocol/validators/validator.ts';
import { ValidatorSet } from '../../src/protocol/validators/validator-set.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { loadConfig } from '../../src/config/load.ts';

test('weighted ranges vectors', () => {
  for (const w of vectors.producerSelection.weightedRanges) {
    const r = createWeightedRanges(w.weights);
    assert.deepEqual(r.cumulative.map(Number), w.cumulative);
    assert.equal(Number(r.total), w.total);
  }
  const { cumulative } = createWeightedRanges([30, 20, 50, 50, 1]);
  assert.deepEqual(
    [1n, 30n, 31n, 50n, 51n, 150n, 151n].map((t) => binarySearch(cumulative, t)),
    [0, 0, 1, 1, 2, 3, 4],
  );
  assert.equal(binarySearch([], 1n), -1);
});

test('producerSelection vectors: ids in draw order', () => {
  for (const c of vectors.producerSelection.cases) {
    const eligible = c.idsInOrder.map((id, i) => ({ id, votingPower: BigInt(c.powers[i]!) }));
    assert.deepEqual(selectNextProducerIds(hexToBytes(c.seed), eligible, c.producerCount), c.pickedIdsInDrawOrder, c.seed);
    // With count ≥ eligible, all are chosen (no draw).
    assert.deepEqual(selectNextProducerIds(hexToBytes(c.seed), eligible, 5), c.idsInOrder);
  }
});

test('selectNextProducers: power is the draw count, sorted by signer; eligibility filter', () => {
  const c = vectors.producerSelection.cases[0]!;
  // Signers chosen so that address order is ids 3,4,5,1,2 as in the vector.
  const signerFor: Record<number, string> = { 3: '0x' + '10'.repeat(20), 4: '0x' + '20'.repeat(20), 5: '0x' + '30'.repeat(20), 1: '0x' + '40'.repeat(20), 2: '0x' + '50'.repeat(20) };
  const all = [1, 2, 3, 4, 5].map((id) => makeValidator({ id, signer: signerFor[id]!, votingPower: 10000, startEpoch: 0 }));
  const eligible = spanEligibleValidators([...all, makeValidator({ id: 6, signer: '0x' + '60'.repeat(20), votingPower: 10000, endEpoch: 9 })], 0);
  assert.deepEqual(
    eligible.map((v) => v.id),
    c.idsInOrder,
  );
  const sel = selectNextProducers(hexToBytes(c.seed), eligible, c.producerCount);
  assert.deepEqual(sel.picked, c.pickedIdsInDrawOrder);
  const expectCount = new Map<number, number>();
  for (const id of c.pickedIdsInDrawOrder) expectCount.set(id, (expectCount.get(id) ?? 0) + 1);
  assert.deepEqual(
    sel.producers.map((p) => [p.id, Number(p.votingPower)]),
    c.idsInOrder.filter((id) => expectCount.has(id)).map((id) => [id, expectCount.get(id)!]),
  );
  // BTTC mainnet case: ≤ 11 eligible, all produce with their own power.
  const all7 = selectNextProducers(hexToBytes(c.seed), eligible, 11);
  assert.deepEqual(
    all7.producers.map((p) => [p.id, p.votingPower]),
    eligible.map((v) => [v.id, 10000n]),
  );
});

test('randomRangeInclusive stays in range and max <= min returns max', () => {
  const r = new GoRand(7n);
  for (let i = 0; i < 1000; i++) {
    const v = randomRangeInclusive(r, 1n, 3n);
    assert.ok(v >= 1n && v <= 3n);
  }
  assert.equal(randomRangeInclusive(r, 5n, 5n), 5n);
});

test('span boundaries from the mainnet preset', () => {
  const cfg = loadConfig('mainnet').bttc;
  assert.deepEqual(spanBounds(0, cfg), { start: 0, end: 255 });
  assert.deepEqual(spanBounds(1, cfg), { start: 256, end: 6655 });
  assert.deepEqual(spanBounds(2, cfg), { start: 6656, end: 13055 });
  for (const [b, id] of [
    [0, 0],
    [255, 0],
    [256, 1],
    [6655, 1],
    [6656, 2],
    [13055, 2],
    [13056, 3],
  ] as const)
    assert.equal(spanIdForBlock(b, cfg), id, `block ${b}`);
  for (let k = 0; k < 50; k++) {
    const { start, end } = spanBounds(k, cfg);
    assert.equal(spanIdForBlock(start, cfg), k);
    assert.equal(spanIdForBlock(end, cfg), k);
    if (k > 0) assert.equal(end - start + 1, cfg.spanLength);
  }
  assert.throws(() => spanBounds(-1, cfg), /span id/);
});

test('span JSON round trip', () => {
  const vals = vectors.mainnetGenesisValidatorSet.validators.map((v) => makeValidator({ id: v.id, signer: v.signer, pubKey: v.pubKey, votingPower: v.power }));
  const set = ValidatorSet.fromValidators(vals);
  const span = { id: 1, ...{ startBlock: 256, endBlock: 6655 }, validatorSet: set, selectedProducers: set.validators(), bttcChainId: 199 };
  const text = JSON.stringify(spanToJson(span));
  assert.equal(JSON.stringify(spanToJson(spanFromJson(JSON.parse(text)))), text);
  assert.throws(() => spanFromJson({ ...JSON.parse(text), endBlock: 1 }), /endBlock/);
});
