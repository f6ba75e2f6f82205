/**
 * Write-ahead log of the node's own consensus actions. A message is appended and fsynced before it is
 * sent, so after a crash the node knows every vote it may have sent and never signs a different one
 * for the same height/round/step. Losing a record silently would let a restarted validator double
 * sign, so the log is strict about what it tolerates:
 *
 * - The file starts with an 8-byte magic (`BTTCWAL1`), written when the log is created (by rename, so
 *   a log is never half created). An existing empty file is therefore corruption, not a fresh log.
 * - Each frame is `len u32 ‖ crc32c(len) u32 ‖ crc32c(payload) u32 ‖ payload`. The length has its own
 *   checksum, so a corrupt length field is told apart from a record cut short by a crash.
 * - Only a torn final frame is cut off on open: a header that is incomplete, a payload that is
 *   incomplete, a last payload whose checksum fails, or a zero-filled tail (a crash after the file
 *   grew but before the data landed). Anything else — a bad header checksum, a bad payload checksum
 *   before the last frame, an impossible length — stops the node with an error naming the file and
 *   the offset, and `bttc-node wal check|repair` says what is wrong and can cut the log there.
 * - A log written before the magic existed (CRC-32 frames, no header) is read with its old rules and
 *   rewritten in the current format.
 */
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync, existsSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { concatBytes } from '../../util/bytes.ts';
import { crc32c } from '../../util/crc32c.ts';
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

export const WAL_MAGIC = new TextEncoder().encode('BTTCWAL1');
const HEADER_BYTES = 12;
/** No record comes near this (a vote is ~150 bytes, a lock a block id); a larger length is corruption. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setUint32(4, crc32c(out.subarray(0, 4)));
  dv.setUint32(8, crc32c(payload));
  out.set(payload, HEADER_BYTES);
  return out;
}

/** What a scan of a log found after its intact prefix. */
export type WalProblem = { kind: 'torn-tail'; offset: number; bytes: number; reason: string } | { kind: 'corrupt'; offset: number; reason: string };

export interface WalScan {
  /** 'current' (magic + CRC-32C frames), 'legacy' (CRC-32 frames, no magic), 'empty' (a zero-byte file). */
  format: 'current' | 'legacy' | 'empty';
  payloads: Uint8Array[];
  /** Where the intact prefix ends (file offset). */
  validLength: number;
  problem: WalProblem | null;
}

function allZero(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Splits a whole log file into payloads and says where and why the intact prefix ends. */
export function scanWal(buf: Uint8Array): WalScan {
  if (buf.length === 0) return { format: 'empty', payloads: [], validLength: 0, problem: null };
  const hasMagic = buf.length >= WAL_MAGIC.length && WAL_MAGIC.every((b, i) => buf[i] === b);
  if (!hasMagic) return scanLegacy(buf);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const payloads: Uint8Array[] = [];
  let o = WAL_MAGIC.length;
  while (o < buf.length) {
    const rest = buf.length - o;
    if (allZero(buf, o)) return { format: 'current', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: 'zero-filled tail' } };
    if (rest < HEADER_BYTES)
      return { format: 'current', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: `incomplete frame header (${rest} of ${HEADER_BYTES} bytes)` } };
    const len = dv.getUint32(o);
    if (crc32c(buf.subarray(o, o + 4)) !== dv.getUint32(o + 4))
      return { format: 'current', payloads, validLength: o, problem: { kind: 'corrupt', offset: o, reason: 'frame length checksum mismatch (the length field is damaged)' } };
    if (len > MAX_RECORD_BYTES) return { format: 'current', payloads, validLength: o, problem: { kind: 'corrupt', offset: o, reason: `frame length ${len} exceeds ${MAX_RECORD_BYTES}` } };
    const end = o + HEADER_BYTES + len;
    if (end > buf.length)
      return { format: 'current', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: `incomplete payload (${rest - HEADER_BYTES} of ${len} bytes)` } };
    const payload = buf.subarray(o + HEADER_BYTES, end);
    if (crc32c(payload) !== dv.getUint32(o + 8)) {
      if (end === buf.length) return { format: 'current', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: 'the last frame fails its checksum' } };
      return { format: 'current', payloads, validLength: o, problem: { kind: 'corrupt', offset: o, reason: 'checksum mismatch in a frame that is not the last' } };
    }
    payloads.push(payload);
    o = end;
  }
  return { format: 'current', payloads, validLength: o, problem: null };
}

