import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DoubleSignError, VoteSigner } from '../../src/delivery/consensus/signer.ts';
import { MemoryWal, MemoryWalDisk } from '../../src/delivery/consensus/wal.ts';
import { voteDigest, proposalDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { verify } from '../../src/crypto/secp256k1.ts';
import { equalBytes } from '../../src/util/bytes.ts';
import { testKey } from '../helpers/keys.ts';

const id = (b: number) => new Uint8Array(32).fill(b);

test('signatures verify against the key, over the documented digest', async () => {
  const s = new VoteSigner({ chainId: 'c', secretKey: testKey(0, 1).secret }, { wal: new MemoryWal() });
  const { vote } = await s.signVote({ type: MsgType.Prevote, height: 3, round: 1, valueId: id(1) });
  assert.ok(verify(vote.signature.subarray(0, 64), voteDigest('c', vote), s.publicKey));
  assert.ok(!verify(vote.signature.subarray(0, 64), voteDigest('other', vote), s.publicKey));
  const { proposal } = await s.signProposal({ height: 3, round: 2, validRound: -1, value: Uint8Array.of(1) });
  assert.ok(verify(proposal.signature.subarray(0, 64), proposalDigest('c', proposal), s.publicKey));
});

test('the guard: same vote again → the stored bytes; different vote → refused; earlier step → refused', async () => {
  const wal = new MemoryWal();
  const s = new VoteSigner({ chainId: 'c', secretKey: testKey(0, 1).secret }, { wal });
  const a = await s.signVote({ type: MsgType.Prevote, height: 5, round: 0, valueId: id(1) });
  const again = await s.signVote({ type: MsgType.Prevote, height: 5, round: 0, valueId: id(1) });
  assert.ok(equalBytes(a.bytes, again.bytes));
  await assert.rejects(s.signVote({ type: MsgType.Prevote, height: 5, round: 0, valueId: null }), DoubleSignError);
  await assert.rejects(s.signVote({ type: MsgType.Prevote, height: 5, round: 0, valueId: id(2) }), DoubleSignError);
  await s.signVote({ type: MsgType.Precommit, height: 5, round: 0, valueId: null });
  await assert.rejects(s.signProposal({ height: 5, round: 0, validRound: -1, value: Uint8Array.of(1) }), /already signed at height 5 round 0/);
  await assert.rejects(s.signVote({ type: MsgType.Prevote, height: 4, round: 9, valueId: null }), DoubleSignError);
  assert.equal((await wal.readAll()).length, 2, 'only the two signed votes were logged');
});

test('the guard is rebuilt from the WAL by a new signer (restart)', async () => {
  const disk = new MemoryWalDisk();
  const s1 = new VoteSigner({ chainId: 'c', secretKey: testKey(0, 1).secret }, { wal: new MemoryWal(disk) });
  const a = await s1.signVote({ type: MsgType.Precommit, height: 7, round: 2, valueId: id(3), extension: Uint8Array.of(1) });
  const wal2 = new MemoryWal(disk);
  const s2 = new VoteSigner({ chainId: 'c', secretKey: testKey(0, 1).secret }, { wal: wal2 });
  s2.restore(await wal2.readAll());
  await assert.rejects(s2.signVote({ type: MsgType.Precommit, height: 7, round: 2, valueId: null }), DoubleSignError);
  const same = await s2.signVote({ type: MsgType.Precommit, height: 7, round: 2, valueId: id(3), extension: Uint8Array.of(9) });
  assert.ok(equalBytes(same.bytes, a.bytes), 'the stored vote is returned byte for byte, old extension included');
  await assert.rejects(s2.signVote({ type: MsgType.Prevote, height: 7, round: 1, valueId: null }), DoubleSignError);
  await s2.signVote({ type: MsgType.Prevote, height: 7, round: 3, valueId: null });
});
