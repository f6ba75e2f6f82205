import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { SignatureSet } from '../../src/protocol/checkpoint/signature-set.ts';
import { approvalThreshold } from '../../src/protocol/checkpoint/interface.ts';
import { checkpointSignBytes, checkpointVoteHash, parseCheckpoint, signCheckpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { toRootChainTriple } from '../../src/protocol/checkpoint/calldata.ts';
import { BlsSignatureAggregator, verifyBlsAggregate, encodeBlsAggregate, decodeBlsAggregate } from '../../src/protocol/checkpoint/bls-aggregate.ts';
import { blsKeygen, blsSign } from '../../src/crypto/bls.ts';
import { SECP256K1_N } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, uintToBytes, bytesToBigInt } from '../../src/util/bytes.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { vectors } from '../helpers/vectors.ts';
import { testKeys } from '../helpers/keys.ts';

const cp = parseCheckpoint(vectors.checkpointSignature.checkpoint);
const hash = checkpointVoteHash(cp);
const keys = testKeys(8, 'signature-set');
const signers = keys.map((k) => k.addressHex);
const validators = signers.slice(0, 7); // key 7 is not a validator
const vote = (i: number) => ({ signer: signers[i]!, signature: signCheckpoint(cp, keys[i]!.secret) });

test('threshold is ⌊n·2/3⌋ + 1', () => {
  assert.deepEqual([1, 2, 3, 4, 6, 7, 21, 100].map(approvalThreshold), [1, 2, 3, 3, 5, 5, 15, 67]);
});

test('signature set: accepts validators, rejects with reasons, approves at 5 of 7, exports sorted', async () => {
  const verifier = new InlineVerifier();
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const set = new SignatureSet({ voteHash: hash, validators }, { verifier, metrics });
  assert.equal(set.threshold, 5);

  const tampered = vote(4).signature.slice();
  tampered[5]! ^= 1;
  const highS = vote(5).signature.slice();
  highS.set(uintToBytes(SECP256K1_N - bytesToBigInt(highS.subarray(32, 64))), 32);
  highS[64] = highS[64]! ^ 1;
  const badV = vote(6).signature.slice();
  badV[64] = 5;
  const out = await set.add([
    vote(0),
    vote(1),
    { signature: vote(2).signature }, // no claimed signer: recovered
    vote(7), // non-validator
    { signer: signers[4]!, signature: tampered }, // a flipped bit in r recovers some other key
    { signer: signers[5]!, signature: highS },
    { signer: signers[6]!, signature: badV },
    { signer: signers[3]!, signature: vote(0).signature }, // claims 3, signed by 0
    vote(1), // duplicate
    { signer: signers[2]!, signature: new Uint8Array(64) },
  ]);
  assert.deepEqual(
    out.map((o) => (o.ok ? 'ok' : o.reason)),
    ['ok', 'ok', 'ok', 'not a current validator', 'signer mismatch', 'invalid signature', 'malformed', 'signer mismatch', 'duplicate', 'malformed'],
  );
  assert.ok(out[4]!.ok === false && out[4]!.signer === signers[4]);
  assert.equal(set.count, 3);
  assert.equal(set.approved, false);
  await set.add([vote(3)]);
  assert.equal(set.approved, false);
  await set.add([vote(4)]);
  assert.equal(set.approved, true);
  assert.equal(set.count, 5);

  const sorted = set.signers();
  assert.deepEqual(sorted, [...signers.slice(0, 5)].sort());
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]! < sorted[i]!);
  const triples = set.rootChainSignatures();
  for (const t of triples) assert.ok(t[2] === 27n || t[2] === 28n);
  const iface = new Interface(['function submitCheckpoint(bytes data, uint256[3][] sigs)']);
  const data = checkpointSignBytes(cp);
  assert.equal(bytesToHex(set.submitCheckpointCalldata(data)), iface.encodeFunctionData('submitCheckpoint', [data, set.sortedSignatures().map((s) => toRootChainTriple(s.signature))]));
  const decoded = iface.decodeFunctionData('submitCheckpoint', set.submitCheckpointCalldata(data));
  assert.equal(decoded[1].length, 5);

  const text = await metrics.metrics();
  assert.match(text, /bttc_checkpoint_votes_total\{outcome="accepted"\} 5/);
  assert.match(text, /bttc_checkpoint_votes_total\{outcome="duplicate"\} 1/);
  assert.equal(set.rejected().length, 7);

  // Persisted and restored (votes re-verified), the export is identical; a tampered store loses the vote.
  const json = JSON.parse(JSON.stringify(set.toJSON()));
  const back = await SignatureSet.fromJSON(json, { verifier });
  assert.equal(bytesToHex(back.submitCheckpointCalldata(data)), bytesToHex(set.submitCheckpointCalldata(data)));
  json.signatures[0].signature = json.signatures[1].signature;
  assert.equal((await SignatureSet.fromJSON(json, { verifier })).count, 4);
  await verifier.close();
});

