import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelStore } from '../../src/db/level.ts';
import { KvEvidenceStore, decodeEvidence, encodeEvidence } from '../../src/delivery/consensus/evidence.ts';
import { VoteSigner } from '../../src/delivery/consensus/signer.ts';
import { MemoryWal } from '../../src/delivery/consensus/wal.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import type { Evidence } from '../../src/delivery/consensus/interface.ts';
import { testKey } from '../helpers/keys.ts';
import { tempDir } from '../helpers/tmp.ts';
import { encodeVote } from '../../src/delivery/consensus/codec.ts';
import { beHex, hexOf, rawEntries } from '../db/raw.ts';

async function evidence(height: number): Promise<Evidence> {
  // Two signers over the same key: the guard of each is satisfied, the pair is an equivocation.
  const k = testKey(1, 3).secret;
  const a = await new VoteSigner({ chainId: 'c', secretKey: k }, { wal: new MemoryWal() }).signVote({
    type: MsgType.Precommit,
    height,
    round: 1,
    valueId: new Uint8Array(32).fill(1),
    extension: Uint8Array.of(1),
  });
  const b = await new VoteSigner({ chainId: 'c', secretKey: k }, { wal: new MemoryWal() }).signVote({ type: MsgType.Precommit, height, round: 1, valueId: null });
  return { validator: a.vote.validator, height, round: 1, step: MsgType.Precommit, voteA: a.vote, voteB: b.vote };
}

test('evidence round-trips through its encoding', async () => {
  const e = await evidence(9);
  assert.deepEqual(decodeEvidence(encodeEvidence(e)), e);
});

test('KvEvidenceStore persists evidence in classic-level, once per (height, round, step, validator), ordered by height', async (t) => {
  const dir = tempDir(t, 'evidence');
  const db = await LevelStore.open(dir);
  const store = new KvEvidenceStore({ db });
  const e12 = await evidence(12);
  const e3 = await evidence(3);
  await store.add(e12);
  await store.add(e3);
  await store.add(e12);
  await db.close();
  const db2 = await LevelStore.open(dir);
  const list = await new KvEvidenceStore({ db: db2 }).list();
  assert.deepEqual(
    list.map((e) => e.height),
    [3, 12],
  );
  assert.deepEqual(list[1], e12);
  await db2.close();
});

test('evidence layout: 0xd0 ‖ height (u64) ‖ round (u32) ‖ step (u8) ‖ validator → u32 len ‖ vote A ‖ u32 len ‖ vote B', async (t) => {
  const dir = tempDir(t, 'evidence-layout');
  const db = await LevelStore.open(dir);
  try {
    const e = await evidence(12);
    await new KvEvidenceStore({ db }).add(e);
    const raw = await rawEntries(db);
    const key = `d0${beHex(12, 8)}${beHex(1, 4)}${beHex(MsgType.Precommit, 1)}${hexOf(e.validator)}`;
    assert.deepEqual([...raw.keys()], [key]);
    const a = encodeVote(e.voteA);
    const b = encodeVote(e.voteB);
    assert.equal(raw.get(key), beHex(a.length, 4) + hexOf(a) + beHex(b.length, 4) + hexOf(b));
  } finally {
    await db.close();
  }
});
