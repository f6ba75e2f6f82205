import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectors } from '../helpers/vectors.ts';
import { checkpointRoot, rootFromLeaves, packLeafPreimages, leavesFromPreimages, MAX_ROOT_HASH_BLOCKS } from '../../src/merkle/checkpoint.ts';
import { accountRoot } from '../../src/merkle/account.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/util/bytes.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';

const header = (l: { number: number; timestamp: number; txRoot: string; receiptsRoot: string }) => ({
  number: l.number,
  timestamp: l.timestamp,
  txRoot: hexToBytes(l.txRoot),
  receiptsRoot: hexToBytes(l.receiptsRoot),
});
const byNumber = new Map(vectors.checkpointLeaves.map((l) => [l.number, l]));

test('checkpoint leaves match the vectors', () => {
  const leaves = leavesFromPreimages(packLeafPreimages(vectors.checkpointLeaves.map(header)));
  vectors.checkpointLeaves.forEach((l, i) => assert.equal(bytesToHex(leaves.subarray(i * 32, i * 32 + 32)), l.leaf, `leaf of block ${l.number}`));
});

test('checkpoint roots match the vectors (pairs, padding, single block, raw leaves)', () => {
  for (const c of vectors.checkpointRoots) {
    const root = c.blocks ? checkpointRoot(c.blocks.map((n) => header(byNumber.get(n)!))) : rootFromLeaves(concatBytes(...c.leaves!.map(hexToBytes)));
    assert.equal(bytesToHex(root), c.root);
  }
});

test('padding leaves are zero, not hashed: 3 leaves equal 3 leaves + explicit zero leaf', () => {
  const leaves = [1, 2, 3].map((i) => keccak256(new Uint8Array([i])));
  assert.deepEqual(rootFromLeaves(concatBytes(...leaves)), rootFromLeaves(concatBytes(...leaves, new Uint8Array(32))));
  assert.notDeepEqual(rootFromLeaves(concatBytes(...leaves)), rootFromLeaves(concatBytes(...leaves, keccak256(new Uint8Array(32)))));
});

test('checkpoint root rejects empty and oversized ranges', () => {
  assert.throws(() => checkpointRoot([]), /empty/);
  assert.throws(() => rootFromLeaves(new Uint8Array((MAX_ROOT_HASH_BLOCKS + 1) * 32)), /exceed/);
});

test('account roots match the vectors, including unsorted input and the 7 mainnet signers', () => {
  for (const c of vectors.accountRoots) {
    const accounts = Array.isArray(c.accounts)
      ? c.accounts.map(([a, fee]) => ({ address: hexToBytes(a), fee: BigInt(fee) }))
      : vectors.mainnetGenesisValidatorSet.validators.map((v) => ({ address: hexToBytes(v.signer), fee: 0n }));
    assert.equal(bytesToHex(accountRoot(accounts)), c.root);
  }
});
