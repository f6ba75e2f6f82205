/**
 * What crosses the executor worker boundary: every request and result is one RLP-encoded
 * Uint8Array (transferred, never cloned element by element). RLP because the payloads are already
 * RLP-shaped (signed transactions, headers, receipts) and decoding a list of byte strings is cheap.
 *
 * Optional values are encoded as a list of zero or one items; numbers as minimal big-endian bytes;
 * millisecond timings as integer microseconds. Receipts cross as the chain store keeps them
 * (block.ts receiptToItem): the consensus encoding built for the receipt root is stored as is.
 */
import { RLP } from '@ethereumjs/rlp';
import { bigToBytes, bytesToBig, headerFromList, headerToList, logFromList, logToList, receiptFromItem, receiptToItem } from './block.ts';
import type {
  AccountState,
  BuildBlockRequest,
  BuildBlockResult,
  CallBlockRef,
  CallRequest,
  CallResult,
  CodeChange,
  ExecuteBlockRequest,
  ExecuteBlockResult,
  GenesisSpec,
  HeaderFields,
  ParentRef,
  SystemCall,
  SystemCallResult,
  TimingBreakdown,
  TopUpBatch,
} from './interface.ts';

type Nested = Uint8Array | Nested[];
const E = new Uint8Array(0);

function opt<T>(v: T | undefined, enc: (v: T) => Nested): Nested[] {
  return v === undefined ? [] : [enc(v)];
}
function unopt<T>(v: Nested, dec: (n: Nested) => T): T | undefined {
  const l = v as Nested[];
  return l.length === 0 ? undefined : dec(l[0]!);
}
const b = (n: Nested) => n as Uint8Array;
const l = (n: Nested) => n as Nested[];
const big = (n: Nested) => bytesToBig(b(n));
const num = (n: Nested) => Number(bytesToBig(b(n)));
const u = (v: number | bigint) => bigToBytes(BigInt(v));

export function encode(n: Nested): Uint8Array {
  return RLP.encode(n as never);
}
export function decode(bytes: Uint8Array): Nested[] {
  return RLP.decode(bytes) as unknown as Nested[];
}

function parentToList(p: ParentRef): Nested {
  return [p.hash, u(p.number), p.stateRoot];
}
function parentFromList(n: Nested): ParentRef {
  const [hash, number, stateRoot] = l(n);
  return { hash: b(hash!), number: big(number!), stateRoot: b(stateRoot!) };
}

function sysCallsToList(c: SystemCall[] | undefined): Nested {
  return (c ?? []).map((s) => [s.from, s.to, s.data, opt(s.gasLimit, u)]);
}
function sysCallsFromList(n: Nested): SystemCall[] {
  return l(n).map((x) => {
    const [from, to, data, gas] = l(x);
    const c: SystemCall = { from: b(from!), to: b(to!), data: b(data!) };
    const g = unopt(gas!, big);
    if (g !== undefined) c.gasLimit = g;
    return c;
  });
}

function sendersToBytes(s: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(s.length * 20);
  s.forEach((a, i) => {
    if (a.length !== 20) throw new Error(`sender ${i} is ${a.length} bytes, expected 20`);
    out.set(a, i * 20);
  });
  return out;
}
function sendersFromBytes(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 20) out.push(bytes.subarray(i, i + 20));
  return out;
}

function ctxToList(r: { author: Uint8Array; ancestorHashes?: Uint8Array[]; systemCalls?: SystemCall[]; codeChanges?: CodeChange[] }): Nested[] {
  return [r.author, r.ancestorHashes ?? [], sysCallsToList(r.systemCalls), (r.codeChanges ?? []).map((c) => [c.address, c.code])];
}
/** Present only when the block has code changes (almost never), so a request decodes as it was encoded. */
function codeChangesFromList(n: Nested): { codeChanges?: CodeChange[] } {
  const list = l(n);
  return list.length ? { codeChanges: list.map((x) => ({ address: b(l(x)[0]!), code: b(l(x)[1]!) })) } : {};
}

export function encodeBuildRequest(r: BuildBlockRequest): Uint8Array {
  const h = r.header;
  const tpl: Nested = [u(h.number), u(h.time), u(h.gasLimit), opt(h.difficulty, u), opt(h.coinbase, (x) => x), opt(h.extra, (x) => x), opt(h.mixDigest, (x) => x), opt(h.nonce, (x) => x)];
  const list: Nested[] = [parentToList(r.parent), tpl, ...ctxToList(r), r.txs, sendersToBytes(r.senders), u(Math.max(0, Math.round(r.budgetMs * 1000)))];
  // The `more` callback stays on the caller's side; the worker learns only that it may ask (a trailing 1).
  if (r.more) list.push(u(1));
  return encode(list);
}

