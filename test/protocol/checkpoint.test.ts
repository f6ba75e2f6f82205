import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbiCoder, Interface, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { vectors } from '../helpers/vectors.ts';
import {
  checkpointSignBytes,
  checkpointVoteHash,
  decodeCheckpointSignBytes,
  parseCheckpoint,
  signCheckpoint,
  checkpointRangeError,
  CheckpointError,
} from '../../src/protocol/checkpoint/checkpoint.ts';
import { checkpointSyncSignBytes, checkpointSyncVoteHash, signCheckpointSync, parseCheckpointSync } from '../../src/protocol/checkpoint/checkpoint-sync.ts';
import { submitCheckpointCalldata, submitCheckpointSyncCalldata, SUBMIT_CHECKPOINT_SELECTOR, SUBMIT_CHECKPOINT_SYNC_SELECTOR, toRootChainTriple } from '../../src/protocol/checkpoint/calldata.ts';
import { chooseCheckpointRange } from '../../src/protocol/checkpoint/range.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate, recover } from '../../src/crypto/secp256k1.ts';
import { loadConfig } from '../../src/config/load.ts';
import { testKeys } from '../helpers/keys.ts';

const V = vectors.checkpointSignature;
const abi = AbiCoder.defaultAbiCoder();

test('checkpoint sign bytes: 7 words, equal to abi.encode by ethers', () => {
  const cp = parseCheckpoint(V.checkpoint);
  const data = checkpointSignBytes(cp);
  assert.equal(data.length, 224);
  const ref = abi.encode(['address', 'uint256', 'uint256', 'bytes32', 'bytes32', 'uint256', 'uint256'], [cp.proposer, cp.start, cp.end, cp.rootHash, cp.accountRootHash, cp.borChainId, cp.epoch]);
  assert.equal(bytesToHex(data), ref);
  assert.deepEqual(decodeCheckpointSignBytes(data), cp);
  // The record is plain JSON: a stored checkpoint round-trips exactly.
  assert.deepEqual(parseCheckpoint(JSON.parse(JSON.stringify(cp))), cp);
});

test('vote hash and signature vectors (r, s, v, root-chain V)', () => {
  const cp = parseCheckpoint(V.checkpoint);
  assert.equal(bytesToHex(checkpointVoteHash(cp)), V.voteHash);
  const sk = hexToBytes(V.privateKey);
  assert.equal(bytesToHex(addressFromPublicKey(publicKeyCreate(sk))), V.address);
  const sig = signCheckpoint(cp, sk);
  assert.equal(bytesToHex(sig.subarray(0, 32)), V.r);
  assert.equal(bytesToHex(sig.subarray(32, 64)), V.s);
  assert.equal(sig[64], V.v);
  const [R, S, Vv] = toRootChainTriple(sig);
  assert.equal(R, BigInt(V.r));
  assert.equal(S, BigInt(V.s));
  assert.equal(Vv, BigInt(V.rootChainV));
  assert.equal(bytesToHex(addressFromPublicKey(recover(sig.subarray(0, 64), sig[64]!, checkpointVoteHash(cp)))), V.address);
});

test('selectors match the vectors and keccak of the signatures', () => {
  assert.equal(SUBMIT_CHECKPOINT_SELECTOR, vectors.selectors['submitCheckpoint(bytes,uint256[3][])']);
  assert.equal(SUBMIT_CHECKPOINT_SYNC_SELECTOR, vectors.selectors['submitCheckpointSync(bytes,uint256[3][])']);
  assert.equal(ethersKeccak(toUtf8Bytes('submitCheckpoint(bytes,uint256[3][])')).slice(0, 10), SUBMIT_CHECKPOINT_SELECTOR);
});

