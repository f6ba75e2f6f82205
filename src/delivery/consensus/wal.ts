/**
 * Write-ahead log of the node's own consensus actions. A message is appended and fsynced before it is
 * sent, so after a crash the node knows every vote it may have sent and never signs a different one
 * for the same height/round/step. Frames are `len u32 ‖ crc32 u32 ‖ payload`; a torn last frame (crash
 * during the write, so the message was never sent) is cut off on open, a bad frame before the end is
 * corruption and stops the node with an error naming the offset.
 */
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Wal, WalRecord } from './interface.ts';

export class WalError extends Error {
  override name = 'WalError';
}

const TAG_MESSAGE = 1;
const TAG_LOCK = 2;
const TAG_END_HEIGHT = 3;

export function encodeWalRecord(r: WalRecord): Uint8Array {
  if (r.type === 'message') {
    const out = new Uint8Array(1 + r.bytes.length);
    out[0] = TAG_MESSAGE;
    out.set(r.bytes, 1);
    return out;
  }
  if (r.type === 'lock') {
    const out = new Uint8Array(13 + r.value.length);
    const dv = new DataView(out.buffer);
    out[0] = TAG_LOCK;
    dv.setBigUint64(1, BigInt(r.height));
    dv.setUint32(9, r.round);
    out.set(r.value, 13);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = TAG_END_HEIGHT;
  new DataView(out.buffer).setBigUint64(1, BigInt(r.height));
  return out;
}

export function decodeWalRecord(p: Uint8Array): WalRecord {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  switch (p[0]) {
    case TAG_MESSAGE:
      return { type: 'message', bytes: new Uint8Array(p.subarray(1)) };
    case TAG_LOCK:
      if (p.length < 13) throw new WalError(`lock record too short (${p.length} bytes)`);
      return { type: 'lock', height: Number(dv.getBigUint64(1)), round: dv.getUint32(9), value: new Uint8Array(p.subarray(13)) };
    case TAG_END_HEIGHT:
      if (p.length !== 9) throw new WalError(`end-height record must be 9 bytes, got ${p.length}`);
      return { type: 'end-height', height: Number(dv.getBigUint64(1)) };
    default:
      throw new WalError(`unknown WAL record tag ${p[0]}`);
  }
}

/** Height a record belongs to (messages carry it at bytes 1..9 of their encoding). */
export function walRecordHeight(r: WalRecord): number {
  if (r.type !== 'message') return r.height;
  return Number(new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).getBigUint64(1));
}

export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setUint32(4, crc32(payload));
  out.set(payload, 8);
  return out;
}

/** Splits a log into payloads; `validLength` is where the intact prefix ends (a torn tail starts there). */
export function unframe(buf: Uint8Array, source: string): { payloads: Uint8Array[]; validLength: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const payloads: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < 8) break;
    const len = dv.getUint32(o);
    const end = o + 8 + len;
    if (end > buf.length) break;
    const payload = buf.subarray(o + 8, end);
    if (crc32(payload) !== dv.getUint32(o + 4)) {
      if (end === buf.length) break;
      throw new WalError(`${source}: checksum mismatch in the frame at offset ${o} (not the last frame: the log is corrupt)`);
    }
    payloads.push(payload);
    o = end;
  }
  return { payloads, validLength: o };
}

export interface FileWalOptions {
  /** Rewrite the file without decided heights once it grows past this (bytes). */
  maxBytes?: number;
}

export class FileWal implements Wal {
  readonly path: string;
  private fh: FileHandle;
  private size: number;
  private readonly maxBytes: number;

  private constructor(path: string, fh: FileHandle, size: number, maxBytes: number) {
    this.path = path;
    this.fh = fh;
    this.size = size;
    this.maxBytes = maxBytes;
  }

  /** Opens (or creates) the log and cuts off a torn tail. */
  static async open(path: string, opts: FileWalOptions = {}): Promise<FileWal> {
    const fh = await open(path, 'a+');
    const buf = await readWhole(fh, (await fh.stat()).size);
    const { validLength } = unframe(buf, path);
    if (validLength < buf.length) {
      await fh.truncate(validLength);
      await fh.datasync();
    }
    return new FileWal(path, fh, validLength, opts.maxBytes ?? 4 * 1024 * 1024);
  }

  async append(record: WalRecord): Promise<void> {
    const f = frame(encodeWalRecord(record));
    await this.fh.write(f, 0, f.length, null);
    await this.fh.datasync();
    this.size += f.length;
  }

  async readAll(): Promise<WalRecord[]> {
    // Positional reads: an append handle's own file position is not where reading should start.
    return unframe(await readWhole(this.fh, this.size), this.path).payloads.map(decodeWalRecord);
  }

  async prune(height: number): Promise<void> {
    if (this.size <= this.maxBytes) return;
    const keep = (await this.readAll()).filter((r) => walRecordHeight(r) >= height);
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    let size = 0;
    for (const r of keep) {
      const f = frame(encodeWalRecord(r));
      await out.write(f, 0, f.length, null);
      size += f.length;
    }
    await out.datasync();
    await out.close();
    await this.fh.close();
    await rename(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.fh = await open(this.path, 'a+');
    this.size = size;
  }

  async sizeBytes(): Promise<number> {
    return (await stat(this.path)).size;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readWhole(fh: FileHandle, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let o = 0;
  while (o < size) {
    const { bytesRead } = await fh.read(out, o, size - o, o);
    if (bytesRead === 0) break;
    o += bytesRead;
  }
  return out.subarray(0, o);
}

/** The "disk" of a MemoryWal: survives the consensus object being discarded, as a file would. */
export class MemoryWalDisk {
  frames: Uint8Array[] = [];
  /** Simulates a crash during the next write: the frame is half written and append never resolves. */
  tearNextWrite = false;
}

/** Same framing and semantics as FileWal, kept in memory: simulations stay deterministic and fast. */
export class MemoryWal implements Wal {
  readonly disk: MemoryWalDisk;
  private closed = false;

  constructor(disk: MemoryWalDisk = new MemoryWalDisk()) {
    this.disk = disk;
  }

  async append(record: WalRecord): Promise<void> {
    if (this.closed) throw new WalError('WAL is closed');
    const f = frame(encodeWalRecord(record));
    if (this.disk.tearNextWrite) {
      this.disk.tearNextWrite = false;
      this.disk.frames.push(f.slice(0, Math.max(1, f.length >> 1)));
      return new Promise<void>(() => {});
    }
    this.disk.frames.push(f);
  }

  async readAll(): Promise<WalRecord[]> {
    const total = this.disk.frames.reduce((n, f) => n + f.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const f of this.disk.frames) {
      buf.set(f, o);
      o += f.length;
    }
    const { payloads, validLength } = unframe(buf, 'memory WAL');
    if (validLength < total) {
      // Cut the torn tail as FileWal.open does.
      let kept = 0;
      const frames: Uint8Array[] = [];
      for (const f of this.disk.frames) {
        if (kept + f.length > validLength) break;
        frames.push(f);
        kept += f.length;
      }
      this.disk.frames = frames;
    }
    return payloads.map(decodeWalRecord);
  }

  async prune(height: number): Promise<void> {
    if (this.disk.frames.length < 4096) return;
    const keep = (await this.readAll()).filter((r) => walRecordHeight(r) >= height);
    this.disk.frames = keep.map((r) => frame(encodeWalRecord(r)));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