/** The log format before the magic: `len u32 ‖ crc32 u32 ‖ payload`, a torn or damaged end cut without a word. */
function scanLegacy(buf: Uint8Array): WalScan {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const payloads: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    const rest = buf.length - o;
    if (rest < 8) return { format: 'legacy', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: 'incomplete frame header' } };
    const len = dv.getUint32(o);
    const end = o + 8 + len;
    // The old format cannot tell a damaged length from a torn write: only the very end may be short.
    if (end > buf.length)
      return {
        format: 'legacy',
        payloads,
        validLength: o,
        problem:
          len > MAX_RECORD_BYTES || o === 0
            ? { kind: 'corrupt', offset: o, reason: `not a WAL (no ${new TextDecoder().decode(WAL_MAGIC)} header) or a damaged length ${len}` }
            : { kind: 'torn-tail', offset: o, bytes: rest, reason: 'incomplete payload' },
      };
    const payload = buf.subarray(o + 8, end);
    if (crc32(payload) !== dv.getUint32(o + 4)) {
      if (end === buf.length) return { format: 'legacy', payloads, validLength: o, problem: { kind: 'torn-tail', offset: o, bytes: rest, reason: 'the last frame fails its checksum' } };
      return { format: 'legacy', payloads, validLength: o, problem: { kind: 'corrupt', offset: o, reason: 'checksum mismatch in a frame that is not the last' } };
    }
    payloads.push(payload);
    o = end;
  }
  return { format: 'legacy', payloads, validLength: o, problem: null };
}

/** Frames from a memory buffer (MemoryWal, which has no file header): the current rules without the magic. */
function scanFrames(buf: Uint8Array): WalScan {
  const withMagic = new Uint8Array(WAL_MAGIC.length + buf.length);
  withMagic.set(WAL_MAGIC, 0);
  withMagic.set(buf, WAL_MAGIC.length);
  const s = scanWal(withMagic);
  const shift = (n: number) => n - WAL_MAGIC.length;
  return { ...s, validLength: shift(s.validLength), problem: s.problem ? { ...s.problem, offset: shift(s.problem.offset) } : null };
}

function corruptError(source: string, p: WalProblem & { kind: 'corrupt' }): WalError {
  return new WalError(
    `${source}: corrupt at offset ${p.offset}: ${p.reason}. The consensus WAL guards against double signing, so the node will not start on it. Run \`bttc-node wal check --file ${source}\` to see what is intact, and \`bttc-node wal repair --file ${source}\` to keep the intact prefix (the original is kept beside it).`,
  );
}

export interface FileWalOptions {
  /** Rewrite the file without decided heights once it grows past this (bytes). */
  maxBytes?: number;
  /** Set when the node has committed Delivery heights already: a missing log is then an error, not a fresh start. */
  mustExist?: { height: number } | null;
  /** Told what was cut from the end on open (null: nothing), for the node's log. */
  onTornTail?: (problem: WalProblem | null) => void;
}

/**
 * The log's append handle: read/write, append, and O_DSYNC, so each `write` returns only once its
 * data is on disk (as if followed by fdatasync): one thread-pool job and one syscall per append
 * instead of a write and a datasync.
 */
const APPEND_DSYNC = constants.O_DSYNC === undefined ? 'a+' : constants.O_RDWR | constants.O_APPEND | constants.O_DSYNC;
/** Where the platform has no O_DSYNC (Windows), each write is followed by a datasync, as before. */
const SYNC_AFTER_WRITE = constants.O_DSYNC === undefined;

/** Staged records written anyway, with a plain append, once this many wait (an observer never appends). */
const MAX_STAGED = 16;

