import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileWal, MemoryWal, MemoryWalDisk, WalError, frame, encodeWalRecord } from '../../src/delivery/consensus/wal.ts';
import type { WalRecord } from '../../src/delivery/consensus/interface.ts';
import { encodeVote } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tick } from '../helpers/until.ts';

function vote(height: number, round: number): Uint8Array {
  return encodeVote({ type: MsgType.Prevote, height, round, valueId: null, validator: new Uint8Array(20).fill(height), extension: new Uint8Array(0), signature: new Uint8Array(65) });
}

const records: WalRecord[] = [
  { type: 'message', bytes: vote(1, 0) },
  { type: 'lock', height: 1, round: 0, value: Uint8Array.of(1, 2, 3) },
  { type: 'end-height', height: 1 },
  { type: 'message', bytes: vote(2, 3) },
];

test('FileWal: records survive reopening, in order', async (t) => {
  const path = join(tempDir(t, 'wal'), 'cs.wal');
  const w = await FileWal.open(path);
  for (const r of records) await w.append(r);
  await w.close();
  const w2 = await FileWal.open(path);
  assert.deepEqual(await w2.readAll(), records);
  await w2.append({ type: 'end-height', height: 2 });
  assert.equal((await w2.readAll()).length, 5);
  await w2.close();
});

test('FileWal: a torn last frame (crash mid-write) is cut off on open', async (t) => {
  const path = join(tempDir(t, 'wal'), 'cs.wal');
  const w = await FileWal.open(path);
  for (const r of records) await w.append(r);
  await w.close();
  const full = statSync(path).size;
  const half = frame(encodeWalRecord({ type: 'message', bytes: vote(2, 4) }));
  appendFileSync(path, half.subarray(0, 20));
  const w2 = await FileWal.open(path);
  assert.deepEqual(await w2.readAll(), records);
  assert.equal(statSync(path).size, full, 'truncated back to the intact prefix');
  await w2.append({ type: 'end-height', height: 2 });
  assert.equal((await w2.readAll()).length, 5, 'appends after the cut are readable');
  await w2.close();
});

test('FileWal: corruption before the last frame is an error naming the offset', async (t) => {
  const path = join(tempDir(t, 'wal'), 'cs.wal');
  const w = await FileWal.open(path);
  for (const r of records) await w.append(r);
  await w.close();
  const buf = readFileSync(path);
  // A payload byte of the first frame (after the 8-byte file magic and the 12-byte frame header).
  buf[8 + 12 + 2] = buf[8 + 12 + 2]! ^ 0xff;
  writeFileSync(path, buf);
  await assert.rejects(FileWal.open(path), (e: unknown) => e instanceof WalError && /offset 8:/.test((e as Error).message));
});

test('FileWal: prune keeps only undecided heights once the file is large', async (t) => {
  const path = join(tempDir(t, 'wal'), 'cs.wal');
  const w = await FileWal.open(path, { maxBytes: 100 });
  for (const r of records) await w.append(r);
  await w.prune(2);
  assert.deepEqual(await w.readAll(), [records[3]]);
  await w.append({ type: 'end-height', height: 2 });
  await w.close();
  const w2 = await FileWal.open(path);
  assert.equal((await w2.readAll()).length, 2);
  await w2.close();
});

test('MemoryWal: same framing, a torn write never resolves and is cut on read', async () => {
  const disk = new MemoryWalDisk();
  const w = new MemoryWal(disk);
  for (const r of records) await w.append(r);
  disk.tearNextWrite = true;
  let resolved = false;
  void w.append({ type: 'end-height', height: 2 }).then(() => (resolved = true));
  await tick();
  assert.equal(resolved, false);
  const w2 = new MemoryWal(disk);
  assert.deepEqual(await w2.readAll(), records);
  await w.close();
  await assert.rejects(w.append(records[0]!), /closed/);
});
