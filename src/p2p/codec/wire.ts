/**
 * Packed buffers for the worker boundary. Posting many small typed arrays costs one ArrayBuffer
 * clone each (≈30× a single packed buffer for 128 items, see performance-notes.md), so lists of
 * byte strings travel as one buffer: count u32 ‖ lengths u32[count] ‖ bodies.
 * These decode our own thread's output, so a failure here is a bug: they throw.
 */

export function packList(items: readonly Uint8Array[]): Uint8Array {
  let total = 4 + 4 * items.length;
  for (const it of items) total += it.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, items.length);
  let off = 4 + 4 * items.length;
  items.forEach((it, i) => {
    view.setUint32(4 + 4 * i, it.length);
    out.set(it, off);
    off += it.length;
  });
  return out;
}

/** Views into `buf` (no copies). */
export function unpackList(buf: Uint8Array): Uint8Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(0);
  const items: Uint8Array[] = new Array(n);
  let off = 4 + 4 * n;
  if (off > buf.length) throw new RangeError(`unpackList: header for ${n} items exceeds ${buf.length} bytes`);
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(4 + 4 * i);
    if (off + len > buf.length) throw new RangeError(`unpackList: item ${i} overruns the buffer`);
    items[i] = buf.subarray(off, off + len);
    off += len;
  }
  return items;
}

/**
 * Gossip messages delivered by the worker, one buffer per flush. Record:
 *   token u32 ‖ kind u8 ‖ peer index u16 ‖ msgId 8 bytes ‖ data length u32 ‖ data
 * Peer ids travel once per flush in a string array (strings clone cheaply).
 */
export const GOSSIP_RECORD_HEADER = 4 + 1 + 2 + 8 + 4;

export interface GossipRecord {
  token: number;
  kindCode: number;
  peerIndex: number;
  msgId: Uint8Array;
  data: Uint8Array;
}

export class GossipBatchWriter {
  #records: { token: number; kindCode: number; peerIndex: number; msgId: Uint8Array; data: Uint8Array }[] = [];
  #peers: string[] = [];
  #peerIndex = new Map<string, number>();
  #bytes = 0;

  get size(): number {
    return this.#records.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(token: number, kindCode: number, peer: string, msgId: Uint8Array, data: Uint8Array): void {
    let idx = this.#peerIndex.get(peer);
    if (idx === undefined) {
      idx = this.#peers.length;
      this.#peers.push(peer);
      this.#peerIndex.set(peer, idx);
    }
    this.#records.push({ token, kindCode, peerIndex: idx, msgId, data });
    this.#bytes += GOSSIP_RECORD_HEADER + data.length;
  }

  /** The packed buffer and the peer table; resets the writer. */
  flush(): { buf: Uint8Array; peers: string[] } {
    const buf = new Uint8Array(this.#bytes);
    const view = new DataView(buf.buffer);
    let off = 0;
    for (const r of this.#records) {
      view.setUint32(off, r.token);
      buf[off + 4] = r.kindCode;
      view.setUint16(off + 5, r.peerIndex);
      buf.set(r.msgId.subarray(0, 8), off + 7);
      view.setUint32(off + 15, r.data.length);
      buf.set(r.data, off + GOSSIP_RECORD_HEADER);
      off += GOSSIP_RECORD_HEADER + r.data.length;
    }
    const peers = this.#peers;
    this.#records = [];
    this.#peers = [];
    this.#peerIndex = new Map();
    this.#bytes = 0;
    return { buf, peers };
  }
}

export function* readGossipBatch(buf: Uint8Array): Generator<GossipRecord> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    const len = view.getUint32(off + 15);
    const start = off + GOSSIP_RECORD_HEADER;
    if (start + len > buf.length) throw new RangeError('readGossipBatch: record overruns the buffer');
    yield { token: view.getUint32(off), kindCode: buf[off + 4]!, peerIndex: view.getUint16(off + 5), msgId: buf.subarray(off + 7, off + 15), data: buf.subarray(start, start + len) };
    off = start + len;
  }
}

/** Validation results back to the worker: token u32 ‖ result u8, 5 bytes each. */
export const RESULT_CODE = { accept: 0, ignore: 1, reject: 2 } as const;
export type ResultName = keyof typeof RESULT_CODE;
const RESULT_NAMES: readonly ResultName[] = ['accept', 'ignore', 'reject'];

export function resultName(code: number): ResultName | undefined {
  return RESULT_NAMES[code];
}

export function packResults(tokens: readonly number[], codes: readonly number[]): Uint8Array {
  const buf = new Uint8Array(5 * tokens.length);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < tokens.length; i++) {
    view.setUint32(5 * i, tokens[i]!);
    buf[5 * i + 4] = codes[i]!;
  }
  return buf;
}

export function* readResults(buf: Uint8Array): Generator<[token: number, code: number]> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off + 5 <= buf.length; off += 5) yield [view.getUint32(off), buf[off + 4]!];
}

/**
 * Publishes from the main thread, one buffer per event-loop turn. Record:
 *   call id u32 ‖ kind u8 ‖ raw u8 ‖ data length u32 ‖ data
 */
export interface PublishRecord {
  id: number;
  kindCode: number;
  raw: boolean;
  data: Uint8Array;
}

export function packPublishes(records: readonly PublishRecord[]): Uint8Array {
  let total = 0;
  for (const r of records) total += 10 + r.data.length;
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const r of records) {
    view.setUint32(off, r.id);
    buf[off + 4] = r.kindCode;
    buf[off + 5] = r.raw ? 1 : 0;
    view.setUint32(off + 6, r.data.length);
    buf.set(r.data, off + 10);
    off += 10 + r.data.length;
  }
  return buf;
}

export function* readPublishes(buf: Uint8Array): Generator<PublishRecord> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    const len = view.getUint32(off + 6);
    if (off + 10 + len > buf.length) throw new RangeError('readPublishes: record overruns the buffer');
    yield { id: view.getUint32(off), kindCode: buf[off + 4]!, raw: buf[off + 5] === 1, data: buf.subarray(off + 10, off + 10 + len) };
    off += 10 + len;
  }
}

/** Publish outcomes back: call id u32 ‖ recipients u32 (failures travel separately, with their message). */
export function packPublished(ids: readonly number[], recipients: readonly number[]): Uint8Array {
  const buf = new Uint8Array(8 * ids.length);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < ids.length; i++) {
    view.setUint32(8 * i, ids[i]!);
    view.setUint32(8 * i + 4, recipients[i]!);
  }
  return buf;
}

export function* readPublished(buf: Uint8Array): Generator<[id: number, recipients: number]> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let off = 0; off + 8 <= buf.length; off += 8) yield [view.getUint32(off), view.getUint32(off + 4)];
}