export class FileWal implements Wal {
  readonly path: string;
  private fh: FileHandle;
  private size: number;
  private readonly maxBytes: number;
  private staged: Uint8Array[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** Writes issued to the log file (each one durable on return); for tests and diagnostics. */
  writes = 0;

  private constructor(path: string, fh: FileHandle, size: number, maxBytes: number) {
    this.path = path;
    this.fh = fh;
    this.size = size;
    this.maxBytes = maxBytes;
  }

  /**
   * Opens the log, or creates it when there is none and `mustExist` is not set. A torn tail is cut
   * off; corruption, an empty file, or a missing log where one must exist throw a WalError naming the
   * file. A legacy-format log is rewritten in the current format.
   */
  static async open(path: string, opts: FileWalOptions = {}): Promise<FileWal> {
    const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    if (!existsSync(path)) {
      if (opts.mustExist)
        throw new WalError(
          `${path}: the consensus WAL is missing, but this node has already taken part in consensus (committed Delivery height ${opts.mustExist.height}). Without it the node could sign twice. Restore the file, or, knowing the risk, remove the node's Delivery state to start over.`,
        );
      await writeAtomically(path, [WAL_MAGIC]);
    }
    const fh = await open(path, 'r+');
    const buf = await readWhole(fh, (await fh.stat()).size);
    const scan = scanWal(buf);
    if (scan.format === 'empty') {
      await fh.close();
      throw new WalError(
        `${path}: the consensus WAL is an empty file (a log always starts with its header): it was truncated or replaced. Run \`bttc-node wal check --file ${path}\`; \`bttc-node wal repair --file ${path}\` writes a new empty log once you know no vote of this node is missing from it.`,
      );
    }
    if (scan.problem?.kind === 'corrupt') {
      await fh.close();
      throw corruptError(path, scan.problem);
    }
    if (scan.format === 'legacy') {
      await fh.close();
      await writeAtomically(path, [WAL_MAGIC, ...scan.payloads.map(frame)]);
      return FileWal.open(path, opts);
    }
    if (scan.validLength < buf.length) {
      await fh.truncate(scan.validLength);
      await fh.datasync();
    }
    opts.onTornTail?.(scan.problem);
    await fh.close();
    return new FileWal(path, await open(path, APPEND_DSYNC), scan.validLength, maxBytes);
  }

  async append(record: WalRecord): Promise<void> {
    return this.writeStagedAnd(frame(encodeWalRecord(record)));
  }

  stage(record: WalRecord): void {
    this.staged.push(frame(encodeWalRecord(record)));
    // A failure here loses only staged records, which nothing depends on; the next append reports a failing disk.
    if (this.staged.length >= MAX_STAGED) void this.writeStagedAnd().catch(() => undefined);
  }

  /** Staged frames, then `last`, in a single durable write: on disk together, in call order. */
  private async writeStagedAnd(last?: Uint8Array): Promise<void> {
    const parts = last ? [...this.staged, last] : this.staged;
    this.staged = [];
    if (parts.length === 0) return this.tail;
    const buf = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    // One write at a time, so records land in call order even when `stage` writes on its own.
    const run = this.tail.then(async () => {
      this.writes++;
      let o = 0;
      while (o < buf.length) o += (await this.fh.write(buf, o, buf.length - o, null)).bytesWritten;
      if (SYNC_AFTER_WRITE) await this.fh.datasync();
      this.size += buf.length;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  async readAll(): Promise<WalRecord[]> {
    await this.writeStagedAnd();
    // Positional reads: an append handle's own file position is not where reading should start.
    const scan = scanWal(await readWhole(this.fh, this.size));
    if (scan.problem?.kind === 'corrupt') throw corruptError(this.path, scan.problem);
    return scan.payloads.map(decodeWalRecord);
  }

  async prune(height: number): Promise<void> {
    if (this.size <= this.maxBytes) return;
    const keep = (await this.readAll()).filter((r) => walRecordHeight(r) >= height);
    const frames = keep.map((r) => frame(encodeWalRecord(r)));
    await this.fh.close();
    await writeAtomically(this.path, [WAL_MAGIC, ...frames]);
    this.fh = await open(this.path, APPEND_DSYNC);
    this.size = WAL_MAGIC.length + frames.reduce((n, f) => n + f.length, 0);
  }

  async sizeBytes(): Promise<number> {
    return (await stat(this.path)).size;
  }

  async close(): Promise<void> {
    try {
      await this.writeStagedAnd();
    } finally {
      await this.fh.close();
    }
  }
}

/** Writes `path` through a temporary file, fsync and rename, then fsyncs the directory: all or nothing. */
async function writeAtomically(path: string, chunks: Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp`;
  const out = await open(tmp, 'w');
  try {
    for (const c of chunks) await out.write(c, 0, c.length, null);
    await out.datasync();
  } finally {
    await out.close();
  }
  await rename(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
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
  private staged: Uint8Array[] = [];

  constructor(disk: MemoryWalDisk = new MemoryWalDisk()) {
    this.disk = disk;
  }

  async append(record: WalRecord): Promise<void> {
    if (this.closed) throw new WalError('WAL is closed');
    const f = frame(encodeWalRecord(record));
    // Staged frames go in the same write, ahead of this one (a torn write tears its last frame).
    this.writeStaged();
    if (this.disk.tearNextWrite) {
      this.disk.tearNextWrite = false;
      this.disk.frames.push(f.slice(0, Math.max(1, f.length >> 1)));
      return new Promise<void>(() => {});
    }
    this.disk.frames.push(f);
  }

  stage(record: WalRecord): void {
    this.staged.push(frame(encodeWalRecord(record)));
    if (this.staged.length >= MAX_STAGED) this.writeStaged();
  }

  private writeStaged(): void {
    this.disk.frames.push(...this.staged);
    this.staged = [];
  }

  async readAll(): Promise<WalRecord[]> {
    if (!this.closed) this.writeStaged();
    const total = this.disk.frames.reduce((n, f) => n + f.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const f of this.disk.frames) {
      buf.set(f, o);
      o += f.length;
    }
    const scan = scanFrames(buf);
    if (scan.problem?.kind === 'corrupt') throw corruptError('memory WAL', scan.problem);
    const { payloads, validLength } = scan;
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
    if (!this.closed) this.writeStaged();
    this.staged = [];
    this.closed = true;
  }
}

// ---- offline check and repair (bttc-node wal check|repair) --------------------------------------

export interface WalReport {
  file: string;
  format: WalScan['format'];
  bytes: number;
  records: number;
  /** Heights the intact records cover (null when none). */
  firstHeight: number | null;
  lastHeight: number | null;
  /** 'ok', 'torn-tail' (cut on the next start, nothing lost that was ever sent) or 'corrupt'/'empty' (the node refuses to start). */
  status: 'ok' | 'torn-tail' | 'corrupt' | 'empty' | 'legacy';
  problem: WalProblem | null;
}

export async function checkWalFile(path: string): Promise<WalReport> {
  const buf = await readFileBytes(path);
  const scan = scanWal(buf);
  const heights: number[] = [];
  for (const p of scan.payloads) {
    try {
      heights.push(walRecordHeight(decodeWalRecord(p)));
    } catch {
      // A payload that passes its checksum but does not decode is reported through its height being absent.
    }
  }
  const status = scan.format === 'empty' ? 'empty' : scan.problem?.kind === 'corrupt' ? 'corrupt' : scan.problem ? 'torn-tail' : scan.format === 'legacy' ? 'legacy' : 'ok';
  return {
    file: path,
    format: scan.format,
    bytes: buf.length,
    records: scan.payloads.length,
    firstHeight: heights.length ? Math.min(...heights) : null,
    lastHeight: heights.length ? Math.max(...heights) : null,
    status,
    problem: scan.problem,
  };
}

/**
 * Keeps the intact prefix of a damaged log (or writes an empty log in place of an empty file), after
 * copying the original to `<file>.corrupt-<unix ms>`. Returns what was kept and dropped.
 */
export async function repairWalFile(path: string, now = Date.now()): Promise<{ backup: string | null; kept: number; droppedBytes: number; before: WalReport }> {
  const before = await checkWalFile(path);
  if (before.status === 'ok') return { backup: null, kept: before.records, droppedBytes: 0, before };
  const buf = await readFileBytes(path);
  const scan = scanWal(buf);
  const backup = `${path}.corrupt-${now}`;
  await writeAtomically(backup, [buf]);
  await writeAtomically(path, [WAL_MAGIC, ...scan.payloads.map(frame)]);
  return { backup, kept: scan.payloads.length, droppedBytes: buf.length - scan.validLength, before };
}

async function readFileBytes(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    return await readWhole(fh, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}