/** `topUp` (present only when set): the caller answers top-up asks (the worker wires `more` to its channel). */
export function decodeBuildRequest(bytes: Uint8Array): BuildBlockRequest & { topUp?: true } {
  const [parent, tpl, author, anc, sys, codes, txs, senders, budget, topUp] = decode(bytes);
  const [number, time, gasLimit, difficulty, coinbase, extra, mixDigest, nonce] = l(tpl!);
  const header: BuildBlockRequest['header'] = { number: big(number!), time: big(time!), gasLimit: big(gasLimit!) };
  const d = unopt(difficulty!, big);
  if (d !== undefined) header.difficulty = d;
  const cb = unopt(coinbase!, b);
  if (cb) header.coinbase = cb;
  const ex = unopt(extra!, b);
  if (ex) header.extra = ex;
  const md = unopt(mixDigest!, b);
  if (md) header.mixDigest = md;
  const nn = unopt(nonce!, b);
  if (nn) header.nonce = nn;
  return {
    parent: parentFromList(parent!),
    header,
    author: b(author!),
    ancestorHashes: l(anc!).map(b),
    systemCalls: sysCallsFromList(sys!),
    ...codeChangesFromList(codes!),
    txs: l(txs!).map(b),
    senders: sendersFromBytes(b(senders!)),
    budgetMs: num(budget!) / 1000,
    ...(topUp !== undefined && num(topUp) === 1 ? { topUp: true as const } : {}),
  };
}

/** A top-up answer: the batch, or an empty list for "no more, finish the block". */
export function encodeTopUp(t: TopUpBatch | null): Uint8Array {
  return encode(t ? [t.txs, sendersToBytes(t.senders), u(Math.max(0, Math.round(t.budgetMs * 1000)))] : []);
}

export function decodeTopUp(bytes: Uint8Array): TopUpBatch | null {
  const list = decode(bytes);
  if (list.length === 0) return null;
  const [txs, senders, budget] = list;
  return { txs: l(txs!).map(b), senders: sendersFromBytes(b(senders!)), budgetMs: num(budget!) / 1000 };
}

export function encodeExecuteRequest(r: ExecuteBlockRequest): Uint8Array {
  return encode([parentToList(r.parent), headerToList(r.header), ...ctxToList(r), r.txs, sendersToBytes(r.senders)]);
}

export function decodeExecuteRequest(bytes: Uint8Array): ExecuteBlockRequest {
  const [parent, header, author, anc, sys, codes, txs, senders] = decode(bytes);
  return {
    parent: parentFromList(parent!),
    header: headerFromList(l(header!) as Uint8Array[]),
    author: b(author!),
    ancestorHashes: l(anc!).map(b),
    systemCalls: sysCallsFromList(sys!),
    ...codeChangesFromList(codes!),
    txs: l(txs!).map(b),
    senders: sendersFromBytes(b(senders!)),
  };
}

function sysResultToList(s: SystemCallResult): Nested {
  return [u(s.success ? 1 : 0), u(s.gasUsed), s.returnValue, s.logs.map(logToList) as Nested, opt(s.error, (e) => Buffer.from(e))];
}
function sysResultFromList(n: Nested): SystemCallResult {
  const [ok, gas, ret, logs, err] = l(n);
  const r: SystemCallResult = { success: num(ok!) === 1, gasUsed: big(gas!), returnValue: b(ret!), logs: l(logs!).map(logFromList) };
  const e = unopt(err!, (x) => Buffer.from(b(x)).toString());
  if (e !== undefined) r.error = e;
  return r;
}

function timingsToList(t: TimingBreakdown): Nested {
  const list = [t.decodeMs, t.execMs, t.systemMs, t.commitMs, t.rootsMs, t.cpuMs, t.queuedMs].map((ms) => u(Math.round(ms * 1000)));
  // A build that asked for top-ups: how many batches it ran and how long it waited for them.
  if (t.topUpWaitMs !== undefined) list.push(u(Math.round(t.topUpWaitMs * 1000)), u(t.topUps ?? 0));
  return list;
}
function timingsFromList(n: Nested): TimingBreakdown {
  const list = l(n);
  const [decodeMs, execMs, systemMs, commitMs, rootsMs, cpuMs, queuedMs, topUpWaitMs] = list.slice(0, 8).map((x) => num(x) / 1000);
  const t: TimingBreakdown = { decodeMs: decodeMs!, execMs: execMs!, systemMs: systemMs!, commitMs: commitMs!, rootsMs: rootsMs!, cpuMs: cpuMs!, queuedMs: queuedMs! };
  if (topUpWaitMs !== undefined) {
    t.topUpWaitMs = topUpWaitMs;
    t.topUps = num(list[8]!);
  }
  return t;
}

