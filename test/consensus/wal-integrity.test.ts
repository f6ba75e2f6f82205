/**
 * The consensus WAL never loses a record silently: every kind of damage is either a torn final frame
 * (cut, nothing that was ever sent is lost) or corruption that stops the node with the offset named,
 * and `bttc-node wal check|repair` reports and repairs it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { encodeVote } from '../../src/delivery/consensus/codec.ts';
import type { WalRecord } from '../../src/delivery/consensus/interface.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { checkWalFile, encodeWalRecord, FileWal, frame, repairWalFile, WAL_MAGIC, WalError } from '../../src/delivery/consensus/wal.ts';
import { crc32c } from '../../src/util/crc32c.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function walFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'wal-integrity-'));
  dirs.push(d);
  return join(d, 'consensus.wal');
}

const vote = (height: number, round: number) =>
  encodeVote({ type: MsgType.Precommit, height, round, valueId: new Uint8Array(32).fill(height), validator: new Uint8Array(20).fill(7), extension: new Uint8Array(0), signature: new Uint8Array(65) });
const records: WalRecord[] = [1, 2, 3, 4, 5].flatMap((h): WalRecord[] => [
  { type: 'message', bytes: vote(h, 0) },
  { type: 'lock', height: h, round: 0, value: new Uint8Array(32).fill(h) },
  { type: 'end-height', height: h },
]);
const frames = records.map((r) => frame(encodeWalRecord(r)));
/** File offset of frame i. */
const offsetOf = (i: number) => WAL_MAGIC.length + frames.slice(0, i).reduce((n, f) => n + f.length, 0);

async function written(): Promise<string> {
  const path = walFile();
  const w = await FileWal.open(path);
  for (const r of records) await w.append(r);
  await w.close();
  return path;
}

function damage(path: string, fn: (b: Buffer) => Buffer | undefined): void {
  const b = readFileSync(path);
  writeFileSync(path, fn(b) ?? b);
}

test('CRC-32C matches the standard check value', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('a corrupt length field in the middle stops the open and names the offset (it used to drop half the log)', async () => {
  const path = await written();
  damage(path, (b) => void (b[offsetOf(6) + 1] = 0x7f));
  await assert.rejects(FileWal.open(path), (e: unknown) => e instanceof WalError && new RegExp(`offset ${offsetOf(6)}: frame length checksum`).test((e as Error).message));
  assert.equal(readFileSync(path).length, offsetOf(frames.length), 'nothing was truncated');
});

test('a damaged payload before the last frame is corruption; an impossible length too', async () => {
  const path = await written();
  damage(path, (b) => void (b[offsetOf(3) + 12 + 5]! ^= 0x01));
  await assert.rejects(FileWal.open(path), new RegExp(`offset ${offsetOf(3)}: checksum mismatch in a frame that is not the last`));

  const p2 = await written();
  damage(p2, (b) => {
    // A length of 32 MiB with a matching length checksum: a writer bug, never a torn write.
    const o = offsetOf(2);
    b.writeUInt32BE(32 * 1024 * 1024, o);
    b.writeUInt32BE(crc32c(b.subarray(o, o + 4)), o + 4);
    return undefined;
  });
  await assert.rejects(FileWal.open(p2), /frame length 33554432 exceeds/);
});

test('torn final frames of every shape are cut and everything before them is kept', async () => {
  const extra = frame(encodeWalRecord({ type: 'message', bytes: vote(6, 0) }));
  const tails: [string, Uint8Array][] = [
    ['incomplete header', extra.subarray(0, 7)],
    ['incomplete payload', extra.subarray(0, 40)],
    ['last payload fails its checksum', Uint8Array.from(extra, (x, i) => (i === extra.length - 1 ? x ^ 0xff : x))],
    ['zero-filled tail', new Uint8Array(300)],
  ];
  for (const [name, tail] of tails) {
    const path = await written();
    damage(path, (b) => Buffer.concat([b, tail]));
    const seen: string[] = [];
    const w = await FileWal.open(path, { onTornTail: (p) => p && seen.push(p.reason) });
    assert.deepEqual(await w.readAll(), records, name);
    assert.equal(seen.length, 1, `${name}: the cut is reported`);
    await w.close();
    assert.equal(readFileSync(path).length, offsetOf(frames.length), `${name}: truncated to the intact prefix`);
  }
});

test('an empty file is refused; a missing log is refused once the node has committed heights', async () => {
  const path = walFile();
  writeFileSync(path, new Uint8Array(0));
  await assert.rejects(FileWal.open(path), /empty file/);
  const missing = walFile();
  await assert.rejects(FileWal.open(missing, { mustExist: { height: 12 } }), /missing.*committed Delivery height 12/);
  assert.equal(existsSync(missing), false, 'nothing created in its place');
  const w = await FileWal.open(missing);
  await w.close();
  assert.deepEqual([...readFileSync(missing)], [...WAL_MAGIC], 'a fresh log is its header');
});

test('a log in the old format (CRC-32 frames, no header) is read and rewritten in the current one', async () => {
  const path = walFile();
  const legacy = records.map((r) => {
    const p = encodeWalRecord(r);
    const out = Buffer.alloc(8 + p.length);
    out.writeUInt32BE(p.length, 0);
    out.writeUInt32BE(crc32(p), 4);
    out.set(p, 8);
    return out;
  });
  writeFileSync(path, Buffer.concat(legacy));
  const w = await FileWal.open(path);
  assert.deepEqual(await w.readAll(), records);
  await w.close();
  assert.deepEqual([...readFileSync(path).subarray(0, 8)], [...WAL_MAGIC]);
  assert.equal((await checkWalFile(path)).status, 'ok');
});

test('check and repair: report the damage, keep the intact prefix, back up the original', async () => {
  const path = await written();
  damage(path, (b) => void (b[offsetOf(9) + 2] = 0xee));
  const r = await checkWalFile(path);
  assert.equal(r.status, 'corrupt');
  assert.equal(r.records, 9);
  assert.equal(r.lastHeight, 3);
  assert.equal(r.problem?.offset, offsetOf(9));
  const fixed = await repairWalFile(path, 1234);
  assert.equal(fixed.kept, 9);
  assert.ok(existsSync(`${path}.corrupt-1234`));
  const w = await FileWal.open(path);
  assert.deepEqual(await w.readAll(), records.slice(0, 9));
  await w.close();
});

test('bttc-node wal check exits 1 on a corrupt log and 0 once repaired', async () => {
  const path = await written();
  damage(path, (b) => void (b[offsetOf(4) + 3] = 0x55));
  const cli = [join(ROOT, 'src/cli/main.ts'), 'wal'];
  const bad = spawnSync(process.execPath, [...cli, 'check', '--file', path], { encoding: 'utf8' });
  assert.equal(bad.status, 1, bad.stderr);
  assert.equal(JSON.parse(bad.stdout).status, 'corrupt');
  const rep = JSON.parse(execFileSync(process.execPath, [...cli, 'repair', '--file', path], { encoding: 'utf8' })) as { keptRecords: number; backup: string };
  assert.equal(rep.keptRecords, 4);
  assert.ok(readdirSync(join(path, '..')).some((f) => f.startsWith('consensus.wal.corrupt-')));
  const ok = spawnSync(process.execPath, [...cli, 'check', '--file', path], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).status, 'ok');
});