test('submitCheckpoint calldata equals ethers encodeFunctionData, signatures sorted by signer', () => {
  const cp = parseCheckpoint(V.checkpoint);
  const data = checkpointSignBytes(cp);
  const keys = testKeys(3, 'calldata');
  const sigs = keys.map((k) => ({ signer: k.addressHex, signature: signCheckpoint(cp, k.secret) }));
  const calldata = submitCheckpointCalldata(data, sigs);
  const sorted = [...sigs].sort((a, b) => (a.signer < b.signer ? -1 : 1));
  const iface = new Interface(['function submitCheckpoint(bytes data, uint256[3][] sigs)', 'function submitCheckpointSync(bytes data, uint256[3][] sigs)']);
  const ref = iface.encodeFunctionData('submitCheckpoint', [data, sorted.map((s) => toRootChainTriple(s.signature))]);
  assert.equal(bytesToHex(calldata), ref);
  assert.equal(bytesToHex(calldata).slice(0, 10), '0x4e43e495');
  // Empty signature list and the sync variant.
  assert.equal(bytesToHex(submitCheckpointCalldata(data, [])), iface.encodeFunctionData('submitCheckpoint', [data, []]));
  const sync = parseCheckpointSync({ proposer: V.address, start: 0, end: 255, checkpointNumber: 10000, rootChainId: 2 });
  const sdata = checkpointSyncSignBytes(sync);
  assert.equal(bytesToHex(sdata), abi.encode(['address', 'uint256', 'uint256', 'uint256', 'uint256'], [sync.proposer, 0, 255, 10000, 2]));
  const ssigs = keys.map((k) => ({ signer: k.addressHex, signature: signCheckpointSync(sync, k.secret) }));
  assert.equal(
    bytesToHex(submitCheckpointSyncCalldata(sdata, ssigs)),
    iface.encodeFunctionData('submitCheckpointSync', [sdata, [...ssigs].sort((a, b) => (a.signer < b.signer ? -1 : 1)).map((s) => toRootChainTriple(s.signature))]),
  );
  assert.equal(bytesToHex(addressFromPublicKey(recover(ssigs[0]!.signature.subarray(0, 64), ssigs[0]!.signature[64]!, checkpointSyncVoteHash(sync)))), ssigs[0]!.signer);
  assert.throws(() => submitCheckpointCalldata(data, [sigs[0]!, sigs[0]!]), /twice/);
});

test('checkpoint input errors name the field', () => {
  assert.throws(
    () => parseCheckpoint({ ...V.checkpoint, rootHash: '0x12' }),
    (e: Error) => e instanceof CheckpointError && /rootHash/.test(e.message),
  );
  assert.throws(() => parseCheckpoint({ ...V.checkpoint, start: -1 }), /start/);
  assert.throws(() => parseCheckpoint({ ...V.checkpoint, start: 5, end: 4 }), /before start/);
  assert.throws(() => parseCheckpoint({ ...V.checkpoint, proposer: 'nope' }), /proposer/);
  assert.throws(() => parseCheckpointSync({ proposer: V.address, start: 0, end: 1, checkpointNumber: 1, rootChainId: 7 }), /rootChainId/);
  assert.deepEqual(parseCheckpoint({ ...V.checkpoint, start: '1', end: '3' }), parseCheckpoint(V.checkpoint));
});

test('range rule: start after last end, start == prev + 1, max length', () => {
  const cp = parseCheckpoint(V.checkpoint);
  assert.equal(checkpointRangeError(cp, 0, 1024), null);
  assert.match(checkpointRangeError(cp, null, 1024)!, /must be 0/);
  assert.match(checkpointRangeError({ ...cp, start: 0, end: 1024 }, null, 1024)!, /exceeds/);
  assert.equal(checkpointRangeError({ ...cp, start: 0, end: 1023 }, null, 1024), null);
  assert.match(checkpointRangeError({ ...cp, end: 1 }, 0, 1024)!, /at least 2/);
});

test('range choice (§5) with the mainnet parameters', () => {
  const p = loadConfig('mainnet').checkpoint;
  const at = (lastEnd: number | null, latest: number, waited = 0) => chooseCheckpointRange({ lastEnd, latest, now: 10_000 + waited, lastCheckpointTime: 10_000 }, p);
  // First checkpoint: start 0. latest 265 → confirmed 255 → diff 256 → end 255.
  assert.deepEqual(at(null, 265), { ready: true, start: 0, end: 255, forced: false });
  // diff 300 → 256 − 1 → end = start + 255.
  assert.deepEqual(at(255, 255 + 300 + 10), { ready: true, start: 256, end: 511, forced: false });
  // diff 700 → 512 − 1.
  assert.deepEqual(at(255, 255 + 700 + 10), { ready: true, start: 256, end: 767, forced: false });
  // Capped at max length 1024.
  assert.deepEqual(at(255, 255 + 5000 + 10), { ready: true, start: 256, end: 256 + 1023, forced: false });
  // Fewer than 256: wait, then force after more than 2048 s.
  assert.equal(at(255, 255 + 100 + 10).ready, false);
  assert.equal(at(255, 255 + 100 + 10, 2048).ready, false, 'exactly 2048 s is not yet');
  assert.deepEqual(at(255, 255 + 100 + 10, 2049), { ready: true, start: 256, end: 355, forced: true });
  // Nothing confirmed, or a single block even when forced.
  assert.equal(at(255, 260, 5000).ready, false);
  assert.equal(at(255, 256 + 10, 5000).ready, false);
  assert.deepEqual(at(255, 257 + 10, 5000), { ready: true, start: 256, end: 257, forced: true });
});