test('v given as 27/28 is accepted and exported the same', async () => {
  const verifier = new InlineVerifier();
  const a = new SignatureSet({ voteHash: hash, validators }, { verifier });
  const b = new SignatureSet({ voteHash: hash, validators }, { verifier });
  const v0 = vote(0);
  const v27 = { ...v0, signature: v0.signature.slice() };
  v27.signature[64]! += 27;
  await a.add([v0]);
  await b.add([v27]);
  assert.deepEqual(a.rootChainSignatures(), b.rootChainSignatures());
});

test('BLS compressed form: one fastAggregateVerify, bitmap, bad votes dropped', async () => {
  const verifier = new InlineVerifier();
  const bls = Array.from({ length: 7 }, (_, i) => blsKeygen(new Uint8Array(32).fill(i + 1)));
  const pks = bls.map((k) => k.publicKey);
  const agg = new BlsSignatureAggregator({ message: hash, publicKeys: pks }, { verifier });
  for (const i of [0, 2, 3, 5, 6]) assert.equal(agg.add(i, blsSign(bls[i]!.secretKey, hash)), true);
  assert.equal(agg.add(0, blsSign(bls[0]!.secretKey, hash)), false, 'second vote by one index');
  assert.equal(agg.add(9, blsSign(bls[0]!.secretKey, hash)), false, 'index out of range');
  const built = await agg.build();
  assert.equal(built.count, 5);
  assert.equal(built.approved, true);
  assert.deepEqual(Array.from(built.aggregate!.bitmap), [0b01101101]);
  const enc = encodeBlsAggregate(built.aggregate!);
  assert.equal(enc.length, 1 + 96);
  const dec = decodeBlsAggregate(enc, 7);
  assert.deepEqual(await verifyBlsAggregate(dec, hash, pks, verifier), { ok: true, count: 5, approved: true });
  // Claiming a signer that did not sign breaks the aggregate.
  const forged = { ...dec, bitmap: Uint8Array.of(dec.bitmap[0]! | 0b10) };
  assert.equal((await verifyBlsAggregate(forged, hash, pks, verifier)).ok, false);
  assert.throws(() => decodeBlsAggregate(Uint8Array.of(0x80, ...dec.signature), 7), /bit 7/);

  // A bad vote (signed another message) is found and dropped on the slow path.
  const agg2 = new BlsSignatureAggregator({ message: hash, publicKeys: pks }, { verifier });
  for (const i of [0, 1, 2, 3]) agg2.add(i, blsSign(bls[i]!.secretKey, hash));
  agg2.add(4, blsSign(bls[4]!.secretKey, new Uint8Array(32)));
  const b2 = await agg2.build();
  assert.deepEqual(
    b2.dropped.map((d) => d.index),
    [4],
  );
  assert.equal(b2.count, 4);
  assert.equal(b2.approved, false);
  assert.equal((await verifyBlsAggregate(b2.aggregate!, hash, pks, verifier)).ok, true);
});