export function encodeBuildResult(r: BuildBlockResult): Uint8Array {
  const inc = new Uint8Array(r.included.length * 4);
  const dv = new DataView(inc.buffer);
  r.included.forEach((i, k) => dv.setUint32(k * 4, i));
  return encode([
    headerToList(r.header),
    inc,
    r.receipts.map(receiptToItem),
    r.systemResults.map(sysResultToList),
    r.rejected.map((x) => [u(x.index), Buffer.from(x.reason)]),
    u(r.notTried),
    timingsToList(r.timings),
  ]);
}

export function decodeBuildResult(bytes: Uint8Array): BuildBlockResult {
  const [header, inc, receipts, sys, rejected, notTried, timings] = decode(bytes);
  const incB = b(inc!);
  const dv = new DataView(incB.buffer, incB.byteOffset, incB.byteLength);
  const included: number[] = [];
  for (let k = 0; k < incB.length; k += 4) included.push(dv.getUint32(k));
  return {
    header: headerFromList(l(header!) as Uint8Array[]),
    included,
    receipts: l(receipts!).map(receiptFromItem),
    systemResults: l(sys!).map(sysResultFromList),
    rejected: l(rejected!).map((x) => ({ index: num(l(x)[0]!), reason: Buffer.from(b(l(x)[1]!)).toString() })),
    notTried: num(notTried!),
    timings: timingsFromList(timings!),
  };
}

export function encodeExecuteResult(r: ExecuteBlockResult): Uint8Array {
  return encode([r.receipts.map(receiptToItem), r.systemResults.map(sysResultToList), timingsToList(r.timings)]);
}

export function decodeExecuteResult(bytes: Uint8Array): ExecuteBlockResult {
  const [receipts, sys, timings] = decode(bytes);
  return { receipts: l(receipts!).map(receiptFromItem), systemResults: l(sys!).map(sysResultFromList), timings: timingsFromList(timings!) };
}

/**
 * RLP items laid end to end in one byte string, for lists too long for RLP.encode/decode: its
 * encoder spreads the list into one call (a few hundred thousand items overflow the stack) and its
 * decoder copies the remainder after every item.
 */
