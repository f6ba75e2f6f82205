/**
 * Up to f byzantine validators: ones that send a different, validly signed vote (and proposal) to half
 * of their peers for every step, and ones that stay silent. The rest stay safe and live, every
 * equivocation is recorded as evidence against the equivocator only, and none is counted twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, evidenceAgainst, f, firstK, reach } from './sim-helpers.ts';
import { voteDigest, encodeVote } from '../../src/delivery/consensus/codec.ts';
import { verify } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';

const NET = { minDelayMs: 1, maxDelayMs: 100, dropRate: 0.05 };

for (const [n, seeds, heights] of [
  [4, [1, 2, 3], 8],
  [7, [1, 2], 8],
  [21, [1], 4],
] as const) {
  test(`${n} validators with f = ${f(n)} double-voters: safe, live, evidence against exactly them`, async () => {
    for (const seed of seeds) {
      const c = await cluster({ validators: n, seed, network: NET, byzantine: firstK(f(n), 'double-vote') });
      await reach(c, heights, 60_000, `seed ${seed}`);
      const accused = await evidenceAgainst(c);
      assert.ok(accused.size > 0, 'equivocation was detected');
      for (const i of accused) assert.ok(i < f(n), `evidence names honest validator ${i}`);
      // Every record is two different votes, both validly signed by the accused, same height/round/step.
      for (const node of c.honest) {
        for (const e of await node.evidence.list()) {
          const pub = c.validators.validators.find((v) => equalBytes(v.address, e.validator))!.publicKey;
          for (const v of [e.voteA, e.voteB]) {
            assert.ok(verify(v.signature.subarray(0, 64), voteDigest(c.chainId, v), pub));
            assert.deepEqual([v.height, v.round, v.type], [e.height, e.round, e.step]);
          }
          assert.notEqual(bytesToHex(encodeVote(e.voteA)), bytesToHex(encodeVote(e.voteB)));
        }
      }
      // Commits never hold two votes by one validator.
      for (const ev of c.commitEvents) {
        const signers = ev.commit.precommits.map((v) => bytesToHex(v.validator));
        assert.equal(new Set(signers).size, signers.length);
      }
      await c.stop();
    }
  });

  test(`${n} validators with f = ${f(n)} silent: safe and live`, async () => {
    for (const seed of seeds) {
      const c = await cluster({ validators: n, seed, network: NET, byzantine: firstK(f(n), 'silent') });
      await reach(c, heights, 120_000, `seed ${seed}`);
      // Heights proposed by a silent validator needed more than one round.
      assert.ok(
        c.commitEvents.some((e) => e.round > 0),
        'silent proposers forced round changes',
      );
      await c.stop();
    }
  });
}

test('7 validators, one double-voter and one silent, under partitions and drops', async () => {
  for (const seed of [31, 32]) {
    const c = await cluster({ validators: 7, seed, network: { minDelayMs: 1, maxDelayMs: 200, dropRate: 0.1 }, byzantine: { 0: 'double-vote', 1: 'silent' } });
    const ids = c.nodes.map((x) => x.peerId);
    for (let phase = 0; phase < 8; phase++) {
      if (c.prng.next() < 0.4) c.network.heal();
      else {
        const side = ids.filter(() => c.prng.next() < 0.5);
        c.network.partition([side, ids.filter((x) => !side.includes(x))]);
      }
      await c.runFor(c.prng.int(500, 2500));
      c.assertSafety();
    }
    c.network.heal();
    await reach(c, Math.max(...c.nodes.map((x) => x.app.lastHeight)) + 2, 60_000, `seed ${seed}`);
    await c.stop();
  }
});

test('more than f faulty (f+1 silent of 4) stops progress but never safety', async () => {
  const c = await cluster({ validators: 4, seed: 9, network: NET, byzantine: firstK(2, 'silent') });
  assert.equal(await c.runUntilHeight(1, 20_000), false, 'no 2/3 without them');
  c.assertSafety();
  await c.stop();
});
