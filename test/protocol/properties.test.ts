/** Property tests (fast-check) for the validator set and checkpoint signature sets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValidatorSet } from '../../src/protocol/validators/validator-set.ts';
import { makeValidator, type Validator } from '../../src/protocol/validators/validator.ts';
import { SignatureSet } from '../../src/protocol/checkpoint/signature-set.ts';
import { checkpointSignBytes, checkpointVoteHash, parseCheckpoint, signCheckpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';
import { testKeys } from '../helpers/keys.ts';

const addr = (i: number) => '0x' + i.toString(16).padStart(40, '0');
const powersArb = fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 12 });
const build = (powers: number[]): ValidatorSet => ValidatorSet.fromValidators(powers.map((p, i) => makeValidator({ id: i + 1, signer: addr(((i * 7919) % 4096) + 1), votingPower: p })));

function checkInvariants(set: ValidatorSet, label: string): void {
  const vals = set.validators();
  const P = vals.reduce((a, v) => a + v.votingPower, 0n);
  assert.equal(set.totalVotingPower(), P, `${label}: total`);
  for (let i = 1; i < vals.length; i++) assert.ok(vals[i - 1]!.signer < vals[i]!.signer, `${label}: sorted by signer`);
  const prios = vals.map((v) => v.proposerPriority);
  const sum = prios.reduce((a, b) => a + b, 0n);
  // Centring leaves 0 ≤ sum < n, and a round adds P and subtracts P: the sum never moves.
  assert.ok(sum >= 0n && sum < BigInt(vals.length), `${label}: centred, sum ${sum}`);
  const max = prios.reduce((a, b) => (b > a ? b : a));
  const min = prios.reduce((a, b) => (b < a ? b : a));
  // Rescaled to ≤ 2P (+1 for truncation), one round adds at most P more spread.
  assert.ok(max - min <= 3n * P + 1n, `${label}: spread ${max - min} > 3P+1 (P=${P})`);
}

test('validator set: priorities stay bounded and centred through many increments', () => {
  fc.assert(
    fc.property(powersArb, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }), (powers, steps) => {
      const set = build(powers);
      checkInvariants(set, 'genesis');
      for (const t of steps) {
        set.incrementProposerPriority(t);
        if (t === 1) checkInvariants(set, `after +${t}`);
        else {
          const sum = set.validators().reduce((a, v) => a + v.proposerPriority, 0n);
          assert.ok(sum >= 0n && sum < BigInt(set.size));
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('validator set: proposer frequency tracks voting power', () => {
  fc.assert(
    fc.property(powersArb, (powers) => {
      const set = build(powers);
      const P = powers.reduce((a, b) => a + b, 0);
      const rounds = 40 * P;
      const counts = new Map<number, number>();
      for (let r = 0; r < rounds; r++) {
        const p = set.incrementProposerPriority(1);
        counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
      }
      powers.forEach((pw, i) => {
        const got = counts.get(i + 1) ?? 0;
        // Weighted round-robin: over 40 full cycles each validator is within a few turns of 40·power.
        assert.ok(Math.abs(got - 40 * pw) <= powers.length + 1, `id ${i + 1} power ${pw}/${P}: ${got} of ${rounds}`);
      });
    }),
    { numRuns: 60 },
  );
});

test('validator set: random add/remove/update keeps the invariants and never loses a validator', () => {
  const change = fc.record({ slot: fc.integer({ min: 1, max: 30 }), power: fc.integer({ min: 0, max: 40 }) });
  fc.assert(
    fc.property(powersArb, fc.array(fc.array(change, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 15 }), (powers, batches) => {
      const set = build(powers);
      const model = new Map(set.validators().map((v) => [v.signer, v.votingPower]));
      for (const batch of batches) {
        const bySigner = new Map<string, Validator>();
        for (const c of batch) bySigner.set(addr(c.slot * 131), makeValidator({ id: 1000 + c.slot, signer: addr(c.slot * 131), votingPower: c.power }));
        const changes = [...bySigner.values()].filter((v) => v.votingPower > 0n || model.has(v.signer));
        const next = new Map(model);
        for (const c of changes) c.votingPower === 0n ? next.delete(c.signer) : next.set(c.signer, c.votingPower);
        if (changes.length === 0) continue;
        if (next.size === 0) {
          assert.throws(() => set.applyChanges(changes), /empty set/);
          continue;
        }
        set.applyChanges(changes);
        for (const [k, v] of next) model.set(k, v);
        for (const k of [...model.keys()]) if (!next.has(k)) model.delete(k);
        assert.deepEqual(new Map(set.validators().map((v) => [v.signer, v.votingPower])), model);
        checkInvariants(set, 'after change');
      }
    }),
    { numRuns: 150 },
  );
});

// Signature sets. Signing costs ~0.1 ms, so sign a fixed pool once and let fast-check pick from it.
const cp = parseCheckpoint(vectors.checkpointSignature.checkpoint);
const voteHash = checkpointVoteHash(cp);
const data = checkpointSignBytes(cp);
const keys = testKeys(12, 'signature-pool');
const signers = keys.map((k) => k.addressHex);
const sigs = keys.map((k) => signCheckpoint(cp, k.secret));
const validators = signers.slice(0, 10); // keys 10 and 11 are outsiders
const otherCp = signCheckpoint({ ...cp, epoch: 2 }, keys[0]!.secret);

type VoteSpec = { kind: 'good' | 'v27' | 'claimless' | 'wrongmsg' | 'garbage'; who: number };
const voteArb = fc.record({ kind: fc.constantFrom<VoteSpec['kind']>('good', 'v27', 'claimless', 'wrongmsg', 'garbage'), who: fc.integer({ min: 0, max: 11 }) });

function materialise(v: VoteSpec): { signer?: string; signature: Uint8Array } {
  const s = sigs[v.who]!;
  switch (v.kind) {
    case 'good':
      return { signer: signers[v.who]!, signature: s };
    case 'v27': {
      const c = s.slice();
      c[64]! += 27;
      return { signer: signers[v.who]!, signature: c };
    }
    case 'claimless':
      return { signature: s };
    case 'wrongmsg':
      return { signer: signers[0]!, signature: otherCp };
    case 'garbage':
      return { signer: signers[v.who]!, signature: new Uint8Array(65).fill(v.who + 1) };
  }
}

test('signature set: any permutation gives the same export; duplicates never count twice', async () => {
  const verifier = new InlineVerifier();
  await fc.assert(
    fc.asyncProperty(fc.array(voteArb, { minLength: 0, maxLength: 30 }), fc.integer(), async (specs, salt) => {
      const votes = specs.map(materialise);
      const shuffled = fc.sample(fc.shuffledSubarray(votes, { minLength: votes.length, maxLength: votes.length }), { seed: salt, numRuns: 1 })[0]!;
      const a = new SignatureSet({ voteHash, validators }, { verifier });
      const b = new SignatureSet({ voteHash, validators }, { verifier });
      await a.add(votes);
      // Feed the permutation in several batches too: batching must not matter either.
      for (let i = 0; i < shuffled.length; i += 7) await b.add(shuffled.slice(i, i + 7));
      assert.deepEqual(bytesToHex(a.submitCheckpointCalldata(data)), bytesToHex(b.submitCheckpointCalldata(data)));
      const distinct = new Set(specs.filter((s) => (s.kind === 'good' || s.kind === 'v27' || s.kind === 'claimless') && s.who < 10).map((s) => s.who));
      assert.equal(a.count, distinct.size);
      assert.deepEqual(a.signers(), [...distinct].map((i) => signers[i]!).sort());
      assert.equal(a.approved, distinct.size >= 7);
    }),
    { numRuns: 120 },
  );
  await verifier.close();
});