export function encodeItemStream(items: Nested[]): Uint8Array {
  const parts = items.map(encode);
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Length of the RLP item (prefix included) starting at `off`. */
function itemLength(bytes: Uint8Array, off: number): number {
  const f = bytes[off];
  if (f === undefined) throw new Error(`RLP item stream: truncated at byte ${off}`);
  if (f < 0x80) return 1;
  if (f <= 0xb7) return 1 + f - 0x80;
  if (f < 0xc0 || f > 0xf7) {
    const ll = f < 0xc0 ? f - 0xb7 : f - 0xf7;
    let n = 0;
    for (let i = 1; i <= ll; i++) n = n * 256 + (bytes[off + i] ?? 0);
    return 1 + ll + n;
  }
  return 1 + f - 0xc0;
}

export function decodeItemStream(bytes: Uint8Array): Nested[] {
  const out: Nested[] = [];
  for (let off = 0; off < bytes.length; ) {
    const n = itemLength(bytes, off);
    if (off + n > bytes.length) throw new Error(`RLP item stream: item at byte ${off} runs past the end (${n} bytes, ${bytes.length - off} left)`);
    out.push(RLP.decode(bytes.subarray(off, off + n)) as unknown as Nested);
    off += n;
  }
  return out;
}

export function encodeGenesis(s: GenesisSpec): Uint8Array {
  // A genesis may fund a million accounts: the alloc goes as an item stream, not one RLP list.
  const alloc = encodeItemStream(s.alloc.map(([a, acc]) => [a, u(acc.balance ?? 0n), u(acc.nonce ?? 0n), acc.code ?? E, (acc.storage ?? []).map(([k, v]) => [k, v])]));
  return encode([alloc, u(s.gasLimit), opt(s.time, u), opt(s.extra, (x) => x), opt(s.difficulty, u), opt(s.coinbase, (x) => x), opt(s.mixDigest, (x) => x), opt(s.nonce, (x) => x)]);
}

export function decodeGenesis(bytes: Uint8Array): GenesisSpec {
  const [alloc, gasLimit, time, extra, difficulty, coinbase, mixDigest, nonce] = decode(bytes);
  const spec: GenesisSpec = {
    alloc: decodeItemStream(b(alloc!)).map((x) => {
      const [a, bal, nn, code, storage] = l(x);
      return [b(a!), { balance: big(bal!), nonce: big(nn!), code: b(code!), storage: l(storage!).map((kv) => [b(l(kv)[0]!), b(l(kv)[1]!)] as [Uint8Array, Uint8Array]) }];
    }),
    gasLimit: big(gasLimit!),
  };
  const t = unopt(time!, big);
  if (t !== undefined) spec.time = t;
  const e = unopt(extra!, b);
  if (e) spec.extra = e;
  const d = unopt(difficulty!, big);
  if (d !== undefined) spec.difficulty = d;
  const c = unopt(coinbase!, b);
  if (c) spec.coinbase = c;
  const m = unopt(mixDigest!, b);
  if (m) spec.mixDigest = m;
  const n = unopt(nonce!, b);
  if (n) spec.nonce = n;
  return spec;
}

export function encodeHeaderFields(h: HeaderFields): Uint8Array {
  return encode(headerToList(h));
}
export function decodeHeaderFields(bytes: Uint8Array): HeaderFields {
  return headerFromList(decode(bytes) as Uint8Array[]);
}

export function encodeCall(req: CallRequest, ref: CallBlockRef): Uint8Array {
  return encode([
    [opt(req.from, (x) => x), opt(req.to, (x) => x), req.data ?? E, opt(req.value, u), opt(req.gasLimit, u), opt(req.gasPrice, u)],
    [ref.stateRoot, u(ref.number), u(ref.time), u(ref.gasLimit), opt(ref.coinbase, (x) => x), opt(ref.difficulty, u)],
  ]);
}

export function decodeCall(bytes: Uint8Array): { req: CallRequest; ref: CallBlockRef } {
  const [r, f] = decode(bytes);
  const [from, to, data, value, gasLimit, gasPrice] = l(r!);
  const req: CallRequest = { data: b(data!) };
  const fr = unopt(from!, b);
  if (fr) req.from = fr;
  const t = unopt(to!, b);
  if (t) req.to = t;
  const v = unopt(value!, big);
  if (v !== undefined) req.value = v;
  const g = unopt(gasLimit!, big);
  if (g !== undefined) req.gasLimit = g;
  const gp = unopt(gasPrice!, big);
  if (gp !== undefined) req.gasPrice = gp;
  const [stateRoot, number, time, gl, coinbase, difficulty] = l(f!);
  const ref: CallBlockRef = { stateRoot: b(stateRoot!), number: big(number!), time: big(time!), gasLimit: big(gl!) };
  const cb = unopt(coinbase!, b);
  if (cb) ref.coinbase = cb;
  const d = unopt(difficulty!, big);
  if (d !== undefined) ref.difficulty = d;
  return { req, ref };
}

export function encodeCallResult(r: CallResult): Uint8Array {
  return encode([u(r.success ? 1 : 0), r.returnValue, u(r.gasUsed), opt(r.error, (e) => Buffer.from(e)), r.logs.map(logToList) as Nested]);
}
export function decodeCallResult(bytes: Uint8Array): CallResult {
  const [ok, ret, gas, err, logs] = decode(bytes);
  const r: CallResult = { success: num(ok!) === 1, returnValue: b(ret!), gasUsed: big(gas!), logs: l(logs!).map(logFromList) };
  const e = unopt(err!, (x) => Buffer.from(b(x)).toString());
  if (e !== undefined) r.error = e;
  return r;
}

export function encodeAccount(a: AccountState | undefined): Uint8Array {
  return encode(a ? [u(a.nonce), u(a.balance), a.codeHash, a.storageRoot] : []);
}
export function decodeAccount(bytes: Uint8Array): AccountState | undefined {
  const v = decode(bytes);
  if (v.length === 0) return undefined;
  return { nonce: big(v[0]!), balance: big(v[1]!), codeHash: b(v[2]!), storageRoot: b(v[3]!) };
}

export function encodeAccounts(list: (AccountState | undefined)[]): Uint8Array {
  return encode(list.map((a) => (a ? [u(a.nonce), u(a.balance), a.codeHash, a.storageRoot] : [])));
}
export function decodeAccounts(bytes: Uint8Array): (AccountState | undefined)[] {
  return (decode(bytes) as unknown as Uint8Array[][]).map((v) => (v.length === 0 ? undefined : { nonce: big(v[0]!), balance: big(v[1]!), codeHash: b(v[2]!), storageRoot: b(v[3]!) }));
}

export function encodeBytesList(items: Uint8Array[]): Uint8Array {
  return encode(items);
}
export function decodeBytesList(bytes: Uint8Array): Uint8Array[] {
  return decode(bytes) as Uint8Array[];
}
